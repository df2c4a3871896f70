"""Validate every fact file and report every problem found, location first.

Exits 0 when the knowledge base is valid, 1 when it has errors (or warnings, with --strict).
PATH is the knowledge base root (the folder holding facts/), or fact files in it: the whole
knowledge base is always checked, since references cross files, but only problems in the
named files are reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..pipeline import Project, check_project, find_project_root
from ..problems import format_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="knowledge base root, or fact files to report on (default: the current folder)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings as errors (as CI does)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "github", "json"],
        default="text",
        help="text for people (default); github for Actions annotations; json for tools",
    )


def run(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not path.exists():
            print(f"kb check: {path}: no such file or folder", file=sys.stderr)
            return 2
    paths = [path.resolve() for path in args.paths] or [Path.cwd()]
    project = Project(find_project_root(paths[0]))
    for path in paths:
        if not path.is_relative_to(project.root):
            print(
                f"kb check: {path}: not inside the knowledge base at {project.root}",
                file=sys.stderr,
            )
            return 2
    outcome = check_project(project)
    problems = outcome.collector.sorted()
    # Files or folders below the root narrow the report (references still cross all files).
    scopes = [path.relative_to(project.root).as_posix() for path in paths if path != project.root]
    if scopes:
        problems = [problem for problem in problems if _in_scope(problem.path, scopes)]
    print(format_report(problems, args.format, args.strict, outcome.record_count))
    failed = any(p.severity == "error" or args.strict for p in problems)
    return 1 if failed else 0


def _in_scope(problem_path: str, scopes: list[str]) -> bool:
    return any(problem_path == scope or problem_path.startswith(scope + "/") for scope in scopes)
