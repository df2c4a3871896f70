"""Validate the facts, render every page into build/docs/, and build the site into site/.

Refuses to build when the knowledge base has errors (the same report as `kb check`, exit 1).
The Markdown is rendered from the package's Jinja templates (a template of the same name in
the knowledge base's templates/ folder overrides one); pages from content/ are copied in as
they are. Then `mkdocs build --strict` builds the site into a temporary folder that replaces
site/ only if the build succeeds, so a failed build leaves the previous site as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jinja2

from ..lock import BuildLocked, build_lock
from ..pipeline import BuildError, build_markdown, build_site
from ..problems import format_report, printable
from ..project import Project, find_project_root
from ..render.escape import FrontMatterError
from ..render.render import DuplicatePageError, TemplateUsageError
from ..write import UnsafePagePath
from . import add_root_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_argument(parser)
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="stop after writing the Markdown into build/docs/ (do not run mkdocs)",
    )


def run(args: argparse.Namespace) -> int:
    project = Project(find_project_root(args.root or Path.cwd()))
    try:
        with build_lock(project, "kb build"):
            if args.markdown_only:
                markdown = build_markdown(project)
            else:
                site = build_site(project)
                markdown = site.markdown
    except (
        BuildLocked,
        BuildError,
        TemplateUsageError,
        DuplicatePageError,
        UnsafePagePath,
        FrontMatterError,
    ) as error:
        print(f"kb build: {printable(str(error))}", file=sys.stderr)
        return 1
    except jinja2.TemplateError as error:  # a site's override template with a mistake in it
        where = f"{error.filename}:{error.lineno}: " if getattr(error, "filename", None) else ""
        print(printable(f"kb build: template error: {where}{error}"), file=sys.stderr)
        return 1
    outcome = markdown.check
    problems = outcome.collector.sorted()
    if not markdown.ok:
        print(format_report(problems, "text", False, outcome.record_count))
        print("kb build: not built; fix the errors above first.", file=sys.stderr)
        return 1
    if problems:  # warnings only: shown, as kb check shows them, but they do not stop a build
        print(format_report(problems, "text", False, outcome.record_count))
    report = markdown.report
    print(
        f"Markdown: {len(markdown.pages)} pages in {_shown(project.build_dir, project.root)} "
        f"({len(report.written)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.deleted)} deleted)."
    )
    for note in markdown.notes:
        print(printable(note))
    if not args.markdown_only:
        print(f"Site: built in {_shown(project.site_dir, project.root)}.")
    return 0


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(path) + "/"
