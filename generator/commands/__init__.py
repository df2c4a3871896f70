"""`kb` subcommands, one module each (see generator/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_rewrite_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """PATH... and --check, the arguments of the commands that rewrite fact files (kb fmt,
    kb migrate: `verb`)."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=f"fact files or folders to {verb} (default: facts/ of the knowledge base here)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that would change and exit 1 if there are any",
    )


def add_root_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ROOT positional that commands working on a whole knowledge base take."""
    parser.add_argument(
        "root",
        nargs="?",
        type=Path,
        metavar="ROOT",
        help="knowledge base root, the folder holding facts/ (default: the current folder)",
    )
