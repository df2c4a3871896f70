"""Error reports are a tested contract: broken knowledge bases beside their expected reports.

Each folder in tests/errors/ is a small knowledge base (`facts/...`, real fact files on disk)
with one or a few mistakes of one class, and `expected.txt`, the transcript of running `kb`
in it: every command, its whole output and its exit code:

    $ kb check
    facts/products/mi-tv.yaml:7:8: maker: unknown organization 'xiaomy' (did you mean 'xiaomi'?)
        7 | maker: xiaomy
          |        ^
    1 error in 1 file.
    [exit 1]

The test copies each case to a temporary folder, runs the real command line (a subprocess, as
a contributor would) once per `$ kb ...` line, and compares the whole transcript exactly.

To add a case: make tests/errors/<case>/facts/..., then either write `expected.txt` holding just
the `$ kb ...` lines to run (default: `$ kb check`) or leave it out, and regenerate.

To regenerate every expected.txt after changing a message on purpose (then review the diff):

    make expected

Files in tests/errors/ are kept byte for byte by git (see tests/errors/.gitattributes): some
hold tabs or bytes that are not UTF-8 on purpose.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from generator.pipeline import Project, check_project
from tests.conftest import assert_matches_expected

ERRORS_DIR = Path(__file__).resolve().parent / "errors"
EXPECTED = "expected.txt"
CASES = sorted(path.name for path in ERRORS_DIR.iterdir() if (path / "facts").is_dir())

# Every class of problem issue 2 asks `kb check` to catch, by the code problems carry: the
# cases above must keep covering each one (see test_every_class_of_error_has_a_case).
REQUIRED_CODES = {
    "yaml-syntax": "YAML syntax error with line and column",
    "yaml-tab": "tab characters",
    "yaml-duplicate-key": "duplicate keys",
    "file-not-mapping": "a file that is not one mapping",
    "yaml-multiple-documents": "a file with more than one document",
    "file-empty": "an empty file",
    "file-encoding": "a file that is not UTF-8",
    "unknown-field": "unknown fields (with did-you-mean)",
    "missing-field": "missing required fields",
    "wrong-type": "wrong types",
    "bad-id": "bad slugs (file names)",
    "bad-date": "bad and impossible dates",
    "unknown-value": "unknown enum values (with did-you-mean)",
    "unknown-reference": "references to unknown records, in fields and in [[links]]",
    "wrong-kind-reference": "references to records of the wrong kind",
    "bad-link": "[[links]] that are not written right",
    "duplicate-id": "duplicate ids across kinds",
    "duplicate-name": "names and aliases that collide",
    "missing-citation": "records with no citation",
    "date-order": "status history out of order, end before start",
    "date-after-source": "a quote said after the source reporting it was published",
    "unused-source": "sources no record cites (a warning)",
    "duplicate-quote": "two quotes with the same words (a warning)",
    "comment-cuts-value": "a comment after a plain text value cuts it short (a warning)",
}


def _commands(case: str) -> list[list[str]]:
    """The `kb` argument lists a case's transcript runs (`$ kb check` if it names none)."""
    expected = ERRORS_DIR / case / EXPECTED
    lines = expected.read_text(encoding="utf-8").splitlines() if expected.exists() else []
    commands = [shlex.split(line[len("$ kb ") :]) for line in lines if line.startswith("$ kb ")]
    return commands or [["check"]]


def _copy_case(case: str, tmp_path: Path) -> Path:
    """The case in a scratch folder, so no run can leave anything (a cache) in tests/."""
    root = tmp_path / case
    shutil.copytree(ERRORS_DIR / case / "facts", root / "facts")
    return root


def _run_case(kb, case: str, root: Path) -> list[tuple[list[str], Any]]:
    return [(args, kb(*args, cwd=root)) for args in _commands(case)]


@pytest.fixture(scope="module")
def case_runs(kb, tmp_path_factory) -> dict[str, list[tuple[list[str], Any]]]:
    """Every case's commands, run through the real CLI. The runs are separate processes that
    share nothing, so they go side by side on every core; each case is still its own test."""
    scratch = tmp_path_factory.mktemp("runs")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {
            case: pool.submit(_run_case, kb, case, _copy_case(case, scratch)) for case in CASES
        }
        return {case: future.result() for case, future in futures.items()}


def test_there_are_cases():
    assert len(CASES) >= 20, f"tests/errors/ holds only {CASES}"


@pytest.mark.parametrize("case", CASES)
def test_error_report(case: str, case_runs):
    """The whole report of every command, exactly: locations, messages, summary, exit code."""
    blocks = []
    for args, result in case_runs[case]:
        # Bad data never prints a traceback, or anything at all on stderr.
        assert result.err == "", f"{case}: `kb {shlex.join(args)}` wrote to stderr:\n{result.err}"
        assert "Traceback" not in result.out
        blocks.append(f"$ kb {shlex.join(args)}\n{result.out}[exit {result.code}]\n")
    actual = "\n".join(blocks)
    assert_matches_expected(actual, ERRORS_DIR / case / EXPECTED, f"tests/errors/{case}")


@pytest.fixture(scope="module")
def problems_by_case(tmp_path_factory) -> dict[str, list]:
    """Every case checked in-process (fast), from copies: nothing is written into tests/."""
    scratch = tmp_path_factory.mktemp("cases")
    return {
        case: check_project(Project(_copy_case(case, scratch))).collector.problems for case in CASES
    }


def test_every_case_fails_check(problems_by_case):
    """A case whose mistakes are fixed (or no longer caught) would pass silently otherwise."""
    for case, problems in problems_by_case.items():
        assert problems, f"tests/errors/{case}: kb check finds nothing"


