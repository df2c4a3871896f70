"""`kb-dev bench` runs end to end and reports every figure and target. Never a timing assertion:
the figures themselves are measured by `make bench`, not judged by tests."""

from __future__ import annotations

import json

import pytest

from devtools.bench import STAGES, evaluate_targets, format_table

from .conftest import run_kb_dev

TABLE_ROWS = [
    "records / pages",
    "full build, kb build (s)",
    "floor: one-line Material pages (s)",
    "full build / floor",
    "site floor: the site's config, one-line records (s)",
    "  site floor / floor",
    "generator cold (s)",
    *(f"  {stage} (s)" for stage in STAGES),
    "  export share of the generator",
    "generator share of the full build",
    "generator warm, build folder written (s)",
    "kb serve: edit shown in browser (s)",
    "entity page HTML, median (KB)",
    "search index, all files (MB)",
    "first search, fetched (KB)",
    "  page load before it (KB)",
    "generator peak memory (MB)",
    "all.json (KB)",
    "  per record (bytes)",
]
TARGET_COUNT = 10  # without the hostile text case


@pytest.mark.slow
def test_a_small_bench_reports_every_figure(tmp_path):
    out = tmp_path / "bench"
    result = run_kb_dev("bench", "--sizes", "50", "--runs", "1", "--out", out)
    assert result.code == 0, result.out + result.err
    for row in TABLE_ROWS:
        assert row in result.out, row
    assert "Targets:" in result.out and "[not measured]" in result.out

    report = json.loads((out / "results.json").read_text())
    assert report["settings"]["sizes"] == [50] and report["settings"]["runs"] == 1
    figures = report["sizes"]["50"]
    assert figures["entities"] == 50 and figures["pages"] > 50
    for key in ("cold_seconds", "warm_seconds", "peak_memory_bytes"):
        assert figures[key] > 0, key
    assert set(figures["cold_stages"]) == set(STAGES)
    assert 0 < figures["export_share"] < 1
    assert figures["all_json_bytes_per_record"] > 500 and figures["all_json_bytes"] > 50 * 500
    assert all(seconds is not None for seconds in figures["cold_stages"].values())
    site = figures["site"]
    assert site["seconds"] > 0 and site["floor_seconds"] > 0 and site["over_floor"] > 0
    assert site["site_floor_seconds"] > 0 and site["site_floor_over_floor"] > 0
    assert 0 < site["generator_share"] < 1
    assert site["entity_page_html_median_bytes"] > 1000 and site["search_index_bytes"] > 1000
    if site["first_search_bytes"] is not None:  # measured where Chromium is installed
        assert site["first_search_bytes"] > 1000 and site["page_load_bytes"] > 1000
        assert figures["serve_seconds"] > 0  # kb serve, measured in Chromium too
    names = [target["name"] for target in report["targets"]]
    assert len(names) == TARGET_COUNT + 1
    # The hostile text case runs whatever the sizes (a 200 KB quote of `&<&‹`); the others
    # need sizes this small run does not have.
    hostile = [index for index, name in enumerate(names) if "quote of &<&‹" in name]
    assert len(hostile) == 1 and report["targets"][hostile[0]]["value"] > 0
    assert all(t["met"] is None for i, t in enumerate(report["targets"]) if i != hostile[0])
    assert report["hostile_text"]["markdown_seconds"] > 0
    assert not (out / "kb-50").exists()  # the knowledge base is removed unless --keep


def figures(
    cold, full, floor, serve=0.5, memory=2**28, page=20_000, search=200_000, share=0.05, per=2000
):
    return {
        "export_share": share,
        "all_json_bytes": per * 100,
        "all_json_bytes_per_record": per,
        "entities": 0,
        "pages": 0,
        "cold_seconds": cold,
        "warm_seconds": cold / 2,
        "cold_stages": dict.fromkeys(STAGES, cold / 5),
        "warm_stages": dict.fromkeys(STAGES, cold / 10),
        "serve_seconds": serve,
        "peak_memory_bytes": memory,
        "site": {
            "seconds": full,
            "floor_seconds": floor,
            "over_floor": full / floor,
            "site_floor_seconds": floor * 1.5,
            "site_floor_over_floor": 1.5,
            "generator_share": cold / full,
            "entity_page_html_median_bytes": page,
            "search_index_bytes": 10**6,
            "first_search_bytes": search,
            "page_load_bytes": 10**5,
        },
    }


def test_targets_are_met_or_missed_by_their_limits():
    small, mid = figures(0.5, 2, 1, page=20_000), figures(1.0, 20, 10)
    met = {
        target.name: target.met
        for target in evaluate_targets({100: small, 1_000: mid, 10_000: figures(12.0, 200, 100)})
    }
    assert len(met) == TARGET_COUNT and all(met.values()), met
    missed = evaluate_targets(
        {
            100: small,
            1_000: figures(1.0, 21, 10, serve=1.1, share=0.11),
            10_000: figures(
                13.0, 201, 100, memory=2**30, page=26_000, search=400_000, share=0.2, per=2600
            ),
        }
    )
    assert [target.met for target in missed] == [False] * TARGET_COUNT


def test_a_skipped_size_leaves_its_targets_not_measured():
    targets = evaluate_targets({100: figures(0.5, 2, 1)})
    assert [target.met for target in targets] == [None] * TARGET_COUNT
    assert all(target.shown == "not measured" for target in targets)


def test_the_table_has_a_column_per_size_and_says_what_was_skipped():
    skipped = {**figures(0.5, 2, 1), "site": None, "serve_seconds": None}
    table = format_table({100: skipped, 1_000: {**skipped, "entities": 1_000}})
    header = table.splitlines()[0]
    assert "100" in header and "1,000" in header
    assert "skipped" in table
