"""`kb` subcommands, one module each (see generator/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_root_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ROOT positional that commands working on a whole knowledge base take."""
    parser.add_argument(
        "root",
        nargs="?",
        type=Path,
        metavar="ROOT",
        help="knowledge base root, the folder holding facts/ (default: the current folder)",
    )
