"""The generated schema files: current, valid, true to the validator, and usable where they go.

`schemas/json/<kind>.schema.json` (editors) and `schemas/reference.md` (the site's schema
reference) are generated from generator/schemas/*.yaml by `kb schema` and committed. When a
schema changes, run `make schema` and commit the result; test_committed_files_are_current fails
until then.
"""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

from generator.schema import default_schemas
from generator.schema_outputs import (
    JSON_DIR,
    REFERENCE_FILE,
    generated_files,
    json_schema_path,
    schema_header_line,
)

from .conftest import DATASET_SNAPSHOT

REPO = Path(__file__).resolve().parents[1]
# A realistic knowledge base for the schemas to hold to (the live facts/ are the dataset
# tests' to check: tests/test_dataset.py).
FACTS = DATASET_SNAPSHOT / "facts"
SCHEMAS = default_schemas()
# The Markdown extensions the site enables (mkdocs.yml): the reference must render under them.
SITE_MARKDOWN_EXTENSIONS = ["tables", "footnotes", "admonition", "toc", "pymdownx.superfences"]


class _TextDates(SafeConstructor):
    """Safe loading as an editor's YAML 1.2 language server sees a file: dates stay text."""


_TextDates.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
)


def _load(path: Path):
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _TextDates
    return yaml.load(path.read_text(encoding="utf-8"))


def _validator(kind: str) -> Draft202012Validator:
    schema = json.loads((REPO / json_schema_path(kind)).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _fact_files() -> list[Path]:
    files = sorted(FACTS.glob("*/*.yaml"))
    assert files, f"no fact files under {FACTS}"
    return files


def _kind_of(path: Path) -> str:
    return SCHEMAS.by_plural[path.parent.name].kind


def test_committed_files_are_current():
    expected = generated_files(SCHEMAS)
    stale = [
        rel
        for rel, text in expected.items()
        if not (REPO / rel).is_file() or (REPO / rel).read_text(encoding="utf-8") != text
    ]
    leftovers = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / JSON_DIR).glob("*.schema.json")
        if path.relative_to(REPO).as_posix() not in expected
    ]
    assert not stale and not leftovers, (
        f"generated schema files are stale: {stale + leftovers}. The schemas in "
        "generator/schemas/ changed: run `make schema` and commit the result."
    )


