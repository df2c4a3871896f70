"""`kb fmt`: one canonical layout for fact files, that never changes what a file says.

Through the command line: what a messy file becomes (exactly), --check, files left alone, the
real dataset. Then property tests on the formatter itself: for generated fact files full of
comments and awkward strings, formatting keeps the data and every comment, and formatting the
result again changes nothing.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.load import new_fact_yaml
from generator.schema import default_schemas
from generator.tools.format import FactFormatter, FormatError, plain_data

from .conftest import run_kb
from .saved_examples import replays_saved_examples

SCHEMAS = default_schemas()

MESSY_PRODUCT = (
    "\ufeff# yaml-language-server: $schema=../../schemas/json/product.schema.json\r\n"
    "citations:\r\n"
    "- locator: 'paragraph 2'\r\n"
    "  source: the-source   # the only source\r\n"
    "note: >-\r\n"
    "  Short note.\r\n"
    "# about the maker\r\n"
    'maker: "xiaomi"\r\n'
    "released: 2018\r\n"
    "announced: '2018'\r\n"
    "category: smartphone\r\n"
    "name: 'Mi 8: the phone'\r\n"
    "zz_unknown: kept\r\n"
    "aliases:\r\n"
    "    - Mi8\r\n"
    "    - 'yes'\r\n"
    'summary: "A phone that its maker announced and sold, described here in enough words to'
    ' run well past the line width."\r\n'
    "sold_at:\r\n"
    "  - {citations: [{source: the-source}], since: 2018-06-01, retailer: walmart}\r\n"
)

FORMATTED_PRODUCT = """\
# yaml-language-server: $schema=../../schemas/json/product.schema.json
name: "Mi 8: the phone"
aliases: [Mi8, "yes"]
# about the maker
maker: xiaomi
category: smartphone
announced: "2018"
released: 2018
sold_at:
  - retailer: walmart
    since: 2018-06-01
    citations:
      - source: the-source
summary: >-
  A phone that its maker announced and sold, described here in enough words to run well past the
  line width.
note: Short note.
citations:
  - source: the-source  # the only source
    locator: paragraph 2
