"""The `jelai` command: `jelai export` writes a research export; `jelai service`
runs the JupyterHub service (see `service/app.py`); `jelai eval` shows how a
model tutors (see `eval/command.py`).

    jelai export --class-dir /srv/jelai --out export-2024-03 \\
        --since 2024-03-01 --until 2024-03-31 --pseudonymise --key-file ~/jelai.key
    jelai export --store-url postgresql://jelai@db/course --out export-2024-03

Writes `events.jsonl` and/or `events.csv` (see `export.py` and
docs/export.md), `data-dictionary.md` (the event schemas) and
`manifest.json` (filters, counts, the key's id, never the key). Every input
is checked before anything is written; a refused command exits with 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from . import __version__
from .insight.datadict import render_markdown
from .insight.export import (
    Filters,
    csv_columns,
    csv_values,
    export_users,
    iter_events,
    jsonl_line,
    parse_bound,
)
from .insight.pseudonyms import Pseudonymiser, load_key
from .insight.sources import STORE_FILE, Source, class_sources
from .record.events import utc_time
from .record.paths import plain_notebook
from .store import StoreError, store_url

FORMATS = ("jsonl", "csv")


class UsageError(Exception):
    """A command jelai refuses before writing anything."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jelai", description="jelai's command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser(
        "export",
        help="write events and chat exchanges as JSONL/CSV with a data dictionary",
        description="Write events and chat exchanges as JSONL/CSV with a data dictionary.",
    )
    export.add_argument("--data-dir", type=Path, help="one server's data folder (events.sqlite3)")
    export.add_argument(
        "--class-dir",
        type=Path,
        help="a class folder: one data folder per student, named after them",
    )
    export.add_argument(
        "--store-url",
        help="a store's database URL (e.g. the course's PostgreSQL): every user's events",
    )
    export.add_argument("--out", type=Path, required=True, help="new (or empty) folder to write")
    export.add_argument(
        "--format", default="jsonl,csv", help="jsonl, csv or both, comma-separated (default both)"
    )
    export.add_argument("--notebook", help="only this notebook (its path as recorded)")
    export.add_argument("--since", help="from this date or date-time (UTC), inclusive")
    export.add_argument("--until", help="to this date (inclusive) or date-time (exclusive), UTC")
    export.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace user names with keyed HMAC-SHA256 pseudonyms (needs --key-file)",
    )
    export.add_argument(
        "--key-file", type=Path, help="pseudonymisation key; made (mode 0600) if missing"
    )
    from .eval.command import add_parser as add_eval

    add_eval(commands)
    # Listed here for `jelai --help`; `main` hands `jelai service ...` to the
    # service before this parser reads anything, since its options are traits.
    commands.add_parser(
        "service",
        help="run the JupyterHub service of a course (`jelai service --help` lists its options)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["service"]:
        # The hub service is a traitlets application: its options are config traits.
        from .service.app import main as service_main

        service_main(argv[1:])
        return 0
    args = _parser().parse_args(argv)
    if args.command == "eval":
        from .eval.command import main as eval_main

        return eval_main(args, argv)
    try:
        return export(args)
    except UsageError as error:
        print(f"jelai export: error: {error}", file=sys.stderr)
        return 2
    except (sqlite3.Error, SQLAlchemyError, StoreError) as error:
        print(f"jelai export: a store could not be read: {error}", file=sys.stderr)
        return 1


def _sources(args: argparse.Namespace) -> list[Source]:
    if args.data_dir is None and args.class_dir is None and args.store_url is None:
        raise UsageError("give --data-dir, --class-dir or --store-url")
    sources: list[Source] = []
    if args.store_url is not None:
        try:
            store_url(args.store_url)
        except ArgumentError as error:
            raise UsageError(f"--store-url is not a database URL: {error}") from None
        sources.append(Source(path=None, owner=None, url=args.store_url))
    if args.data_dir is not None:
        store = args.data_dir / STORE_FILE
        if not store.is_file():
            raise UsageError(f"{args.data_dir} holds no {STORE_FILE}")
        sources.append(Source(path=store, owner=None))
    if args.class_dir is not None:
        try:
            found = class_sources(args.class_dir)
        except FileNotFoundError as error:
            raise UsageError(str(error)) from None
        # The same store given twice would export its events twice.
        known = {source.path.resolve() for source in sources if source.path is not None}
        sources += [source for source in found if source.path.resolve() not in known]
    return sources


def _check(args: argparse.Namespace) -> tuple[list[Source], list[str], Filters]:
    sources = _sources(args)
    formats = [name.strip() for name in args.format.split(",") if name.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise UsageError(f"--format takes jsonl, csv or both, not {args.format!r}")
    try:
        since = None if args.since is None else parse_bound(args.since, end=False)
        until = None if args.until is None else parse_bound(args.until, end=True)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if since and until and since >= until:
        raise UsageError("--since must come before --until")
    out: Path = args.out
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder")
    if not out.absolute().parent.is_dir():
        raise UsageError(f"the folder {out.absolute().parent} does not exist")
    if args.pseudonymise != (args.key_file is not None):
        raise UsageError("--pseudonymise and --key-file go together")
    if args.key_file is not None:
        key = args.key_file.absolute()
        if out.absolute() in key.parents:
            raise UsageError("the key file must not be inside the export")
        if not key.parent.is_dir():
            raise UsageError(f"the folder {key.parent} does not exist")
    notebook = plain_notebook(args.notebook)
    return sources, formats, Filters(notebook=notebook, since=since, until=until)


def export(args: argparse.Namespace) -> int:
    """Checks every input, then writes the export into a new folder in one move."""
    sources, formats, filters = _check(args)
    pseudonymiser = None
    if args.key_file is not None:
        try:
            pseudonymiser = Pseudonymiser(load_key(args.key_file), export_users(sources))
        except (OSError, ValueError) as error:
            raise UsageError(str(error)) from None
    out = args.out.absolute()
    # Written beside the target and moved into place, so a failure leaves nothing.
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        counts = _write(work, sources, formats, filters, pseudonymiser)
        manifest = {
            "jelai_version": __version__,
            "created": utc_time(),
            "filters": {
                "notebook": filters.notebook,
                "since": filters.since,
                "until": filters.until,
            },
            "files": sorted(f"events.{name}" for name in formats),
            "events": counts["events"],
            "types": counts["types"],
            "pseudonymised": pseudonymiser is not None,
            "key_id": pseudonymiser.key_id if pseudonymiser else None,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        (work / "data-dictionary.md").write_text(render_markdown(), "utf-8")
        if out.exists():
            out.rmdir()  # checked empty above
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print(f"jelai export: {counts['events']} events written to {out}")
    return 0


def _write(
    work: Path,
    sources: list[Source],
    formats: list[str],
    filters: Filters,
    pseudonymiser: Pseudonymiser | None,
) -> dict:
    types: dict[str, int] = {}
    jsonl = (work / "events.jsonl").open("w", encoding="utf-8") if "jsonl" in formats else None
    table = (
        (work / "events.csv").open("w", encoding="utf-8", newline="") if "csv" in formats else None
    )
    rows = csv.writer(table) if table is not None else None
    try:
        if rows is not None:
            rows.writerow(csv_columns())
        for event in iter_events(sources, filters):
            if pseudonymiser is not None:
                event = pseudonymiser.event(event)
            types[event["type"]] = types.get(event["type"], 0) + 1
            if jsonl is not None:
                jsonl.write(jsonl_line(event))
            if rows is not None:
                rows.writerow(csv_values(event))
    finally:
        for file in (jsonl, table):
            if file is not None:
                file.close()
    return {"events": sum(types.values()), "types": dict(sorted(types.items()))}


if __name__ == "__main__":
    sys.exit(main())
