"""Show what changed in the facts between two versions: records and fields, not YAML lines.

BASE and HEAD are git revisions (a branch, tag or commit). Without them, the base is where
the current branch left main (`git merge-base main HEAD`) and the head is the working tree,
saved or not, new files included: what a pull request from here would change.

Records are matched by id and renames found by file move; for each record it lists fields
set, removed and changed (old -> new), citations added and removed, and relationship status
steps added. --format markdown writes it for a pull request (CI puts it in the job summary).
Files that do not parse are reported, not skipped. Nothing is checked out or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..problems import printable
from ..project import Project, find_project_root
from ..schema import default_schemas
from ..tools.factdiff import (
    DiffError,
    default_base,
    diff_facts,
    format_markdown,
    format_text,
    resolve_revision,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", nargs="?", metavar="BASE", help="the revision to compare from")
    parser.add_argument(
        "head",
        nargs="?",
        metavar="HEAD",
        help="the revision to compare to (default: files on disk)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "markdown"],
        default="text",
        help="text for the terminal (default); markdown for a pull request comment",
    )


def run(args: argparse.Namespace) -> int:
    project = Project(find_project_root(Path.cwd()))
    try:
        if args.base is None:
            base = default_base(project.root)
        else:
            base = (args.base, resolve_revision(project.root, args.base))
        head = None
        if args.head is not None:
            head = (args.head, resolve_revision(project.root, args.head))
        diff = diff_facts(project.root, default_schemas(), base, head)
    except DiffError as error:
        print(f"kb diff: {printable(str(error))}")
        return 1
    print(format_markdown(diff) if args.format == "markdown" else format_text(diff))
    return 0
