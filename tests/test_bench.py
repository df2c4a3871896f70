"""`kb bench` runs end to end and reports every figure and target. Never a timing assertion:
the figures themselves are measured by `make bench`, not judged by tests."""

from __future__ import annotations

import json

import pytest

from generator.bench import STAGES, evaluate_targets, format_table

from .conftest import run_kb

TABLE_ROWS = [
    "records / pages",
    "floor: PyYAML C read+parse (s)",
    "generator cold (s)",
    *(f"  {stage} (s)" for stage in STAGES),
    "generator cold / floor",
    "warm, nothing changed (s)",
    "warm / floor",
    "one fact edited, kb serve: pages (s)",
    "  pages rewritten",
    "  touched, bytes unchanged",
    "one fact edited, new kb build (s)",
    "mkdocs build (s)",
    "generator share of the build",
    "entity page HTML, median (KB)",
    "pagefind indexing (s)",
    "search index, all files (MB)",
    "first search, fetched (KB)",
    "  page load before it (KB)",
    "generator peak memory (MB)",
]


@pytest.mark.slow
def test_a_small_bench_reports_every_figure(tmp_path):
    out = tmp_path / "bench"
    result = run_kb("bench", "--sizes", "50", "--runs", "1", "--out", out)
    assert result.code == 0, result.out + result.err
    for row in TABLE_ROWS:
        assert row in result.out, row
    assert "Targets:" in result.out and "[not measured]" in result.out

    report = json.loads((out / "results.json").read_text())
    assert report["settings"]["sizes"] == [50] and report["settings"]["runs"] == 1
    figures = report["sizes"]["50"]
    assert figures["entities"] == 50 and figures["pages"] > 50
    for key in (
        "floor_seconds",
        "cold_seconds",
        "warm_seconds",
        "incremental_seconds",
        "incremental_new_process_seconds",
        "peak_memory_bytes",
    ):
        assert figures[key] > 0, key
    assert set(figures["cold_stages"]) == set(STAGES)
    assert all(seconds is not None for seconds in figures["cold_stages"].values())
    # The edit changes one page, and the build touches no file whose bytes stay the same.
    assert figures["incremental_written"] >= 1
    assert figures["incremental_touched_unchanged"] == []
    assert figures["warm_written"] == 0
    mkdocs = figures["mkdocs"]
    assert mkdocs["seconds"] > 0 and 0 < mkdocs["generator_share"] < 1
    assert mkdocs["entity_page_html_median_bytes"] > 1000 and mkdocs["search_index_bytes"] > 1000
    assert mkdocs["pagefind_seconds"] > 0
    if mkdocs["first_search_bytes"] is not None:  # measured where Chromium is installed
        assert mkdocs["first_search_bytes"] > 1000 and mkdocs["page_load_bytes"] > 1000
    names = [target["name"] for target in report["targets"]]
    assert len(names) == 9
    # The hostile text case runs whatever the sizes (a 200 KB quote of `&<&‹`); the others
    # need sizes this small run does not have.
    hostile = [index for index, name in enumerate(names) if "quote of &<&‹" in name]
    assert len(hostile) == 1 and report["targets"][hostile[0]]["value"] > 0
    assert all(t["met"] is None for i, t in enumerate(report["targets"]) if i != hostile[0])
    assert report["hostile_text"]["markdown_seconds"] > 0
    assert not (out / "kb-50").exists()  # the knowledge base is removed unless --keep


def figures(cold, floor, warm=0.1, edit=0.2, touched=(), memory=2**28, page=20_000, search=200_000):
    return {
        "entities": 0,
        "pages": 0,
        "cold_seconds": cold,
        "floor_seconds": floor,
        "cold_over_floor": cold / floor,
        "warm_seconds": warm,
        "warm_over_floor": warm / floor,
        "incremental_seconds": edit,
        "incremental_written": 3,
        "incremental_touched_unchanged": list(touched),
        "peak_memory_bytes": memory,
        "mkdocs": {"entity_page_html_median_bytes": page, "first_search_bytes": search},
    }


def test_targets_are_met_or_missed_by_their_limits():
    small, mid = figures(0.5, 0.1, page=20_000), figures(1.0, 0.2)
    met = {
        target.name: target.met
        for target in evaluate_targets({100: small, 1_000: mid, 10_000: figures(12.0, 2.5)})
    }
    assert all(met.values()), met
    missed = evaluate_targets(
        {
            100: small,
            1_000: mid,
            10_000: figures(
                13.0,
                2.0,
                warm=1.5,
                edit=0.6,
                touched=["a.md"],
                memory=2**30,
                page=26_000,
                search=400_000,
            ),
        }
    )
    assert [target.met for target in missed] == [False] * 8


def test_a_skipped_size_leaves_its_targets_not_measured():
    targets = evaluate_targets({100: figures(0.5, 0.1)})
    assert [target.met for target in targets] == [None] * 8
    assert all(target.shown == "not measured" for target in targets)


def test_the_table_has_a_column_per_size_and_says_what_was_skipped():
    skipped = figures(0.5, 0.1)
    skipped.update(
        incremental_stages={"remember": 0.01},
        incremental_new_process_seconds=0.3,
        cold_stages=dict.fromkeys(STAGES, 0.1),
        mkdocs=None,
    )
    table = format_table({100: skipped, 1_000: {**skipped, "entities": 1_000}})
    header = table.splitlines()[0]
    assert "100" in header and "1,000" in header
    assert "skipped" in table
