"""Property tests are deterministic under `make test`, and what `make fuzz` finds is kept."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from .saved_examples import failing_arguments, read_saved_examples, save_example


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE") == "fuzz", reason="make fuzz")
def test_make_test_runs_the_property_tests_derandomized():
    assert settings.default.derandomize is True
    assert settings.default.database is None


def test_the_failing_example_hypothesis_notes_is_read_without_the_fixtures():
    error = AssertionError()
    error.add_note(
        "Failing test case: test_x(\n    tmp_path=PosixPath('/tmp/x'),\n"
        "    text=('no: no\\n'\n     'yes: \\r\\n'),\n    data=b'\\xff',\n)"
    )
    assert failing_arguments(error, {"text", "data"}) == {
        "text": "no: no\nyes: \r\n",
        "data": b"\xff",
    }
    # Arguments that are not literals cannot be replayed from a file: nothing is saved.
    error = AssertionError()
    error.add_note("Failing test case: test_x(\n    day=datetime.date(2018, 1, 1),\n)")
    assert failing_arguments(error, {"day"}) is None


def test_saved_examples_are_read_back_once_each(tmp_path):
    path = tmp_path / "test_x.test_y.txt"
    path.write_text("# why this one matters\n", encoding="utf-8")
    assert save_example(path, {"text": "a\r\n"}) is True
    assert save_example(path, {"text": "a\r\n"}) is False
    assert read_saved_examples(path) == [{"text": "a\r\n"}]
