"""`kb-dev synth`: synthetic knowledge bases for the benchmark, shaped like the real one, valid."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
import yaml

from devtools.synth import (
    MARKER_FILE,
    PLURALS,
    SynthError,
    check_output_folder,
    kind_counts,
    synthesize,
)

from .conftest import REPO_ROOT, run_kb, run_kb_dev


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_size_and_seed_give_byte_identical_files(tmp_path):
    for name in ("one", "two"):
        result = run_kb_dev("synth", "--entities", "80", "--out", tmp_path / name)
        assert result.code == 0, result.err
    assert tree(tmp_path / "one" / "facts") == tree(tmp_path / "two" / "facts")
    assert synthesize(80, seed=1) != synthesize(80, seed=0)


def test_it_passes_kb_check_strict(tmp_path):
    out = tmp_path / "kb"
    result = run_kb_dev("synth", "--entities", "150", "--out", out)
    assert result.code == 0, result.err
    assert result.out.startswith("Wrote 150 records to ")
    check = run_kb("check", "--strict", out)
    assert check.code == 0, check.out
    assert check.out.strip().endswith("OK: 150 records checked, no problems.")


def test_it_builds(tmp_path):
    out = tmp_path / "kb"
    assert run_kb_dev("synth", "--entities", "60", "--out", out).code == 0
    result = run_kb("build", out, "--markdown-only")
    assert result.code == 0, result.out + result.err
    assert (out / "build" / "docs" / "products" / "index.md").is_file()


def test_shape_is_that_of_a_market_knowledge_base():
    entities = 1_000
    files = synthesize(entities)
    assert len(files) == entities
    by_kind: dict[str, list[dict]] = {plural: [] for plural in PLURALS.values()}
    texts = {}
    for rel, text in files.items():
        by_kind[rel.split("/")[1]].append(yaml.safe_load(text))
        texts[rel] = text
    counts = {plural: len(records) for plural, records in by_kind.items()}
    assert counts == {PLURALS[kind]: count for kind, count in kind_counts(entities).items()}
    assert counts["products"] > counts["organizations"] and counts["sources"] > 0

    cited = [
        record for plural, records in by_kind.items() if plural != "sources" for record in records
    ]
    citations = [len(record["citations"]) for record in cited]
    assert min(citations) >= 1 and statistics.mean(citations) >= 1.8
    links = [len(re.findall(r"\[\[[a-z0-9-]+(?:\|[^\]]+)?\]\]", text)) for text in texts.values()]
    assert statistics.mean(links) >= 3
    summaries = [
        len(record["summary"])
        for plural in ("organizations", "products", "people")
        for record in by_kind[plural]
    ]
    assert 150 <= statistics.median(summaries) <= 600  # a few sentences, as real summaries

    histories = [record["status_history"] for record in by_kind["relationships"]]
    assert max(len(history) for history in histories) >= 3
    assert any(step["status"] == "cancelled" for history in histories for step in history)
    # Sources known only through another source, cited "via" it, as in the seed dataset.
    assert any(record.get("cites") for record in by_kind["sources"])
    assert any(c.get("via") for record in cited for c in record["citations"])
    # Partial dates of every precision, and names that need escaping and Unicode care.
    dates = " ".join(texts.values())
    assert re.search(r'date: "\d{4}"', dates) and re.search(
        r"date: (early|mid|late|end) \d{4}", dates
    )
    names = [record["name"] for record in by_kind["people"]]
    assert any("'" in name for name in names) and any(not name.isascii() for name in names)


def test_it_never_writes_into_the_repository_facts(tmp_path):
    # Tests do not read the live facts/ (tests/live_facts_guard.py): the folders' modification
    # times, which a file written or removed changes, are taken without reading them.
    folders = [REPO_ROOT / "facts", *(REPO_ROOT / "facts" / plural for plural in PLURALS.values())]
    before = [folder.stat().st_mtime_ns for folder in folders if folder.is_dir()]
    result = run_kb_dev("synth", "--entities", "60", "--out", REPO_ROOT, "--force")
    assert result.code == 2
    assert "would write into the repository's facts/" in result.err
    for target in (REPO_ROOT / "facts", REPO_ROOT / "facts" / "products"):
        with pytest.raises(SynthError, match="would write into the repository's facts/"):
            check_output_folder(target, force=True)
    assert [folder.stat().st_mtime_ns for folder in folders if folder.is_dir()] == before


def test_a_non_empty_folder_needs_force_and_only_synthetic_facts_are_replaced(tmp_path):
    out = tmp_path / "kb"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    result = run_kb_dev("synth", "--entities", "60", "--out", out)
    assert result.code == 2 and "is not empty" in result.err and "--force" in result.err
    assert run_kb_dev("synth", "--entities", "60", "--out", out, "--force").code == 0
    assert (out / "facts" / MARKER_FILE).is_file() and (out / "notes.txt").read_text() == "mine\n"
    # Again with fewer records: the old synthetic facts go, none is left behind.
    assert run_kb_dev("synth", "--entities", "50", "--out", out, "--force").code == 0
    assert len(list((out / "facts").glob("*/*.yaml"))) == 50

    real = tmp_path / "real"
    (real / "facts" / "products").mkdir(parents=True)
    (real / "facts" / "products" / "mine.yaml").write_text("name: Mine\n")
    result = run_kb_dev("synth", "--entities", "60", "--out", real, "--force")
    assert result.code == 2 and "facts that kb-dev synth did not write" in result.err
    assert (real / "facts" / "products" / "mine.yaml").read_text() == "name: Mine\n"


@pytest.mark.parametrize("entities", ["0", "49"])
def test_too_few_entities_is_refused(tmp_path, entities):
    result = run_kb_dev("synth", "--entities", entities, "--out", tmp_path / "kb")
    assert result.code == 2
    assert "--entities must be at least 50" in result.err
    assert not (tmp_path / "kb").exists()
