"""No test but the dataset tests reads the live facts/.

A pull request that only adds valid facts must pass `make test`, so tests run on fixture
knowledge bases under tests/, never on the repository's facts/: only the dataset tests
(tests/test_dataset.py) check the real data. tests/conftest.py installs `LiveFactsGuard.audit`
as an audit hook (sys.addaudithook) for the whole session: any test, fixture or test module
that opens, lists or copies a path under facts/, or starts `kb` on it, fails with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

# `kb` commands that read the knowledge base they are given, or the current folder's.
KB_READING_COMMANDS = {"check", "build", "fmt", "diff", "new", "serve", "verify", "mv", "schema"}
# Audit events whose first argument is a path that is read (or listed, or copied from).
_PATH_EVENTS = {"open", "os.listdir", "os.scandir", "shutil.copytree", "glob.glob", "glob.glob/2"}


class LiveFactsRead(Exception):
    """A test outside the dataset tests read the live facts/ (not an OSError: never caught as
    a missing file)."""


class LiveFactsGuard:
    def __init__(self, repo_root: Path, dataset_tests: set[Path]):
        self.repo_root = os.path.normpath(repo_root)
        self.facts = os.path.join(self.repo_root, "facts")
        self.dataset_tests = {os.path.normpath(path) for path in dataset_tests}
        self.exempt = False  # True while a dataset test (or its module) runs
        self.active = False  # True for the whole test session

    def is_live_facts(self, path, folder: str | None = None) -> bool:
        """Whether `path` (relative to `folder`, or the current folder) is under facts/."""
        if isinstance(path, int):  # a file descriptor: opened before, already judged
            return False
        try:
            text = os.fsdecode(path)
        except TypeError:
            return False
        full = os.path.normpath(os.path.join(folder or os.getcwd(), text))
        return full == self.facts or full.startswith(self.facts + os.sep)

    def reads_live_facts(self, event: str, args: tuple) -> str | None:
        """What in the event reads the live facts/, or None."""
        if event == "open" and args[1] is None and not os.path.isabs(os.fsdecode(args[0])):
            # os.open with a relative path: shutil.rmtree and os.fwalk open each folder
            # relative to its parent's descriptor (dir_fd, which the event does not carry).
            return None
        if event in _PATH_EVENTS:
            return os.fsdecode(args[0]) if args and self.is_live_facts(args[0]) else None
        if event == "subprocess.Popen":
            return self._command_reads_live_facts(args[1], args[2])
        return None

    def _command_reads_live_facts(self, argv, cwd) -> str | None:
        if isinstance(argv, (str, bytes, os.PathLike)):
            argv = [argv]
        words = [os.fsdecode(word) for word in argv or ()]
        folder = os.path.normpath(os.path.join(os.getcwd(), os.fsdecode(cwd or ".")))
        if self.is_live_facts(folder) or any(self.is_live_facts(word, folder) for word in words):
            return " ".join(words)
        # `kb COMMAND` (or `python -m generator COMMAND`) in the repository with no folder
        # named reads the repository's own facts/.
        if folder != self.repo_root or "--help" in words or "-h" in words:
            return None
        for index, word in enumerate(words):
            is_kb = os.path.basename(word) == "kb" or (
                word == "generator" and index and words[index - 1] == "-m"
            )
            if is_kb:
                rest = words[index + 1 :]
                command = next((w for w in rest if not w.startswith("-")), None)
                if command in KB_READING_COMMANDS and not any(os.path.isabs(w) for w in rest):
                    return " ".join(words)
        return None

    def audit(self, event: str, args: tuple) -> None:
        if not self.active or self.exempt:
            return
        what = self.reads_live_facts(event, args)
        if what is not None:
            raise LiveFactsRead(
                f"a test read the live facts/ ({event}: {what}). Tests run on fixture "
                "knowledge bases under tests/; only the dataset tests (tests/test_dataset.py) "
                "may read facts/."
            )

    def is_dataset_test(self, path) -> bool:
        return os.path.normpath(os.fspath(path)) in self.dataset_tests
