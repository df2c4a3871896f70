"""The cache of parsed fact files (.cache/): unchanged files are not parsed again, and nothing
a contributor sees depends on whether a file came from the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.load import cache as cache_module
from generator.load import load_facts
from generator.load.cache import RecordCache
from generator.problems import ProblemCollector
from generator.schema import default_schemas

from .conftest import DATASET_SNAPSHOT, run_kb


def copy_dataset(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(DATASET_SNAPSHOT / "facts", root / "facts")
    return root


def load(root: Path) -> tuple[RecordCache, list, ProblemCollector]:
    cache = RecordCache(root / ".cache")
    collector = ProblemCollector()
    facts = load_facts(root, default_schemas(), collector, cache)
    cache.save()
    return cache, facts, collector


def test_unchanged_files_come_from_the_cache_with_the_same_data(tmp_path):
    root = copy_dataset(tmp_path)
    first_cache, first, _ = load(root)
    assert first_cache.hits == 0 and first_cache.misses == len(first)
    second_cache, second, collector = load(root)
    assert second_cache.hits == len(second) and second_cache.misses == 0
    assert [fact.data for fact in second] == [fact.data for fact in first]
    assert collector.problems == []

    edited = root / "facts" / "organizations" / "att.yaml"
    edited.write_text(edited.read_text("utf-8").replace("AT&T", "AT&T Inc.", 1), "utf-8")
    third_cache, third, _ = load(root)
    assert third_cache.misses == 1 and third_cache.hits == len(third) - 1
    assert next(f for f in third if f.id == "att").data["name"] == "AT&T Inc."


def test_errors_in_cached_files_keep_their_exact_place(tmp_path):
    root = copy_dataset(tmp_path)
    product = root / "facts" / "products" / "mi-tv.yaml"
    product.write_text(
        product.read_text("utf-8").replace("maker: xiaomi", "maker: xiaomy"), "utf-8"
    )
    # `kb build` reads through the cache; the second run's report comes from cached data.
    first = run_kb("build", root, "--markdown-only")
    second = run_kb("build", root, "--markdown-only")
    assert first.code == second.code == 1
    assert "facts/products/mi-tv.yaml:" in first.out
    assert "maker: unknown organization 'xiaomy' (did you mean 'xiaomi'?)" in first.out
    assert second.out == first.out
    assert second.out == run_kb("check", root).out  # the same report kb check gives


def test_files_with_a_warning_are_read_afresh_every_time(tmp_path):
    root = copy_dataset(tmp_path)
    fact = root / "facts" / "people" / "lei-jun.yaml"
    fact.write_bytes(b"\xef\xbb\xbf" + fact.read_bytes())  # a byte-order mark: a warning
    for _ in range(2):
        cache, _, collector = load(root)
        assert [problem.code for problem in collector.problems] == ["file-bom"]
    assert cache.misses == 1


def test_another_version_of_the_generator_starts_afresh(tmp_path, monkeypatch):
    root = copy_dataset(tmp_path)
    load(root)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another-version")
    cache, facts, _ = load(root)
    assert cache.hits == 0 and cache.misses == len(facts)
    # The old version's cache is removed, not left to grow.
    assert [path.name for path in (root / ".cache").glob("records-*.json")] == [
        "records-another-version.json"
    ]


def test_a_corrupt_cache_is_ignored(tmp_path):
    root = copy_dataset(tmp_path)
    cache, _, _ = load(root)
    body = cache.path.read_bytes()
    cache.path.write_bytes(body.replace(b"Xiaomi", b"Xiaomu", 1))  # checksum no longer matches
    cache, facts, _ = load(root)
    assert cache.hits == 0
    assert next(f for f in facts if f.id == "xiaomi").data["name"] == "Xiaomi"
