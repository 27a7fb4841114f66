"""Keyed pseudonyms for exports, and every place a user's name is replaced.

    pseudonymiser = Pseudonymiser(load_key(path), names=["alice", "bob"])
    event = pseudonymiser.event(event)

A user name becomes `p-` and 16 hex digits of HMAC-SHA256(key, name): the
same key gives the same pseudonym in every export; without the key a
pseudonym cannot be turned back into a name or checked against a guess.

What is replaced, in every string of an event (paths, sources, outputs,
tracebacks, chat messages and replies, ids...):

- the `user` field;
- the folder after `home/` or `Users/` in a path (`/home/<x>/`,
  `/Users/<x>/`, `C:\\Users\\<x>\\`), whoever `<x>` is;
- each known name (the export's users: `names`, and each event's `user`)
  as a whole token: case-insensitive, where the characters on either side
  are not letters or digits (`week1/lab1_alice.ipynb`, `Alice's loop` and
  `/tmp/alice.csv` are replaced; `malice` and `alice2` are not). A name
  shorter than `MIN_FREE_TEXT_NAME` characters is replaced only in notebook
  paths: in free text it would replace ordinary words ("al", "an").

Not found: names that are not user names (a real name, a classmate who is
not in the export), spellings of a name other than the user name, and
anything else that identifies a person. Pseudonymised is not anonymous.
docs/export.md says the same for researchers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MIN_FREE_TEXT_NAME = 3
KEY_BYTES = 32
# A user's folder in a path: /home/<user>/, /Users/<user>/, C:\Users\<user>\.
_HOME_RE = re.compile(r"(?<![^/\\])(home|Users)([/\\]+)([^/\\\s\"'<>|:]+)")
# The event fields that hold notebook paths, where short names are replaced too.
_PATH_FIELDS = ("notebook", "notebook_current")


def new_key() -> bytes:
    """A random key; used alone, for pseudonyms that match those of no other export."""
    return secrets.token_bytes(KEY_BYTES)


def load_key(path: Path) -> bytes:
    """The pseudonymisation key in `path`, made (`new_key`, mode 0600) if missing."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{path} does not hold a jelai key (hexadecimal)") from None
        if len(key) < 16:
            raise ValueError(f"{path} holds a key shorter than 16 bytes") from None
        return key
    key = new_key()
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    return key


class Pseudonymiser:
    """Replaces user names with keyed pseudonyms (see the module)."""

    def __init__(self, key: bytes, names: Iterable[str] = ()) -> None:
        self._key = key
        self._pseudonyms: dict[str, str] = {}
        # Lower-cased name -> the name it stands for (matching ignores case).
        self._known: dict[str, str] = {}
        self._text_re: re.Pattern[str] | None = None
        self._path_re: re.Pattern[str] | None = None
        for name in names:
            self._learn(name)

    @property
    def key_id(self) -> str:
        """Names the key without revealing it, so two exports can be matched."""
        return hmac.new(self._key, b"jelai key id", hashlib.sha256).hexdigest()[:12]

    def name(self, user: str) -> str:
        if user not in self._pseudonyms:
            digest = hmac.new(self._key, user.encode("utf-8"), hashlib.sha256).hexdigest()
            self._pseudonyms[user] = f"p-{digest[:16]}"
        return self._pseudonyms[user]

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A copy of the event with every name replaced."""
        user = str(event.get("user") or "")
        if user:
            self._learn(user)
        result = {
            key: self._path(value) if key in _PATH_FIELDS else self._strings(value)
            for key, value in event.items()
        }
        if user:
            result["user"] = self.name(user)
        if result.get("type") == "notebook.rename" and isinstance(result.get("data"), dict):
            data = result["data"] = dict(result["data"])
            data["from"] = self._path(event["data"].get("from"))
        return result

    def text(self, value: str) -> str:
        """One string with home folders and known names (long enough) replaced."""
        value = _HOME_RE.sub(lambda m: m[1] + m[2] + self.name(m[3]), value)
        if self._text_re is None:
            return value
        return self._text_re.sub(self._replace, value)

    def _path(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = _HOME_RE.sub(lambda m: m[1] + m[2] + self.name(m[3]), value)
        return value if self._path_re is None else self._path_re.sub(self._replace, value)

    def _strings(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._strings(item) for item in value]
        if isinstance(value, dict):
            return {key: self._strings(item) for key, item in value.items()}
        return value

    def _replace(self, match: re.Match[str]) -> str:
        return self.name(self._known[match[0].lower()])

    def _learn(self, name: str) -> None:
        if not name or name.lower() in self._known:
            return
        self._known[name.lower()] = name
        self._path_re = _tokens(self._known)
        self._text_re = _tokens(name for name in self._known if len(name) >= MIN_FREE_TEXT_NAME)


def _tokens(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the names as a whole token, ignoring case;
    longest first, so `ann-marie` wins over `ann`."""
    ordered = sorted(set(names), key=lambda name: (-len(name), name))
    if not ordered:
        return None
    alternatives = "|".join(map(re.escape, ordered))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)
