"""Did-you-mean for record ids suggests a likely typo, never a merely similar id: a reference to
a record not written yet is told how to create it."""

from __future__ import annotations

import pytest

from generator.suggest import edit_distance, likely_typo

IDS = ["xiaomi", "walmart", "huawei", "huawei-p20", "att", "lei-jun", "mi-tv"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("xiaomy", "xiaomi"),
        ("walmrt", "walmart"),
        ("Huawei", "huawei"),
        ("huawei-p02", "huawei-p20"),
    ],
)
def test_typos_are_suggested(written, meant):
    assert likely_typo(written, IDS) == meant


@pytest.mark.parametrize("written", ["huawei-p20-pro", "xiaomi-mi-8", "at-and-t", "t-mobile", "mi"])
def test_new_ids_like_existing_ones_are_not(written):
    assert likely_typo(written, IDS) is None


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("same", "same") == 0


def test_a_reference_to_a_record_not_written_yet_says_how_to_create_it(tmp_path, kb):
    (tmp_path / "facts" / "sources").mkdir(parents=True)
    (tmp_path / "facts" / "products").mkdir(parents=True)
    (tmp_path / "facts" / "sources" / "article.yaml").write_text(
        "title: An article\nkind: news-article\n", encoding="utf-8"
    )
    (tmp_path / "facts" / "products" / "huawei-p20.yaml").write_text(
        "name: P20\nmaker: huawei\ncategory: smartphone\ncitations:\n  - source: article\n",
        encoding="utf-8",
    )
    # An organization whose id is like the one written, but no typo of it: the old difflib
    # cutoff suggested it.
    (tmp_path / "facts" / "organizations").mkdir()
    (tmp_path / "facts" / "organizations" / "huawei-device.yaml").write_text(
        "name: Huawei Device\nroles: [manufacturer]\ncitations:\n  - source: article\n",
        encoding="utf-8",
    )
    result = kb("check", cwd=tmp_path)
    assert (
        "facts/products/huawei-p20.yaml:2:8: maker: no organization 'huawei': create it with "
        "`kb new organization huawei`, or correct the id"
    ) in result.out
    assert "did you mean" not in result.out
