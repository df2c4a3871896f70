"""`kb mv OLD NEW`: a record, its file and every reference to it renamed, comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest

FILES = {
    "sources/article.yaml": "title: An article\nkind: news-article\n",
    "organizations/acme.yaml": """\
# Acme, the maker.
name: Acme
roles: [manufacturer]
summary: Acme makes the [[rocket]]; see also [[acme]] itself.
citations:
  - source: article
""",
    "organizations/shop.yaml": """\
name: Shop
roles: [retailer]
citations:
  - source: article
""",
    "products/rocket.yaml": """\
name: Rocket
maker: acme  # the maker, as the article names it
category: smartphone
sold_at:
  - retailer: shop
    citations:
      - source: article
summary: >-
  A phone by [[acme|the Acme company]], sold by [[shop]]; nothing to do with [[acme-two]] or the
  word acme.
citations:
  - source: article
""",
    "relationships/acme-shop.yaml": """\
title: Acme sells through Shop
type: retail-distribution
parties:
  retailer: shop
  supplier: ['acme']
status_history:
  - status: active
    citations:
      - source: article
citations:
  - source: article
""",
}


@pytest.fixture
def knowledge_base(tmp_path: Path, kb) -> Path:
    for rel, text in FILES.items():
        path = tmp_path / "facts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    before = kb("check", cwd=tmp_path)
    # Only the link to a record not written yet (acme-two) is wrong before the rename.
    assert before.out.count("create it with") == 1, before.out
    return tmp_path


def read(root: Path, rel: str) -> str:
    return (root / "facts" / rel).read_text(encoding="utf-8")


def test_every_reference_is_renamed_and_nothing_else(knowledge_base, kb):
    result = kb("mv", "acme", "acme-phones", cwd=knowledge_base)
    assert result.code == 0, result.out
    assert result.out.splitlines()[-1] == "Renamed 'acme' to 'acme-phones'. Check with: kb check"
    assert not (knowledge_base / "facts/organizations/acme.yaml").exists()
    # The record's own file moves; its link to itself follows; its comment stays.
    assert read(knowledge_base, "organizations/acme-phones.yaml") == FILES[
        "organizations/acme.yaml"
    ].replace("[[acme]]", "[[acme-phones]]")
    # A field with a comment after it, a link with a label, a link to another id that starts
    # the same, and the plain word.
    # (The text is laid out as kb fmt would: the longer id rewraps the summary.)
    rocket = read(knowledge_base, "products/rocket.yaml")
    assert "maker: acme-phones  # the maker, as the article names it\n" in rocket
    assert " ".join(rocket.split()) == " ".join(
        FILES["products/rocket.yaml"]
        .replace("maker: acme  #", "maker: acme-phones  #")
        .replace("[[acme|", "[[acme-phones|")
        .split()
    )
    # A quoted id in a flow list (kb fmt's layout then drops the quotes it does not need).
    assert "  supplier: [acme-phones]\n" in read(knowledge_base, "relationships/acme-shop.yaml")
    assert read(knowledge_base, "organizations/shop.yaml") == FILES["organizations/shop.yaml"]
    after = kb("check", cwd=knowledge_base)
    assert after.out.count("create it with") == 1 and "acme-two" in after.out, after.out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("acme", "shop", "kb mv: 'shop' is already the id of facts/organizations/shop.yaml"),
        ("acme", "Acme Phones", "kb mv: 'Acme Phones' is not a valid id"),
        ("acmee", "acme-phones", "kb mv: no record 'acmee' (did you mean 'acme'?)"),
    ],
)
def test_refused_renames_change_nothing(knowledge_base, kb, old, new, message):
    before = {path: path.read_bytes() for path in (knowledge_base / "facts").rglob("*.yaml")}
    result = kb("mv", old, new, cwd=knowledge_base)
    assert result.code == 1
    assert result.out.startswith(message), result.out
    after = {path: path.read_bytes() for path in (knowledge_base / "facts").rglob("*.yaml")}
    assert after == before


def test_a_knowledge_base_with_an_unreadable_file_is_not_renamed_in(knowledge_base, kb):
    # The broken file may refer to the record: renaming now would leave it behind.
    (knowledge_base / "facts/products/broken.yaml").write_text(
        "name: [Broken\nmaker: acme\n", encoding="utf-8"
    )
    result = kb("mv", "acme", "acme-phones", cwd=knowledge_base)
    assert result.code == 1
    assert result.out.startswith(
        "kb mv: the knowledge base has errors that hide references (facts/products/broken.yaml)"
    )
    assert (knowledge_base / "facts/organizations/acme.yaml").exists()
