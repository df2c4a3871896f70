"""Check every excerpt and quote citing a source against a saved copy of the source's text.

SOURCE-ID is the source's id (facts/sources/SOURCE-ID.yaml); FILE is its text, saved as plain
UTF-8 text (the text itself is not stored in the repository). Checked: every citation, at any
depth of any record, whose `source` or `via` is SOURCE-ID and which has an `excerpt`, and the
`text` of every quote citing it. Typographic quotes, dashes, ellipses and whitespace written
any way match. Each excerpt not found is reported location first, with the closest passage of
FILE and its line. Exits 0 when every one is found, 1 when one is not, 2 on bad arguments.

    kb verify xiaomi-us-plans-article ../shared/sources/xiaomi-us-market-article.txt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..load import load_facts
from ..problems import ProblemCollector, printable
from ..project import Project, find_project_root
from ..schema import default_schemas
from ..suggest import did_you_mean
from ..tools.verify import SourceText, excerpts_citing, verify_excerpts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", metavar="SOURCE-ID", help="the id of the source, such as wsj-report"
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="the source's text, saved as UTF-8")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="knowledge base root, the folder holding facts/ (default: the current folder's)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        print(f"kb verify: {args.file}: no such file", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as error:
        print(f"kb verify: {args.file}: cannot read it as UTF-8 text ({error})", file=sys.stderr)
        return 2
    project = Project(find_project_root(args.root or Path.cwd()))
    collector = ProblemCollector()
    facts = load_facts(project.root, default_schemas(), collector)
    sources = [fact.id for fact in facts if fact.folder == "sources"]
    if args.source not in sources:
        hint = did_you_mean(args.source, sources)
        print(
            f"kb verify: no source '{printable(args.source)}' in {project.facts_dir}{hint}",
            file=sys.stderr,
        )
        return 2
    excerpts = excerpts_citing(facts, args.source)
    shown_name = args.file.as_posix()
    problems = verify_excerpts(excerpts, SourceText(text), shown_name)
    for problem in problems:
        print(printable(problem.format_text()))
    unreadable = sorted(fact.rel for fact in facts if fact.data is None)
    if unreadable:  # their excerpts could not be checked: say so rather than pass them by
        print(f"not checked, unreadable (see kb check): {', '.join(unreadable)}")
    found = len(excerpts) - len(problems)
    print(
        f"{found} of {len(excerpts)} excerpts and quotes citing {args.source} found in "
        f"{shown_name}" + ("." if not problems else f"; {len(problems)} not found.")
    )
    return 1 if problems or unreadable else 0
