"""The loader's fast path (fastload.py) reads exactly what the careful round-trip reader reads.

The fast path may decline any file (it then goes the careful way), but a file it accepts must
give the same data the careful reader gives, with no problem the careful reader would report.
These tests hold it to that on every fact file of the test fixtures, on
generated documents, and on the cases YAML 1.1 and 1.2 read differently.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import load
from generator.load import (
    MAX_NESTING_DEPTH,
    MAX_TEXT_PER_FILE,
    MAX_VALUES_PER_FILE,
    FactFile,
    read_fact_file,
)
from generator.load.fastload import read_plain_data
from generator.problems import ProblemCollector

from .conftest import REPO_ROOT
from .saved_examples import replays_saved_examples

LIMITS = (MAX_VALUES_PER_FILE, MAX_TEXT_PER_FILE, MAX_NESTING_DEPTH // 2)


def fast(text: str):
    return read_plain_data(text, *LIMITS)


def careful(text: str, folder: Path, monkeypatch) -> tuple[dict | None, list]:
    """What read_fact_file makes of `text` with the fast path switched off."""
    path = folder / "sample.yaml"
    path.write_text(text, encoding="utf-8")
    fact = FactFile(
        path=path, rel="facts/organizations/sample.yaml", folder="organizations", id="sample"
    )
    collector = ProblemCollector()
    with monkeypatch.context() as patch:
        patch.setattr(load, "read_plain_data", lambda *args: None)
        read_fact_file(fact, collector)
    return fact.data, collector.problems


def assert_same_as_careful(text: str, folder: Path, monkeypatch) -> None:
    data = fast(text)
    if data is None:
        return  # declined: the careful reader handles it, whatever it is
    careful_data, problems = careful(text, folder, monkeypatch)
    assert problems == [], f"fast path accepted a file the careful reader reports:\n{text}"
    assert data == careful_data, text
    assert _types(data) == _types(careful_data), text


def _types(value):
    """The data's shape with types, so 1 and True and 1.0 are told apart."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__


def every_fixture_file() -> list[Path]:
    # The test fixtures, the dataset's snapshot among them (the live facts/ are the dataset
    # tests' to read).
    return sorted(path for path in (REPO_ROOT / "tests").rglob("*.yaml") if path.is_file())


@pytest.mark.parametrize("path", every_fixture_file(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_fixture_files_read_the_same(path, tmp_path, monkeypatch):
    try:
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: rejected before either parser runs")
    assert_same_as_careful(text, tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML 1.1 reads these as booleans; YAML 1.2, and fact files, as text.
        (
            "a: no\nb: on\nc: yes\nd: off\ne: y\nf: N\n",
            {k: v for k, v in zip("abcdef", ["no", "on", "yes", "off", "y", "N"], strict=True)},
        ),
        # Dates stay the text written: dates.py parses them, keeping their precision.
        (
            "said: 2018-11-02\nfrom: 2018-02-30\nat: 2001-12-14t21:59:43.10-05:00\n",
            {"said": "2018-11-02", "from": "2018-02-30", "at": "2001-12-14t21:59:43.10-05:00"},
        ),
        (
            "year: 2018\nshare: 0.5\nnegative: -3\nflag: true\nnothing: ~\nempty:\n",
            {
                "year": 2018,
                "share": 0.5,
                "negative": -3,
                "flag": True,
                "nothing": None,
                "empty": None,
            },
        ),
        (
            "quoted: 'no'\ndouble: \"2018\"\nfolded: >-\n  one\n  two\n",
            {"quoted": "no", "double": "2018", "folded": "one two"},
        ),
        ("said: Wow!\nlist: [a, b]\n", {"said": "Wow!", "list": ["a", "b"]}),
    ],
)
def test_yaml_12_values(text, expected, tmp_path, monkeypatch):
    assert fast(text) == expected
    assert_same_as_careful(text, tmp_path, monkeypatch)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system x\n",  # tags are the careful reader's to reject
        "a: !custom x\n",
        "a: &x !!str 1\n",
        "base: &b {x: 1}\nother:\n  <<: *b\n",  # merge keys
        "a:\tb\n",  # tabs
        "no: no\nyes: \r\n",  # a Windows line ending: the careful reader warns of it
        "%YAML 1.1\n---\na: no\n",  # a directive that changes what `no` means
        "a: 0o17\nb: 0x1F\n",  # numbers in forms other than plain decimal
        "a: 1_000\n",
        "a: 1e3\n",
        "a: .inf\n",
        "a: 1\na: 2\n",  # duplicate keys
        "1: one\n",  # a key that is not text
        "- a\n- b\n",  # not a mapping
        "a: [b\n",  # a syntax error
        "a: 1\n---\nb: 2\n",  # two documents
    ],
)
def test_declines_what_the_careful_reader_must_judge(text):
    assert fast(text) is None


