"""Measure what a person waits for: synthetic knowledge bases of 100, 1,000 and 10,000 records.

Prints one table (the full `kb build` against the floor of as many one-line Material pages,
the generator cold per stage and warm, kb serve from a saved fact file to the browser showing
it, page and search sizes, peak memory), then the targets marked met or missed, and writes the
figures as JSON to build/bench/. Every figure is the median of --runs runs, each in a fresh
process. A full run takes tens of minutes on two cores, most of it mkdocs at 10,000 records:
--skip-mkdocs-10000 leaves that out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..bench import DEFAULT_RUNS, DEFAULT_SIZES, BenchSettings, run_bench
from ..synth import MIN_ENTITIES


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are whole numbers, like 100,1000: {text!r}"
        ) from None
    if not sizes or min(sizes) < MIN_ENTITIES:
        raise argparse.ArgumentTypeError(f"each size must be at least {MIN_ENTITIES}")
    return tuple(sorted(set(sizes)))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=DEFAULT_SIZES,
        metavar="N,N,...",
        help="knowledge base sizes in records (default 100,1000,10000)",
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"runs per figure (default {DEFAULT_RUNS})"
    )
    parser.add_argument(
        "--mkdocs-runs",
        type=int,
        default=None,
        metavar="RUNS",
        help="runs of the full build (and its floor) per size (default: as --runs)",
    )
    parser.add_argument(
        "--skip-mkdocs-10000",
        action="store_true",
        help="leave out the full build at 10,000 records (minutes on two cores)",
    )
    parser.add_argument(
        "--skip-mkdocs",
        action="store_true",
        help="leave out every full build and kb serve (generator figures only)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build/bench"),
        metavar="DIR",
        help="where the knowledge bases and results.json go (default build/bench)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the synthetic knowledge bases afterwards"
    )


def run(args: argparse.Namespace) -> int:
    if args.runs < 1 or (args.mkdocs_runs is not None and args.mkdocs_runs < 1):
        print("kb-dev bench: --runs and --mkdocs-runs must be at least 1", file=sys.stderr)
        return 2
    skipped = set(args.sizes) if args.skip_mkdocs else set()
    if args.skip_mkdocs_10000:
        skipped.add(10_000)
    settings = BenchSettings(
        sizes=args.sizes,
        runs=args.runs,
        mkdocs_runs=args.mkdocs_runs,
        skip_mkdocs_sizes=frozenset(skipped),
        seed=args.seed,
        out_dir=args.out,
        keep=args.keep,
        echo=lambda line: print(line, flush=True),
    )
    run_bench(settings)
    return 0
