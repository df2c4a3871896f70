"""Rewrite fact files written in an older format into the current one.

`kb check` reports such files ("the format before party roles") and names this command. Each
file is rewritten in place through the same round trip as `kb fmt`: comments are kept, and
nothing else in the file changes meaning. A file whose migration needs a decision (a party
whose role cannot be told from its organization's roles) is left as it is and reported,
location first, with what to write by hand.

PATH is a fact file or a folder of them (default: the knowledge base's facts/ folder).
Exits 1 with --check when a file would change, and whenever a file could not be migrated.
"""

from __future__ import annotations

import argparse

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..load import FACT_SUFFIX, FileRefused, read_regular_file, shown_path
from ..problems import printable
from ..project import Project
from ..schema import default_schemas
from ..tools.format import FormatError
from ..tools.migrate import MigrationContext, MigrationError, migrate_text
from . import add_rewrite_arguments
from .fmt import _write_atomically, files_to_rewrite


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rewrite_arguments(parser, "migrate")


def organization_roles(project: Project) -> dict[str, list[str]]:
    """Each organization's roles, read leniently: a migration only needs a hint from them."""
    found: dict[str, list[str]] = {}
    folder = project.facts_dir / "organizations"
    if not folder.is_dir() or folder.is_symlink():
        return found
    reader = YAML(typ="safe", pure=True)
    for path in sorted(folder.glob(f"*{FACT_SUFFIX}")):
        try:
            data = reader.load(read_regular_file(path).decode("utf-8-sig"))
        except (OSError, FileRefused, UnicodeDecodeError, YAMLError):
            continue
        roles = data.get("roles") if isinstance(data, dict) else None
        if isinstance(roles, dict):  # written as a claim
            roles = roles.get("value")
        if isinstance(roles, list):
            found[path.stem] = [role for role in roles if isinstance(role, str)]
    return found


def run(args: argparse.Namespace) -> int:
    found = files_to_rewrite(args.paths)
    if found is None:
        return 1
    project, files, missing = found
    schemas = default_schemas().by_plural
    context = MigrationContext(organization_roles=organization_roles(project))
    changed: list[str] = []
    failed: list[str] = list(missing)
    for path in files:
        shown = shown_path(path, project.root)
        schema = schemas.get(path.parent.name)
        if schema is None or path.is_symlink():
            continue  # not a fact file kb check would read; kb check says why
        try:
            text = read_regular_file(path).decode("utf-8-sig").replace("\r\n", "\n")
            migrated, done = migrate_text(text, schema, context)
        except (OSError, FileRefused, UnicodeDecodeError, YAMLError):
            print(f"{printable(shown)}: not migrated: it does not read; run `kb check` first")
            failed.append(shown)
            continue
        except MigrationError as error:
            where = f"{shown}:{error.where[0]}:{error.where[1]}" if error.where else shown
            print(f"{printable(where)}: {printable(error.message)}; not migrated, left as it is")
            failed.append(shown)
            continue
        except FormatError as error:
            print(f"{printable(shown)}: not migrated: {printable(str(error))}")
            failed.append(shown)
            continue
        if not done:
            continue
        changed.append(shown)
        for change in done:
            print(f"{printable(shown)}: {'would write' if args.check else 'wrote'} {change}")
        if not args.check:
            _write_atomically(path, migrated.encode("utf-8"))
    total = len(files) + len(missing)
    verb = "would be migrated" if args.check else "migrated"
    summary = f"{len(changed)} of {total} files {verb}"
    if failed:
        summary += f", {len(failed)} not migrated (see above)"
    print(summary + ".")
    return 1 if failed or (args.check and changed) else 0
