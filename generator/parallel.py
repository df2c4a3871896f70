"""Work shared between this process and forked copies of it, for the stages that take seconds.

A cold build at 10,000 records reads 10,000 files and renders 10,000 pages, each on its own:
work that splits into shares, one per core. This process keeps the first share and works on it
while forked workers work on the others; their results come back pickled. Forking (not spawning)
is what makes it pay: a worker starts with this process's memory (the schemas, the model) as it
is, instead of receiving it.

Used by the loader (load.load_facts: a share of the files each), the checker (pipeline.py: the
checks across files alongside the building of the model) and the renderer
(incremental.render_tracked: a share of the record pages each).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from typing import Any

MAX_JOBS = 8
# What forked workers run, set in this process just before they fork, so that nothing of it is
# pickled on the way there (a closure over the model could not be).
_FORKED: Sequence[Callable[[], Any]] | None = None


def parallel_jobs(items: int, minimum: int) -> int:
    """How many processes to share `items` pieces of work among (1: this one alone).

    Several only when there are at least `minimum` items (below that, starting a process costs
    more than it saves), only on Linux, where workers fork and share memory without copying it,
    and only from a process with no other thread (forking one that has threads is unsafe; `kb
    serve` has some, and works on few files at a time anyway). KB_JOBS=N sets the number.
    """
    wanted = os.environ.get("KB_JOBS", "")
    if wanted.isdigit():
        jobs = int(wanted)
    elif hasattr(os, "sched_getaffinity"):
        jobs = len(os.sched_getaffinity(0))
    else:
        jobs = os.cpu_count() or 1
    if (
        jobs <= 1
        or items < minimum
        or not sys.platform.startswith("linux")
        or threading.active_count() > 1
    ):
        return 1
    return min(jobs, MAX_JOBS)


def split(items: Sequence[Any], jobs: int) -> list[list[Any]]:
    """`items` in `jobs` runs of consecutive items of (nearly) equal size, in order: the runs
    keep whatever the items report (problems) in the order one process would have made it."""
    bounds = [len(items) * index // jobs for index in range(jobs + 1)]
    return [list(items[start:end]) for start, end in pairwise(bounds)]


def _run_call(index: int) -> Any:
    """In a forked worker: one of the calls."""
    return _FORKED[index]()


class ForkedWorkers:
    """Each of `calls` run in a forked worker, all started at once; `results()` waits for
    them. This process does its own part meanwhile.

    A worker sees this process's memory as it was when it forked, and its changes to it stay
    in the worker: only what a call returns comes back (pickled). Use as a context manager: the
    workers are stopped however the block ends.
    """

    def __init__(self, calls: Sequence[Callable[[], Any]]):
        global _FORKED
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list = []
        if not calls:
            return
        _FORKED = calls
        try:
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(max_workers=len(calls), mp_context=context)
            self.futures = [self.pool.submit(_run_call, index) for index in range(len(calls))]
        except BaseException:
            self.close()
            raise

    def results(self) -> list[Any]:
        """What the calls returned, in their order (a call's exception is raised here)."""
        try:
            return [future.result() for future in self.futures]
        finally:
            self.close()

    def close(self) -> None:
        global _FORKED
        _FORKED = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> ForkedWorkers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