def test_alias_bomb_is_declined_within_the_bounds():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    assert fast("\n".join(lines) + "\n") is None  # 10^9 values: stopped at the budget


def test_deep_nesting_never_reaches_the_c_parser():
    # libyaml's composer recurses in C: nesting this deep would crash the process outright, so
    # run it in a child and require a clean exit.
    code = (
        "from generator.load.fastload import read_plain_data\n"
        "text = 'a: ' + '[' * 200000 + ']' * 200000\n"
        "print(read_plain_data(text, 20000, 262144, 32))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


# Generated documents: mappings of keys to scalars, lists and nested mappings, written in the
# styles fact files use and some they should not, with scalars that YAML reads in many ways.
SCALARS = st.sampled_from(
    [
        "no",
        "yes",
        "on",
        "Off",
        "y",
        "~",
        "null",
        "NULL",
        "true",
        "False",
        "=",
        "<<",
        "2018",
        "2018-11",
        "2018-11-02",
        "-0",
        "+1",
        "0",
        "007",
        "0o7",
        "0x1F",
        "1_0",
        "1.5",
        "-2.25",
        ".5",
        "1e3",
        ".inf",
        ".NaN",
        "12:30",
        "1:20:30",
        "a: b",
        "a #b",
        "#c",
        "- x",
        "[x]",
        "{x: y}",
        "x, y",
        "'q'",
        '"d"',
        "Wow!",
        "!x",
        "&a",
        "*a",
        "@x",
        "`x",
        "%x",
        "AT&T",
        "Zoë",
        "“quoted”",
        "tab\there",
        "line\nbreak",
        "trailing ",
        " leading",
        "",
        "a\u2028b",
        "back\\slash",
        "http://x.example/a?b=1#c",
    ]
) | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def _scalar_forms(value: str) -> st.SearchStrategy[str]:
    double = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    single = "'" + value.replace("'", "''") + "'"
    return st.sampled_from([value, double, single])


@st.composite
def documents(draw, depth=0):
    lines = []
    keys = draw(
        st.lists(SCALARS | st.sampled_from(["name", "summary", "a", "b"]), min_size=1, max_size=5)
    )
    for key in keys:
        key_text = draw(_scalar_forms(key))
        shape = draw(st.sampled_from(["scalar", "flow", "block-list", "folded", "nested"]))
        if shape == "scalar":
            lines.append(f"{key_text}: {draw(SCALARS.flatmap(_scalar_forms))}")
        elif shape == "flow":
            items = draw(st.lists(SCALARS.flatmap(_scalar_forms), max_size=3))
            lines.append(f"{key_text}: [{', '.join(items)}]")
        elif shape == "block-list":
            lines.append(f"{key_text}:")
            for item in draw(st.lists(SCALARS.flatmap(_scalar_forms), min_size=1, max_size=3)):
                lines.append(f"  - {item}")
        elif shape == "folded":
            lines.append(f"{key_text}: {draw(st.sampled_from(['>-', '|', '>', '|-']))}")
            for line in draw(st.lists(SCALARS, min_size=1, max_size=3)):
                lines.append(f"  {line}")
        elif depth < 2:
            lines.append(f"{key_text}:")
            lines += ["  " + line for line in draw(documents(depth=depth + 1)).splitlines()]
        else:
            lines.append(f"{key_text}: {{}}")
    return "\n".join(lines) + "\n"


@replays_saved_examples
@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=documents())
def test_generated_documents_read_the_same(text, tmp_path, monkeypatch):
    assert_same_as_careful(text, tmp_path, monkeypatch)
