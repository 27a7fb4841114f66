"""Which language a text is written in: a stop-word count, small and documented.

Code (fenced blocks and `inline code`) is removed first; the rest is cut
into lower-case words, and each language scores the share of words that
are among its most common short words (`STOP_WORDS`). The language with
the highest share wins when at least `MIN_HITS` of its stop words occur and
it is ahead of the next one by `MARGIN`; otherwise the text is
undetermined (None): too short, mixed, or a language not listed. It tells
English, German, French, Spanish, Italian, Dutch and Portuguese apart
reliably from a couple of sentences; it knows no others.
"""

from __future__ import annotations

import re

MIN_HITS = 2
MARGIN = 0.03
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the a an and or but is are was were be been it this that these those to of in on "
        "for with what why how you your i my we do does did not can could would should "
        "there here if then so as at by from have has".split()
    ),
    "de": frozenset(
        "der die das und oder aber ist sind war waren ein eine einen einem nicht ich du "
        "wir sie es was warum wie mit von zu im in auf für dass den dem des mein meine "
        "dein deine kann kannst muss hat hast habe wird".split()
    ),
    "fr": frozenset(
        "le la les un une des et ou mais est sont était ce cette ces je tu il elle nous "
        "vous ne pas que qui quoi pourquoi comment avec pour dans sur du de au aux mon "
        "ma mes ton ta votre peux fait".split()
    ),
    "es": frozenset(
        "el la los las un una unos y o pero es son era esto este esta estos que qué por "
        "porqué cómo como con para en del al mi mis tu tus no yo se lo puedo hay muy "
        "también".split()
    ),
    "it": frozenset(
        "il lo la gli le un una e o ma è sono era questo questa che perché come con per "
        "in del della di non io tu mi ti si può anche cosa".split()
    ),
    "nl": frozenset(
        "de het een en of maar is zijn was dit dat deze die niet ik jij je we wat waarom "
        "hoe met van voor op in naar mijn kan heb hebt ook er".split()
    ),
    "pt": frozenset(
        "o a os as um uma e ou mas é são era isto este esta que por porque como com para "
        "em no na do da não eu você meu minha se pode também".split()
    ),
}
NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}
_CODE = re.compile(r"```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)|`[^`\n]*`")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """The lower-case words of a text, code left out."""
    return _WORD.findall(_CODE.sub(" ", text).lower())


def scores(text: str) -> dict[str, tuple[float, int]]:
    """Per language: the share of words that are its stop words, and how many."""
    found = words(text)
    out = {}
    for code, stop in STOP_WORDS.items():
        hits = sum(1 for word in found if word in stop)
        out[code] = (hits / len(found) if found else 0.0, hits)
    return out


def detect(text: str) -> str | None:
    """The language code of `text` (`en`, `de`...), or None when undetermined."""
    ranked = sorted(scores(text).items(), key=lambda item: item[1][0], reverse=True)
    (best, (share, hits)), (_, (second, _)) = ranked[0], ranked[1]
    if hits < MIN_HITS or share - second < MARGIN:
        return None
    return best