zz_unknown: kept
"""


def _knowledge_base(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return tmp_path


def test_fmt_writes_the_canonical_layout(tmp_path):
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": MESSY_PRODUCT})
    result = run_kb("fmt", cwd=root)
    assert result.out == (
        "facts/products/mi-8.yaml: reformatted\n1 file reformatted, 0 already formatted.\n"
    )
    assert result.code == 0
    written = (root / "facts/products/mi-8.yaml").read_bytes()
    assert written == FORMATTED_PRODUCT.encode("utf-8")  # LF, no BOM, one final newline


def test_fmt_keeps_the_data_exactly(tmp_path):
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": MESSY_PRODUCT})
    yaml = new_fact_yaml()
    before = yaml.load(MESSY_PRODUCT.lstrip("\ufeff").replace("\r\n", "\n"))
    run_kb("fmt", cwd=root)
    after = yaml.load((root / "facts/products/mi-8.yaml").read_text(encoding="utf-8"))
    assert plain_data(after) == plain_data(before)
    # The types the loader sees, spelled out: a quoted year stays text, a bare one a number,
    # a date stays the text it was written as, and 'yes' stays the word (quoted, so that
    # YAML 1.1 readers do not take it for true).
    assert after["announced"] == "2018" and after["released"] == 2018
    assert after["sold_at"][0]["since"] == "2018-06-01"
    assert after["aliases"] == ["Mi8", "yes"]


def test_fmt_check_names_the_files_and_writes_nothing(tmp_path):
    root = _knowledge_base(
        tmp_path,
        {
            "facts/products/mi-8.yaml": MESSY_PRODUCT,
            "facts/products/tidy.yaml": FORMATTED_PRODUCT,
        },
    )
    result = run_kb("fmt", "--check", cwd=root)
    assert result.out == (
        "facts/products/mi-8.yaml: would reformat\n"
        "1 file would be reformatted, 1 already formatted. Run `kb fmt` to reformat them.\n"
    )
    assert result.code == 1
    assert (root / "facts/products/mi-8.yaml").read_bytes() == MESSY_PRODUCT.encode("utf-8")


def test_fmt_check_diff_shows_the_change(tmp_path):
    messy = FORMATTED_PRODUCT.replace("note: Short note.", "note: 'Short note.'")
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": messy})
    result = run_kb("fmt", "--check", "--diff", "facts/products/mi-8.yaml", cwd=root)
    assert "-note: 'Short note.'\n+note: Short note.\n" in result.out
    assert result.code == 1


def test_fmt_is_idempotent(tmp_path):
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": MESSY_PRODUCT})
    run_kb("fmt", cwd=root)
    again = run_kb("fmt", "--check", cwd=root)
    assert again.out == "1 already formatted.\n"
    assert again.code == 0


def test_a_file_that_does_not_parse_is_reported_and_left_alone(tmp_path):
    broken = "name: [Mi 8\nmaker: xiaomi\n"
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": broken})
    result = run_kb("fmt", cwd=root)
    lines = result.out.splitlines()
    assert lines[0].startswith("facts/products/mi-8.yaml:2:")  # location first
    assert "facts/products/mi-8.yaml: not formatted: fix the error above first" in lines
    assert lines[-1] == "1 file not formatted (see above), 0 already formatted."
    assert result.code == 1
    assert (root / "facts/products/mi-8.yaml").read_text(encoding="utf-8") == broken


def test_a_comment_no_layout_can_keep_is_reported_and_left_alone(tmp_path):
    text = "name:\n  # the name as printed on the box\n  Mi 8\nmaker: xiaomi\n"
    root = _knowledge_base(tmp_path, {"facts/products/mi-8.yaml": text})
    result = run_kb("fmt", cwd=root)
    assert result.out.splitlines()[0] == (
        "facts/products/mi-8.yaml:2: not formatted: a comment between 'name:' and its value "
        "would be lost; move it above 'name:' or to the end of the value's line"
    )
    assert result.code == 1
    assert (root / "facts/products/mi-8.yaml").read_text(encoding="utf-8") == text


def test_fmt_formats_only_the_files_named(tmp_path):
    root = _knowledge_base(
        tmp_path,
        {"facts/products/a.yaml": MESSY_PRODUCT, "facts/products/b.yaml": MESSY_PRODUCT},
    )
    result = run_kb("fmt", "facts/products/b.yaml", cwd=root)
    assert result.out.splitlines()[0] == "facts/products/b.yaml: reformatted"
    assert (root / "facts/products/a.yaml").read_bytes() == MESSY_PRODUCT.encode("utf-8")


# Property tests: generated fact files, with comments everywhere a contributor puts them.

_FORMATTER = FactFormatter()
_YAML = new_fact_yaml()
_TRICKY = [
    "2018",
    "2018-11",
    "2018-11-02",
    "../2018",
    "early 2019",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "",
    " leading",
    "trailing ",
    "a: b",
    "a #b",
    "- dash",
    "[x]",
    "{y}",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "@at",
    "`tick`",
    "'single'",
    '"double"',
    "“curly”",
    "tab\there",
    "two  spaces",
    "line\nbreak",
    "para\n\nbreak\n",
    "  indented\nlines",
    "#hash",
    "? q",
    "x" * 120,
    "https://example.com/" + "a" * 100,
]
_WORDS = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " .,:;'\"#-[]{}!?&*’“”é"),
    max_size=160,
)
_TEXT = st.one_of(st.sampled_from(_TRICKY), _WORDS, st.text(max_size=30).filter(str.isprintable))
_SCALAR = st.one_of(_TEXT, st.integers(-3, 3000), st.booleans(), st.none())


def _double_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _scalar_text(value, draw) -> tuple[str, list[str]]:
    """(text after 'key:', further lines) for a scalar written in one of YAML's styles."""
    if value is None:
        return "", []
    if isinstance(value, bool):
        return ("true" if value else "false"), []
    if isinstance(value, int):
        return str(value), []
    style = draw(st.sampled_from(["double", "single", "literal", "plain"]))
    lines = value.split("\n")
    if (
        style == "literal"
        and value.strip()
        and not value[0].isspace()
        and all(line == line.rstrip() for line in lines)
        and not value.endswith("\n\n")
    ):
        chomp = "" if value.endswith("\n") else "-"
        body = value[:-1].split("\n") if value.endswith("\n") else lines
        return f"|{chomp}", body
    if style == "single" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'", []
    if style == "plain" and re.fullmatch(r"[A-Za-z][A-Za-z ]*[A-Za-z]", value or "-"):
        if value not in ("yes", "no", "true", "false", "null"):
            return value, []
    return _double_quoted(value), []


