"""A command whose output is cut short by a pipe (`kb diff | head`) ends quietly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO_ROOT


def run_into_a_closed_pipe(*args: str, cwd) -> subprocess.CompletedProcess:
    """Run `kb ARGS` with its stdout a pipe whose reading end is already closed, as `| head`
    leaves it once it has read enough: the first write fails with a broken pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "generator", *args],
            cwd=cwd,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args", [("check",), ("--help",), ("check", "--help"), ("check", "--format", "json")]
)
def test_a_closed_pipe_ends_the_command_without_a_traceback(args, tmp_path):
    shutil.copytree(REPO_ROOT / "tests/errors/unknown-reference/facts", tmp_path / "facts")
    result = run_into_a_closed_pipe(*args, cwd=tmp_path)
    assert result.stderr == ""
    assert result.returncode in (0, 1)
