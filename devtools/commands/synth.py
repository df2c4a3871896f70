"""Write a synthetic knowledge base of N records, for benchmarks and scale tests.

The records are invented (names from made-up syllables, URLs under .example) but shaped like
the real ones: every kind, citations, [[links]], status histories, partial dates. The same N
and seed give byte-identical files. DIR gets facts/ plus a copy of the repository's
mkdocs.yml and content/, so `kb build DIR` builds it. It never writes into the repository's
facts/, and writes into a non-empty folder only with --force (replacing only synthetic facts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..synth import SynthError, write_knowledge_base


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--entities", type=int, required=True, metavar="N", help="how many records to write"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the knowledge base folder to write"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder, replacing the synthetic facts already there",
    )


def run(args: argparse.Namespace) -> int:
    try:
        counts = write_knowledge_base(args.out, args.entities, seed=args.seed, force=args.force)
    except SynthError as error:
        print(f"kb-dev synth: {error}", file=sys.stderr)
        return 2
    shown = ", ".join(f"{count:,} {kind}" for kind, count in sorted(counts.items()))
    print(f"Wrote {sum(counts.values()):,} records to {args.out / 'facts'} ({shown}).")
    return 0
