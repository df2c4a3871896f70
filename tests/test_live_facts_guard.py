"""The guard that keeps tests off the live facts/ (tests/live_facts_guard.py) catches each way a
test could read them, and lets everything else through."""

from __future__ import annotations

import sys

import pytest

from .conftest import DATASET_TESTS, REPO_ROOT
from .live_facts_guard import LiveFactsGuard, LiveFactsRead

FACTS = REPO_ROOT / "facts"
KB = [sys.executable, "-m", "generator"]


@pytest.fixture
def guard() -> LiveFactsGuard:
    guard = LiveFactsGuard(REPO_ROOT, DATASET_TESTS)
    guard.active = True
    return guard


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("open", (str(FACTS / "products" / "mi-tv.yaml"), "r", 0)),
        ("open", (FACTS / "products" / "x.yaml", "rb", 0)),
        ("os.scandir", (FACTS,)),
        ("os.listdir", (str(FACTS / "people"),)),
        ("shutil.copytree", (FACTS, "/tmp/x")),
        ("subprocess.Popen", (sys.executable, [*KB, "check"], REPO_ROOT, None)),
        ("subprocess.Popen", (sys.executable, [*KB, "fmt", "--check"], str(REPO_ROOT), None)),
        ("subprocess.Popen", (sys.executable, [*KB, "check", "facts/a.yaml"], REPO_ROOT, None)),
        ("subprocess.Popen", ("kb", ["kb", "build"], FACTS, None)),
        ("subprocess.Popen", (sys.executable, [*KB, "build", str(FACTS)], "/tmp", None)),
    ],
)
def test_each_way_of_reading_the_live_facts_is_caught(guard, event, args):
    with pytest.raises(LiveFactsRead, match="only the dataset tests"):
        guard.audit(event, args)


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("open", (str(REPO_ROOT / "tests" / "snapshot" / "facts" / "people" / "x.yaml"), "r", 0)),
        ("open", ("/tmp/kb/facts/products/x.yaml", "r", 0)),
        ("open", (3, "r", 0)),  # a file descriptor
        ("open", ("facts", None, 0)),  # os.open relative to a folder's descriptor (rmtree)
        ("open", (str(REPO_ROOT / "facts-old.txt"), "r", 0)),
        ("os.scandir", (REPO_ROOT / "tests",)),
        ("subprocess.Popen", (sys.executable, [*KB, "check"], "/tmp/kb", None)),
        ("subprocess.Popen", (sys.executable, [*KB, "build", "/tmp/kb"], REPO_ROOT, None)),
        ("subprocess.Popen", (sys.executable, [*KB, "check", "--help"], REPO_ROOT, None)),
        ("subprocess.Popen", (sys.executable, [*KB, "check", "/tmp/s"], REPO_ROOT, None)),
        ("subprocess.Popen", ("git", ["git", "status"], REPO_ROOT, None)),
    ],
)
def test_everything_else_goes_through(guard, event, args):
    guard.audit(event, args)


def test_the_dataset_tests_may_read_them(guard):
    assert guard.is_dataset_test(REPO_ROOT / "tests" / "test_dataset.py")
    assert not guard.is_dataset_test(REPO_ROOT / "tests" / "test_build.py")
    guard.exempt = True
    guard.audit("open", (str(FACTS / "products" / "mi-tv.yaml"), "r", 0))


def test_the_guard_is_on_in_this_session():
    with pytest.raises(LiveFactsRead):
        (FACTS / "no-such-file.yaml").open(encoding="utf-8")