def test_every_class_of_error_has_a_case(problems_by_case):
    found: dict[str, set[str]] = {}
    for case, problems in problems_by_case.items():
        for problem in problems:
            found.setdefault(problem.code, set()).add(case)
    missing = {code: what for code, what in REQUIRED_CODES.items() if code not in found}
    assert not missing, f"no case in tests/errors/ shows: {missing}"


def test_text_reports_read_location_first():
    """Every problem line starts with path[:line[:column]]: and every caret sits under a line."""
    headline = re.compile(r"^facts/[^:]+(:\d+(:\d+)?)?: ")
    for case in CASES:
        text = (ERRORS_DIR / case / EXPECTED).read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line or line.startswith(("$ kb ", "[exit ", " ", "::", "{", "}", '"')):
                continue
            if re.match(r"^\d+ (error|warning)s? |^OK: |^\d+ of \d+ files ", line):
                continue
            assert headline.match(line), f"{case}: not location-first: {line!r}"


def test_unused_source_is_a_warning_unless_strict(tmp_path: Path, kb):
    root = _copy_case("unused-source", tmp_path)
    relaxed = kb("check", cwd=root)
    assert relaxed.code == 0
    assert "warning: source 'wsj-report' is not cited by any record" in relaxed.out
    strict = kb("check", "--strict", cwd=root)
    assert strict.code == 1
    assert "(--strict: warnings count as errors)" in strict.out


def test_checking_one_file_reports_only_that_file(tmp_path: Path, kb):
    root = _copy_case("one-file", tmp_path)
    everything = kb("check", cwd=root)
    assert "facts/products/mi-tv.yaml" in everything.out
    assert "facts/products/mi5.yaml" in everything.out
    one = kb("check", "facts/products/mi5.yaml", cwd=root)
    assert one.code == 1
    reported = {line.split(":")[0] for line in one.out.splitlines() if line.startswith("facts/")}
    assert reported == {"facts/products/mi5.yaml"}
    # The other file's problem is still found (references cross files), just not reported.
    clean = kb("check", "facts/organizations/xiaomi.yaml", cwd=root)
    assert clean.code == 0, clean.out


def test_checking_a_missing_path_is_a_usage_error(tmp_path: Path, kb):
    root = _copy_case("one-file", tmp_path)
    result = kb("check", "facts/products/mi-tw.yaml", cwd=root)
    assert result.code == 2
    assert result.out == ""
    assert result.err == "kb check: facts/products/mi-tw.yaml: no such file or folder\n"


GITHUB_LINE = re.compile(
    r"^::(?P<severity>error|warning) file=(?P<file>[^,:]+)"
    r"(?:,line=(?P<line>\d+)(?:,col=(?P<col>\d+))?)?,title=(?P<code>[a-z0-9-]+)::(?P<message>.+)$"
)


@pytest.mark.parametrize("case", ["unknown-reference", "unused-source", "bad-id"])
def test_github_annotations(case: str, tmp_path: Path, kb):
    """`--format github`: one workflow command per problem, at the same place as the text."""
    root = _copy_case(case, tmp_path)
    text = kb("check", cwd=root)
    github = kb("check", "--format", "github", cwd=root)
    assert github.code == text.code
    assert github.err == ""
    *annotations, summary = github.out.splitlines()
    assert summary == text.out.splitlines()[-1]
    assert annotations
    text_headlines = [line for line in text.out.splitlines() if line.startswith("facts/")]
    assert len(annotations) == len(text_headlines)
    for annotation, headline in zip(annotations, text_headlines, strict=True):
        match = GITHUB_LINE.match(annotation)
        assert match, f"not a GitHub annotation: {annotation!r}"
        location = match["file"] + "".join(
            f":{match[key]}" for key in ("line", "col") if match[key] is not None
        )
        assert headline.startswith(location + ": ")
        severity = "warning: " if match["severity"] == "warning" else ""
        assert headline == f"{location}: {severity}{match['message']}"


def test_github_annotation_exact_form(tmp_path: Path, kb):
    root = _copy_case("unknown-reference", tmp_path)
    out = kb("check", "--format", "github", cwd=root).out
    assert (
        "::error file=facts/products/mi-tv.yaml,line=7,col=8,title=unknown-reference::"
        "maker: unknown organization 'xiaomy' (did you mean 'xiaomi'?)"
    ) in out.splitlines()


@pytest.mark.parametrize("case", ["wrong-type", "unused-source", "not-utf8"])
def test_json_report(case: str, tmp_path: Path, kb):
    root = _copy_case(case, tmp_path)
    text = kb("check", cwd=root)
    result = kb("check", "--format", "json", cwd=root)
    assert result.code == text.code
    report = json.loads(result.out)
    assert set(report) == {"problems", "errors", "warnings", "records", "strict"}
    problems = report["problems"]
    assert problems
    assert report["errors"] == sum(p["severity"] == "error" for p in problems)
    assert report["warnings"] == sum(p["severity"] == "warning" for p in problems)
    fields = {"path", "line", "column", "field", "message", "code", "severity", "source_line"}
    for problem in problems:
        assert set(problem) == fields
        assert problem["path"].startswith("facts/")
        assert problem["severity"] in {"error", "warning"}
        assert problem["code"] and problem["message"]
        # The JSON form says the same as the text form's headline.
        location = problem["path"] + "".join(
            f":{problem[key]}" for key in ("line", "column") if problem[key] is not None
        )
        severity = "warning: " if problem["severity"] == "warning" else ""
        subject = f"{problem['field']}: " if problem["field"] else ""
        assert f"{location}: {severity}{subject}{problem['message']}" in text.out.splitlines()
