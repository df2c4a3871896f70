"""Failing examples found by `make fuzz`, kept as explicit regression examples.

`make test` runs every property test derandomized (the `ci` profile in tests/conftest.py), so a
run's result depends only on the commit. `make fuzz` runs them with random seeds (the `fuzz`
profile); when one fails, tests/conftest.py appends the shrunk failing example to this folder,
one Python literal (the test's generated arguments) a line, in `<module>.<test>.txt`. A test
decorated with `@replays_saved_examples` runs each saved line as an `@example` on every run, so
what fuzzing found stays tested once fixed. Commit the file together with the fix.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from hypothesis import example

FOLDER = Path(__file__).resolve().parent
# Hypothesis notes the shrunk failure on the exception as `Failing test case: test(\n  a=...,\n)`
# (older versions: `Falsifying example: ...`).
_FAILURE_NOTES = ("Failing test case: ", "Falsifying example: ")


def saved_examples_file(test: Callable) -> Path:
    return FOLDER / f"{test.__module__.rpartition('.')[2]}.{test.__name__}.txt"


def read_saved_examples(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ast.literal_eval(line) for line in lines if line.strip() and not line.startswith("#")]


def replays_saved_examples(test: Callable) -> Callable:
    """Apply each example saved for `test` (decorate above `@given`); fuzz failures of a test
    so decorated are saved (tests/conftest.py)."""
    path = saved_examples_file(test.hypothesis.inner_test)
    for arguments in read_saved_examples(path):
        test = example(**arguments)(test)
    test.saved_examples_file = path
    return test


def failing_arguments(error: BaseException, names: set[str]) -> dict | None:
    """The generated arguments of the failing example Hypothesis noted on `error`, if each is
    a Python literal (text, bytes, numbers, and lists or dicts of them); else None."""
    for note in getattr(error, "__notes__", ()):
        prefix = next((p for p in _FAILURE_NOTES if note.startswith(p)), None)
        if prefix is None:
            continue
        try:
            call = ast.parse(note[len(prefix) :], mode="eval").body
        except SyntaxError:
            return None
        if not isinstance(call, ast.Call):
            return None
        arguments = {}
        for keyword in call.keywords:
            if keyword.arg not in names:
                continue  # a pytest fixture (tmp_path, monkeypatch): not generated
            try:
                arguments[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                return None
        return arguments or None
    return None


def save_example(path: Path, arguments: dict) -> bool:
    """Append `arguments` to the file unless it holds them already; True when added."""
    if arguments in read_saved_examples(path):
        return False
    with path.open("a", encoding="utf-8") as handle:
        handle.write(repr(arguments) + "\n")
    return True
