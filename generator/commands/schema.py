"""Write the editor JSON Schemas and the schema reference from the record kinds' schemas.

Writes schemas/json/<kind>.schema.json (JSON Schema for editors, through yaml-language-server)
and schemas/reference.md (the site's schema reference) under the knowledge base root, from
generator/schemas/*.yaml. Only files whose content changed are written. With --check, nothing
is written: the command exits 1 naming every file that is out of date, as CI does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..project import find_project_root
from ..schema import default_schemas
from ..schema_outputs import stale_files, write_files
from . import add_root_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_argument(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a generated file is missing or out of date",
    )


def run(args: argparse.Namespace) -> int:
    root = find_project_root(args.root or Path.cwd())
    if not (root / "facts").is_dir():
        print(
            f"kb schema: no knowledge base at {root} (no facts/ folder): run it in the "
            "knowledge base's root or pass its path",
            file=sys.stderr,
        )
        return 2
    schemas = default_schemas()
    if args.check:
        stale = stale_files(root, schemas)
        for rel, why in stale:
            print(f"{rel}: {why}")
        if stale:
            print(
                f"{_files(len(stale))} out of date: run `make schema` (or `kb schema`) and "
                "commit the result."
            )
            return 1
        print("Schemas up to date.")
        return 0
    done = write_files(root, schemas)
    for rel, action in done:
        print(f"{action} {rel}")
    print(f"Schemas: {_files(len(done))} changed." if done else "Schemas up to date.")
    return 0


def _files(count: int) -> str:
    return f"{count} generated file{'s' if count != 1 else ''}"