@st.composite
def fact_files(draw) -> tuple[str, list[str]]:
    """A product file as a contributor might write it: any key order, comments on their own
    lines and at line ends, strings in every style. Returns (text, comment markers)."""
    schema = SCHEMAS.kinds["product"]
    counter = iter(range(1, 10_000))
    markers: list[str] = []
    lines = ["# yaml-language-server: $schema=../../schemas/json/product.schema.json"]

    def marker() -> str:
        text = f"# note{next(counter)}"
        markers.append(text)
        return text

    def value_lines(prefix: str, indent: int, value, may_comment_end: bool = True) -> None:
        if draw(st.booleans()):
            lines.append(" " * indent + marker())
        head, more = _scalar_text(value, draw)
        end = ""
        if may_comment_end and draw(st.booleans()) and not (head.startswith("|") and "-" in prefix):
            end = "  " + marker()
        lines.append(f"{prefix} {head}".rstrip() + end)
        lines.extend((" " * (indent + 2) + line) if line else "" for line in more)

    keys = draw(
        st.lists(st.sampled_from([*schema.fields, "extra"]), unique=True, min_size=1, max_size=9)
    )
    for key in keys:
        shape = draw(st.sampled_from(["scalar", "scalar", "flow", "block-list", "citations"]))
        if shape == "scalar":
            value_lines(f"{key}:", 0, draw(_SCALAR))
        elif shape == "flow":
            items = draw(st.lists(st.sampled_from(["xiaomi", "att", "mi-tv", '"a, b"', "7"])))
            lines.append(f"{key}: [{', '.join(items)}]")
        elif shape == "block-list":
            lines.append(f"{key}:")
            for item in draw(st.lists(_SCALAR, min_size=1, max_size=3)):
                value_lines("  -", 2, item)
        else:
            lines.append(f"{key}:")
            for _ in range(draw(st.integers(1, 2))):
                names = draw(
                    st.lists(
                        st.sampled_from(["source", "excerpt", "locator", "via", "other"]),
                        unique=True,
                        min_size=1,
                        max_size=4,
                    )
                )
                for position, name in enumerate(names):
                    prefix = ("  - " if position == 0 else "    ") + name + ":"
                    value_lines(prefix, 4, draw(_SCALAR))
        if draw(st.booleans()):
            lines.append(marker())
    return "\n".join(lines) + "\n", markers


@replays_saved_examples
@settings(
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(fact_files())
def test_formatting_keeps_data_and_comments_and_is_idempotent(generated):
    text, markers = generated
    original = _YAML.load(text)
    formatted = _FORMATTER.format_text(text, SCHEMAS.kinds["product"])
    assert plain_data(_YAML.load(formatted)) == plain_data(original)
    for comment in markers:  # each marker is unique: its line must still be a comment
        assert re.search(rf"{re.escape(comment)}$", formatted, flags=re.M), comment
    assert _FORMATTER.format_text(formatted, SCHEMAS.kinds["product"]) == formatted
    assert formatted.endswith("\n") and not formatted.endswith("\n\n")
    assert "\r" not in formatted and not formatted.startswith("\ufeff")


def test_the_guard_refuses_rather_than_changes_the_data():
    # A comment after a list item's `|` is one ruamel cannot write back: refused, with the line.
    text = "aliases:\n  - |-  # two lines\n    a\n    b\n"
    with pytest.raises(FormatError) as raised:
        _FORMATTER.format_text(text, SCHEMAS.kinds["product"])
    assert raised.value.line == 2