@pytest.mark.parametrize("kind", sorted(SCHEMAS.kinds))
def test_json_schema_is_valid_draft_2020_12(kind: str):
    schema = json.loads((REPO / json_schema_path(kind)).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("kind", sorted(SCHEMAS.kinds))
def test_json_schema_describes_every_field(kind: str):
    """Editors show these on hover and completion: no field and no enum value without words."""
    schema = json.loads((REPO / json_schema_path(kind)).read_text(encoding="utf-8"))

    def walk(node: dict, where: str):
        if "enum" in node:
            assert len(node["enumDescriptions"]) == len(node["enum"]), where
            assert all(text.strip() for text in node["enumDescriptions"]), where
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description", "").strip(), f"{where}.{name} has no description"
            walk(sub, f"{where}.{name}")
        if "items" in node:
            walk(node["items"], f"{where}[]")

    walk(schema, kind)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(SCHEMAS.kinds[kind].required_fields)


@pytest.mark.parametrize("path", _fact_files(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_fact_file_passes_its_json_schema(path: Path):
    errors = sorted(
        _validator(_kind_of(path)).iter_errors(_load(path)), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(
        f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_every_fact_file_names_its_json_schema():
    for path in _fact_files():
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == schema_header_line(_kind_of(path)), path
        # The header is relative to a fact file in the repository's facts/<folder>/.
        named = (REPO / "facts" / path.parent.name / first_line.split("$schema=", 1)[1]).resolve()
        assert named == (REPO / json_schema_path(_kind_of(path))).resolve()
        assert named.is_file()


def _set(data: dict, path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()
BROKEN_PRODUCTS = {
    "unknown field": (("made_by",), "xiaomi", ()),
    "unknown nested field": (("sold_at", 0, "shop"), "walmart", ("sold_at", 0)),
    "missing required field": (("maker",), _DELETE, ()),
    "missing nested required field": (("sold_at", 0, "retailer"), _DELETE, ("sold_at", 0)),
    "unknown enum value": (("category",), "phone", ("category",)),
    "reference that is not an id": (("maker",), "Xiaomi Inc.", ("maker",)),
    "date that is not a date": (("sold_at", 0, "since"), "last year", ("sold_at", 0, "since")),
    "year too short": (("released",), 18, ("released",)),
    "date with a time": (("released",), "2018-05-01T10:00", ("released",)),
    "number for text": (("name",), 42, ("name",)),
    "blank text": (("name",), "  ", ("name",)),
    "text for a list": (("sold_at",), "walmart", ("sold_at",)),
    "no citations": (("citations",), [], ("citations",)),
    "citation that is not a mapping": (("citations", 0), "article", ("citations", 0)),
    "record id written in the file": (("id",), "mi-tv", ()),
}


@pytest.mark.parametrize("case", sorted(BROKEN_PRODUCTS))
def test_broken_facts_fail_their_json_schema(case: str):
    path, value, error_at = BROKEN_PRODUCTS[case]
    valid = _load(FACTS / "products" / "mi-tv.yaml")
    assert not list(_validator("product").iter_errors(valid))
    broken = _set(valid, path, value)
    errors = list(_validator("product").iter_errors(broken))
    assert errors, f"{case}: the JSON Schema accepts it"
    assert error_at in [tuple(error.absolute_path) for error in errors], [
        (list(e.absolute_path), e.message) for e in errors
    ]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.com/a", "//example.com/a", "example.com/article"],
)
def test_source_urls_must_be_web_addresses(url: str):
    source = _load(FACTS / "sources" / "xiaomi-us-plans-article.yaml")
    assert not list(_validator("source").iter_errors({**source, "url": "https://example.com/a"}))
    assert list(_validator("source").iter_errors({**source, "url": url}))


@pytest.mark.parametrize(
    "date",
    [
        2018,
        "2018",
        "2018-11",
        "2018-11-02",
        "early 2019",
        "2017-11~",
        "2014?",
        "end 2018/early 2019",
        "../2018",
        "2018/..",
    ],
)
def test_json_schema_accepts_every_date_form(date):
    person = _load(FACTS / "people" / "lei-jun.yaml")
    person["positions"][0]["from"] = date
    assert not list(_validator("person").iter_errors(person))


class _Rendered(HTMLParser):
    """Tables (cells per row), element ids and in-page links of the rendered reference."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[int]] = []
        self.ids: set[str] = set()
        self.fragments: list[str] = []
        self.code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.fragments.append(attrs["href"][1:])
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append(0)
        elif tag in ("td", "th"):
            self.tables[-1][-1] += 1
        elif tag == "code":
            self._in_code = True
            self.code.append("")

    def handle_endtag(self, tag):
        if tag == "code":
            self._in_code = False

    def handle_data(self, data):
        if self._in_code:
            self.code[-1] += data


@pytest.fixture(scope="module")
def rendered_reference() -> _Rendered:
    text = (REPO / REFERENCE_FILE).read_text(encoding="utf-8")
    parser = _Rendered()
    parser.feed(markdown.markdown(text, extensions=SITE_MARKDOWN_EXTENSIONS))
    return parser


def test_reference_tables_keep_their_columns(rendered_reference):
    """A '|' in a description would split a cell: every row has as many cells as its header."""
    assert len(rendered_reference.tables) >= len(SCHEMAS.kinds) + 3
    for table in rendered_reference.tables:
        assert len(set(table)) == 1, f"a table has rows of {sorted(set(table))} cells"


def test_reference_links_point_at_its_headings(rendered_reference):
    """The site builds with mkdocs --strict, which fails on a link to a missing anchor."""
    assert rendered_reference.fragments
    missing = set(rendered_reference.fragments) - rendered_reference.ids
    assert not missing


def test_reference_lists_every_field_and_enum_value(rendered_reference):
    shown = set(rendered_reference.code)

    def walk(fields: dict, prefix: str):
        for name, spec in fields.items():
            path = f"{prefix}{name}"
            assert path in shown, f"{path} is not in the reference"
            values = spec.items.values if spec.type == "list" else spec.values
            assert set(values) <= shown, f"{path}: values {sorted(set(values) - shown)}"
            nested = spec.items if spec.type == "list" else spec
            if nested.type == "object":
                walk(nested.fields, f"{path}{'[].' if spec.type == 'list' else '.'}")

    for kind in SCHEMAS:
        walk(kind.fields, "")


def test_kb_schema_refuses_a_folder_without_facts(tmp_path: Path, kb):
    result = kb("schema", cwd=tmp_path)
    assert result.code == 2
    assert "no knowledge base at" in result.err
    assert not (tmp_path / "schemas").exists()


def test_kb_schema_writes_and_checks(tmp_path: Path, kb):
    (tmp_path / "facts").mkdir()
    stale = kb("schema", "--check", cwd=tmp_path)
    assert stale.code == 1
    assert "schemas/reference.md: missing" in stale.out.splitlines()
    assert "run `make schema`" in stale.out
    assert not (tmp_path / "schemas").exists(), "--check must not write"

    written = kb("schema", cwd=tmp_path)
    assert written.code == 0, written.err
    assert f"created {REFERENCE_FILE}" in written.out.splitlines()
    for rel, text in generated_files(SCHEMAS).items():
        assert (tmp_path / rel).read_text(encoding="utf-8") == text
    assert kb("schema", "--check", cwd=tmp_path).code == 0
    assert kb("schema", cwd=tmp_path).out == "Schemas up to date.\n"

    # A hand edit and a schema of a kind that no longer exists are both reported, not fixed.
    reference = tmp_path / REFERENCE_FILE
    reference.write_text("# edited by hand\n", encoding="utf-8")
    leftover = tmp_path / JSON_DIR / "gadget.schema.json"
    leftover.write_text("{}\n", encoding="utf-8")
    check = kb("schema", "--check", cwd=tmp_path)
    assert check.code == 1
    assert check.out.splitlines()[:2] == [
        "schemas/reference.md: out of date",
        "schemas/json/gadget.schema.json: no longer generated",
    ]
    assert reference.read_text(encoding="utf-8") == "# edited by hand\n"
    assert leftover.exists()

    fixed = kb("schema", cwd=tmp_path)
    assert fixed.out.splitlines() == [
        f"updated {REFERENCE_FILE}",
        "deleted schemas/json/gadget.schema.json",
        "Schemas: 2 generated files changed.",
    ]
    assert not leftover.exists()
    assert kb("schema", "--check", cwd=tmp_path).code == 0
