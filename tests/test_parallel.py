"""Work shared among forked processes gives what one process gives.

A large knowledge base is read by several processes (load.load_facts) and its pages rendered by
several (incremental.render_tracked; tests/test_incremental.py checks those pages). Here: the
files read, the problems reported and the cache kept are the same whichever way the files were
read, for good files, broken ones and files the fast reader leaves to the careful one.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.parallel import split

from .conftest import DATASET_SNAPSHOT, REPO_ROOT
from .test_check_errors import CASES, ERRORS_DIR, EXPECTED, _commands, _copy_case

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="files are read by forked workers on Linux only"
)

# Run in a child process: forking is only done from a process without threads, and the test
# runner may have some. Every file read is described, as are the problems and the cache.
READ_ALL = """
import json, sys
from pathlib import Path
from generator import load, parallel
from generator.cache import RecordCache
from generator.problems import ProblemCollector
from generator.schema import default_schemas

load.PARALLEL_MIN_FILES = 1
assert parallel.parallel_jobs(100, 1) == int(sys.argv[2]), "KB_JOBS not as asked"
root = Path(sys.argv[1])
cache = RecordCache(root / ".cache")
collector = ProblemCollector()
facts = load.load_facts(root, default_schemas(), collector, cache)
described = [
    [fact.rel, fact.text, fact.data, fact.digest, fact.position(("title",))]
    + sorted(fact.key_positions.items())
    for fact in facts
]
cache.save()
print(json.dumps({
    "facts": described,
    "problems": [repr(problem) for problem in collector.problems],
    "cached": sorted(cache.entries),
    "from_cache": cache.hits,
}, default=str))
"""

BROKEN_FILES = {
    # A syntax error, found by the careful reader with its position.
    "facts/events/aaa-broken.yaml": b"name: [unclosed\nsummary: x\n",
    # Not UTF-8: refused before either reader runs.
    "facts/organizations/latin1.yaml": b"name: Caf\xe9\n",
    # A tag: the fast reader leaves it to the careful one, which reports it.
    "facts/products/tagged.yaml": b"name: !!python/object x\n",
    # CRLF line endings: a warning, and the file is read.
    "facts/quotes/crlf.yaml": b"text: Hello\r\nsaid: 2018\r\n",
    # Well-formed, but read by the careful reader ("<<" could be a merge key), which records
    # every position as it reads.
    "facts/sources/zz-careful.yaml": b"title: 'The <<quoted>> title'\nkind: blog-post\n",
    # A stray folder, reported while the files are found.
    "facts/gadgets/thing.yaml": b"name: Thing\n",
}


def read_all(root: Path, jobs: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ_ALL, str(root), str(jobs)],
        cwd=REPO_ROOT,
        env={**os.environ, "KB_JOBS": str(jobs)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def knowledge_base(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(DATASET_SNAPSHOT / "facts", root / "facts")
    for rel, data in BROKEN_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_files_read_by_several_processes_are_read_the_same(knowledge_base, tmp_path):
    alone = knowledge_base
    shared = tmp_path / "shared"
    shutil.copytree(alone, shared)
    # Cold (nothing cached), then warm (the cache the cold run saved).
    for run in ("cold", "warm"):
        by_one, by_three = read_all(alone, 1), read_all(shared, 3)
        assert by_three["facts"] == by_one["facts"], run
        assert by_three["problems"] == by_one["problems"], run
        assert by_three["cached"] == by_one["cached"], run
        assert len(by_one["facts"]) > 40 and len(by_one["problems"]) == 5  # one per broken file
    # Warm: every cleanly read file came from the cache, in whichever process read it.
    assert by_three["from_cache"] == by_one["from_cache"] == len(by_one["cached"]) > 40


def test_shares_are_consecutive_runs_that_cover_every_item():
    items = list(range(10))
    assert split(items, 1) == [items]
    assert split(items, 2) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    three = split(items, 3)
    assert sum(three, []) == items  # in order, nothing lost or repeated
    assert sorted(len(share) for share in three) == [3, 3, 4]


# Runs `kb` commands in one child process with every stage shared among three processes
# however few the files: (root, args) pairs in, their output and exit code out.
RUN_KB_SHARED = """
import contextlib, io, json, os, sys
from generator import cli, incremental, load, parallel, pipeline

load.PARALLEL_MIN_FILES = pipeline.PARALLEL_MIN_RECORDS = incremental.PARALLEL_MIN_PAGES = 1
assert parallel.parallel_jobs(1, 1) == 3, "KB_JOBS not as asked"
results = []
for root, args in json.load(sys.stdin):
    os.chdir(root)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(args)
    results.append([out.getvalue(), code])
print(json.dumps(results))
"""


def test_error_reports_are_the_same_when_the_work_is_shared(tmp_path):
    """Every broken case's report, exactly, with the files read by three processes and the
    checks across files run alongside the model: problems in the same order, and no model
    kept (or failure raised) where the checks found an error."""
    roots = {case: str(_copy_case(case, tmp_path)) for case in CASES}
    runs = [(case, roots[case], args) for case in CASES for args in _commands(case)]
    result = subprocess.run(
        [sys.executable, "-c", RUN_KB_SHARED],
        input=json.dumps([[root, args] for _, root, args in runs]),
        cwd=REPO_ROOT,
        env={**os.environ, "KB_JOBS": "3", "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    transcripts: dict[str, list[str]] = {}
    for (case, _, args), (out, code) in zip(runs, json.loads(result.stdout), strict=True):
        transcripts.setdefault(case, []).append(f"$ kb {shlex.join(args)}\n{out}[exit {code}]\n")
    for case, blocks in transcripts.items():
        expected = (ERRORS_DIR / case / EXPECTED).read_text(encoding="utf-8")
        assert "\n".join(blocks) == expected, f"tests/errors/{case}, work shared"
