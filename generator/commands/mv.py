"""Rename a record: its id, its file and every reference to it, comments kept.

OLD is the record's id, NEW the id it gets: facts/<kind folder>/OLD.yaml becomes NEW.yaml, and
every `ref` field naming OLD, at any depth of any record, and every [[OLD]] or [[OLD|label]]
link in text, is changed to NEW. Each file changes only where the id is written: comments,
quoting and layout stay. Nothing is written if NEW is not a valid id or is taken, if OLD is not
a record, or if the knowledge base has errors that could hide a reference (files that cannot
be read, duplicate ids: `kb check` lists them). Run `kb check` after, and commit with git.

    kb mv xiaomi-inc xiaomi
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..problems import plural, printable
from ..project import Project, find_project_root
from ..tools.rename import RenameError, plan_rename, write_planned


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD", help="the record's id now, such as xiaomi-inc")
    parser.add_argument("new", metavar="NEW", help="the id it gets, such as xiaomi")


def run(args: argparse.Namespace) -> int:
    project = Project(find_project_root(Path.cwd()))
    try:
        planned = plan_rename(project, args.old, args.new)
    except RenameError as error:
        print(f"kb mv: {printable(str(error))}")
        return 1
    write_planned(planned)
    for item in planned:
        old_rel = item.fact.rel
        new_rel = item.destination.relative_to(project.root).as_posix()
        moved = f" -> {new_rel}" if new_rel != old_rel else ""
        print(f"{old_rel}{moved}: {plural(item.references, 'reference')} changed")
    print(f"Renamed '{args.old}' to '{args.new}'. Check with: kb check")
    return 0
