"""`kb new`: a commented template for any kind, filled from --set, checked at once.

Through the command line, in a copy of the real knowledge base (so references resolve).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from generator.load import new_fact_yaml
from generator.schema import default_schemas
from generator.tools.format import plain_data

from .conftest import DATASET_SNAPSHOT, run_kb

SCHEMAS = default_schemas()


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    shutil.copytree(DATASET_SNAPSHOT / "facts", tmp_path / "facts")
    return tmp_path


def _load(path: Path):
    return new_fact_yaml().load(path.read_text(encoding="utf-8"))


def test_new_writes_a_short_file_and_checks_it(kb_root):
    result = run_kb("new", "product", "mi-8", cwd=kb_root)
    assert result.code == 0
    path = kb_root / "facts/products/mi-8.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schemas/json/product.schema.json"
    out = result.out.splitlines()
    assert out[0] == (
        "Wrote facts/products/mi-8.yaml: a product with its required fields. Fill them in, and "
        "add the optional fields a source supports (schemas/reference.md)."
    )
    assert out[1] == "Checking it (kb check facts/products/mi-8.yaml):"
    # The check names each required field still empty, at its line in the new file.
    for field in ("name", "maker", "category", "citations[0].source"):
        number = next(
            n
            for n, line in enumerate(lines, 1)
            if re.match(rf"\s*(- )?{re.escape(field.split('.')[-1])}:$", line)
        )
        assert any(
            line.startswith(f"facts/products/mi-8.yaml:{number}:") and f" {field}: " in line
            for line in out
        ), (field, number, result.out)
    assert out[-1] == "4 errors in 1 file."


def test_a_new_file_holds_the_required_fields_and_a_pointer_to_the_reference(kb_root):
    written = []
    for kind, schema in sorted(SCHEMAS.kinds.items()):
        result = run_kb("new", kind, f"new-{kind}", cwd=kb_root)
        assert result.code == 0, result.out
        rel = f"facts/{schema.plural}/new-{kind}.yaml"
        written.append(rel)
        text = (kb_root / rel).read_text(encoding="utf-8")
        lines = text.splitlines()
        # The schema header, then a short pointer to where the fields are described: the
        # guidance lives in the editor's schema and the reference, not in every file.
        comments = [line for line in lines if line.lstrip().startswith("#")]
        assert lines[: len(comments)] == comments and 2 <= len(comments) <= 3, text
        assert "schemas/reference.md" in " ".join(comments) and rel in " ".join(comments)
        # The required fields, in schema order; nothing optional.
        keys = [line.split(":")[0] for line in lines if re.match(r"^[a-z_]+:", line)]
        assert keys == [name for name, spec in schema.fields.items() if spec.required], kind
        assert len(lines) < 20, (kind, text)
    # A fresh file is already in kb fmt's layout.
    check = run_kb("fmt", "--check", *written, cwd=kb_root)
    assert check.code == 0, check.out


def test_set_fills_fields_with_real_values(kb_root):
    result = run_kb(
        "new", "product", "mi-8",
        "--set", "name=Mi 8",
        "--set", "maker=xiaomi",
        "--set", "category=smartphone",
        "--set", "aliases=Xiaomi Mi 8",
        "--set", "aliases=Mi8",
        "--set", "released=2018",
        "--set", "citations[0].source=xiaomi-us-plans-article",
        "--set", "citations[0].locator=paragraph 2",
        "--set", "citations[0].excerpt=Xiaomi: “quoted”, and #not a comment",
        cwd=kb_root,
    )  # fmt: skip
    assert result.code == 0, result.out
    records = len(list((kb_root / "facts").rglob("*.yaml")))
    assert result.out.splitlines()[-1] == f"OK: {records} records checked, no problems."
    data = _load(kb_root / "facts/products/mi-8.yaml")
    expected = {
        "name": "Mi 8",
        "aliases": ["Xiaomi Mi 8", "Mi8"],
        "maker": "xiaomi",
        "category": "smartphone",
        "released": "2018",
        "citations": [
            {
                "source": "xiaomi-us-plans-article",
                "excerpt": "Xiaomi: “quoted”, and #not a comment",
                "locator": "paragraph 2",
            }
        ],
    }
    assert plain_data(data) == plain_data(expected)


def test_set_takes_a_yaml_list_and_nested_items(kb_root):
    result = run_kb(
        "new", "relationship", "xiaomi-att-partnership",
        "--set", "title=Xiaomi and AT&T",
        "--set", "type=carrier-partnership",
        "--set", "parties.carrier=att",
        "--set", "parties.maker=xiaomi",
        "--set", "status_history[0].status=planned",
        "--set", "status_history[0].citations[0].source=xiaomi-us-plans-article",
        "--set", "citations[0].source=xiaomi-us-plans-article",
        "--from", "note=Set with --from, the same option.",
        cwd=kb_root,
    )  # fmt: skip
    assert result.code == 0, result.out
    data = _load(kb_root / "facts/relationships/xiaomi-att-partnership.yaml")
    assert data["parties"] == {"carrier": "att", "maker": "xiaomi"}
    assert data["status_history"] == [
        {"status": "planned", "citations": [{"source": "xiaomi-us-plans-article"}]}
    ]
    assert data["note"] == "Set with --from, the same option."


def test_new_never_overwrites(kb_root):
    before = (kb_root / "facts/products/mi-tv.yaml").read_bytes()
    result = run_kb("new", "product", "mi-tv", "--set", "name=Other", cwd=kb_root)
    assert result.out == (
        "kb new: facts/products/mi-tv.yaml already exists: kb new never overwrites a file "
        "(edit it, or choose another id)\n"
    )
    assert result.code == 1
    assert (kb_root / "facts/products/mi-tv.yaml").read_bytes() == before


def test_ids_are_unique_across_kinds(kb_root):
    result = run_kb("new", "product", "xiaomi", cwd=kb_root)
    assert result.out == (
        "kb new: id 'xiaomi' is also the id of facts/organizations/xiaomi.yaml: ids are unique "
        "across all kinds (choose another id)\n"
    )
    assert result.code == 1
    assert not (kb_root / "facts/products/xiaomi.yaml").exists()


def test_a_bad_id_gets_the_validators_rule(kb_root):
    result = run_kb("new", "product", "Mi 8", cwd=kb_root)
    assert result.out == (
        "kb new: 'Mi 8' is not a valid id: ids are lower-case letters and digits joined by "
        "single hyphens, at most 80 characters (try mi-8)\n"
    )
    assert result.code == 1
    assert not list((kb_root / "facts/products").glob("Mi*"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["phone", "mi-8"],
            "'phone' is not a kind of record; kinds are event, organization, person, product, "
            "quote, relationship, source",
        ),
        (
            ["product", "mi-8", "--set", "nmae=Mi 8"],
            "--set nmae=Mi 8: unknown field 'nmae' (did you mean 'name'?); product fields are "
            + ", ".join(SCHEMAS.kinds["product"].fields),
        ),
        (
            ["product", "mi-8", "--set", "citations.source=x"],
            "--set citations.source=x: 'citations' is a list: say which item, as in "
            "citations[0].source",
        ),
        (
            ["product", "mi-8", "--set", "citations[1].source=x"],
            "--set citations[1].source=x: set citations[0] first: list items are numbered from 0",
        ),
        (
            ["product", "mi-8", "--set", "name"],
            '--set name: write FIELD=VALUE, for example --set name="Mi 8"',
        ),
        (
            ["organization", "new-org", "--set", "group=maybe"],
            "--set group=maybe: group: expected true or false, got 'maybe'",
        ),
    ],
)
def test_bad_arguments_write_nothing(kb_root, arguments, message):
    before = sorted(path.relative_to(kb_root) for path in kb_root.rglob("*"))
    result = run_kb("new", *arguments, cwd=kb_root)
    assert result.out == f"kb new: {message}\n"
    assert result.code == 1
    assert sorted(path.relative_to(kb_root) for path in kb_root.rglob("*")) == before


def test_optional_fields_given_are_written_with_their_structure(kb_root):
    result = run_kb("new", "product", "mi-8", "--set", "sold_at[0].retailer=walmart", cwd=kb_root)
    assert result.code == 0, result.out
    data = _load(kb_root / "facts/products/mi-8.yaml")
    sold_at = SCHEMAS.kinds["product"].fields["sold_at"].items.fields
    required = [name for name, spec in sold_at.items() if spec.required]
    assert list(data["sold_at"][0]) == sorted({"retailer", *required}, key=list(sold_at).index)
    assert data["sold_at"][0]["retailer"] == "walmart"
