"""Shared test helpers: run the real `kb` command line, and find the repository's folders."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from .live_facts_guard import LiveFactsGuard
from .saved_examples import failing_arguments, save_example

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_SOURCES = REPO_ROOT.parent / "shared" / "sources"
# A frozen copy of the dataset, for tests that need a realistic knowledge base.
DATASET_SNAPSHOT = REPO_ROOT / "tests" / "snapshot"
# The only tests that may read the live facts/ (tests/live_facts_guard.py says why).
DATASET_TESTS = {REPO_ROOT / "tests" / "test_dataset.py"}

_LIVE_FACTS_GUARD = LiveFactsGuard(REPO_ROOT, DATASET_TESTS)
sys.addaudithook(_LIVE_FACTS_GUARD.audit)  # an audit hook cannot be removed: installed once


def pytest_sessionstart(session):
    _LIVE_FACTS_GUARD.active = True
    # Tests press Ctrl-C on kb processes (kb serve, an interrupted kb build). A shell starts a
    # background job (`make test &`) with SIGINT ignored, and the kb processes would inherit
    # that and never see the Ctrl-C: taking SIGINT here lets them start with the default.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    # Off before pytest's own cleanup of old temporary folders: work done in the hook there
    # was seen to leave one of its directory listings unclosed (a ResourceWarning).
    _LIVE_FACTS_GUARD.active = False


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Test modules are guarded while collected (module-level code), but the dataset tests."""
    _LIVE_FACTS_GUARD.exempt = _LIVE_FACTS_GUARD.is_dataset_test(getattr(collector, "path", ""))
    try:
        return (yield)
    finally:
        _LIVE_FACTS_GUARD.exempt = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test is guarded, its fixtures included, but the dataset tests."""
    _LIVE_FACTS_GUARD.exempt = _LIVE_FACTS_GUARD.is_dataset_test(item.path)
    try:
        return (yield)
    finally:
        _LIVE_FACTS_GUARD.exempt = False


# Property tests (hypothesis): `make test` and CI run the `ci` profile, derandomized with no
# example database, so a run's result depends only on the commit; `make fuzz` runs the `fuzz`
# profile, with random seeds, and saves what it finds (tests/saved_examples/).
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=100)
settings.register_profile("fuzz", derandomize=False, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Under `make fuzz`, a failing example of a test that replays saved examples is saved."""
    try:
        return (yield)
    except Exception as error:
        path = getattr(item.obj, "saved_examples_file", None)
        if settings.default.derandomize or path is None:
            raise
        generated = set(inspect.signature(item.obj.hypothesis.inner_test).parameters) - set(
            inspect.signature(item.obj).parameters
        )
        arguments = failing_arguments(error, generated)
        if arguments is not None and save_example(path, arguments):
            error.add_note(f"Saved as a regression example in {path.relative_to(REPO_ROOT)}")
        raise


@dataclass
class KbResult:
    """What one `kb` run printed and returned."""

    code: int
    out: str
    err: str


def run_kb(
    *args: str | os.PathLike,
    cwd: Path | None = None,
    timeout: int = 600,
    module: str = "generator",
) -> KbResult:
    """Run `kb ARGS...` as a contributor would: a separate process, through the public CLI
    (`module="devtools"`: `kb-dev ARGS...`)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONIOENCODING": "utf-8"}
    completed = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
    )
    return KbResult(code=completed.returncode, out=completed.stdout, err=completed.stderr)


def run_kb_dev(*args: str | os.PathLike, **options) -> KbResult:
    """Run `kb-dev ARGS...` (the developers' tools), as `run_kb` runs kb."""
    return run_kb(*args, module="devtools", **options)


@pytest.fixture(scope="session")
def kb():
    """The `run_kb` function, as a fixture (session-wide: module fixtures may use it too)."""
    return run_kb


# `make expected` sets this: the expected reports are rewritten from what kb says now.
UPDATE_EXPECTED = os.environ.get("UPDATE_EXPECTED") == "1"


def assert_matches_expected(actual: str, expected_file: Path, what: str) -> None:
    """Compare a report with its expected file (a tested contract), or rewrite the file under
    `make expected`; `what` names the case in the failure message."""
    if UPDATE_EXPECTED:
        expected_file.write_text(actual, encoding="utf-8")
        return
    shown = (
        expected_file.relative_to(REPO_ROOT)
        if expected_file.is_relative_to(REPO_ROOT)
        else expected_file
    )
    assert expected_file.exists(), f"{shown} is missing: run `make expected`"
    assert actual == expected_file.read_text(encoding="utf-8"), (
        f"the report for {what} changed. If on purpose, regenerate with `make expected` and "
        "review the diff."
    )
