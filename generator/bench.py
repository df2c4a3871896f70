"""`kb bench`: how the build scales with the knowledge base, measured, with its targets.

For each size (100, 1,000 and 10,000 records by default) a synthetic knowledge base is written
by `synth.py` under `build/bench/`, and every figure is the median of several runs:

- generator cold: `build_markdown` with an empty cache and an empty build folder, per stage
  (load, validate, model, render, write), and the process's peak memory;
- floor: PyYAML's C loader reading and parsing the same files, nothing else: what no
  YAML-based generator beats; the generator's time is given as a multiple of it (the median of
  three passes over the files per run, see FLOOR_PASSES);
- warm: the same build again, nothing changed;
- incremental: one fact file edited, as `kb serve` sees it (one process that has built once,
  rebuilding after the edit): the time until every affected page is rewritten, how many pages
  were rewritten, and whether any file was touched whose bytes did not change; and the same
  as a new `kb build` process;
- mkdocs: `mkdocs build` of the generated Markdown, the generator's share of the whole build,
  the median HTML size of an entity page; then Pagefind's indexing time, the size of its
  index, and the bytes a reader's first search fetches, measured in Chromium;
- hostile text: once, whatever the sizes: a knowledge base of one quote whose text is 200 KB
  of `&<&‹` (every other character one that Markdown must not read as syntax), rendered and
  converted to HTML with the site's Markdown extensions. It took over a minute when each
  escaped character was an entity that Python-Markdown stashed (see escape.py); the target
  holds it linear.

Each measurement runs in a child process (`python -m generator.bench --child ...`), so one
run's caches, imports and memory never flatter the next. Times are wall-clock seconds from
inside the child, without the interpreter's start-up. The run prints one table, then the
targets of the issue marked met or missed, and writes everything as JSON under build/bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (100, 1_000, 10_000)
DEFAULT_RUNS = 3
STAGES = ("load", "validate", "model", "render", "write", "remember")
ENTITY_FOLDERS = ("organizations", "people", "products")
# The fact the incremental runs edit: a product's summary, the most common kind of edit.
EDIT_KIND_FOLDER = "products"
EDIT_MARKER = "  Edited for the benchmark."
CHILD_TIMEOUT_SECONDS = 3_600
# The hostile text case: its size in bytes of UTF-8, the repeated text, and the target.
HOSTILE_TEXT_BYTES = 200_000
HOSTILE_TEXT_UNIT = "&<&‹"
HOSTILE_TEXT_LIMIT_SECONDS = 5.0


@dataclass
class Target:
    """One target of the issue: a figure, its limit and whether the measurement met it."""

    name: str
    limit: str
    value: float | None = None
    shown: str = "not measured"
    met: bool | None = None


@dataclass
class BenchSettings:
    sizes: tuple[int, ...] = DEFAULT_SIZES
    runs: int = DEFAULT_RUNS
    mkdocs_runs: int | None = None  # None: as many as `runs`
    skip_mkdocs_sizes: frozenset[int] = frozenset()
    seed: int = 0
    out_dir: Path = Path("build/bench")
    keep: bool = False  # keep the synthetic knowledge bases afterwards
    echo: Any = print
    results: dict = field(default_factory=dict)


# -- the child: one measurement per process -----------------------------------------------


def _peak_memory_bytes() -> int:
    """This process's peak resident memory, plus that of the largest worker it forked (an
    upper bound of what the build held at once)."""
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + workers) * unit


def _fact_files(root: Path) -> list[Path]:
    return sorted((root / "facts").glob("*/*.yaml"))


# Passes over the files per floor measurement. The floor is the shortest and so the noisiest
# figure: on the two-core virtual machines this runs on, the same parse measured 1.8 s and
# 3.1 s a minute apart, and a 3-second measurement does not average that out as a 14-second
# build does. The median of every pass of every run is the floor.
FLOOR_PASSES = 3


def measure_floor(root: Path) -> dict:
    """PyYAML's C loader reading and parsing every fact file, and nothing else, FLOOR_PASSES
    times over."""
    import yaml

    files = _fact_files(root)
    passes = []
    for _ in range(FLOOR_PASSES):
        start = time.perf_counter()
        for path in files:
            yaml.load(path.read_bytes().decode("utf-8"), Loader=yaml.CSafeLoader)
        passes.append(time.perf_counter() - start)
    return {"seconds": statistics.median(passes), "passes": passes, "files": len(files)}


def measure_build(root: Path) -> dict:
    """One `build_markdown`, as `kb build --markdown-only` runs it, timed by stage."""
    from .build import build_markdown
    from .pipeline import Project, one_build_process

    timings: dict[str, float] = {}
    start = time.perf_counter()
    with one_build_process():
        result = build_markdown(Project(root), timings=timings)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"the benchmark knowledge base in {root} does not validate")
    return {
        "seconds": seconds,
        "stages": timings,
        "pages": len(result.pages),
        "written": len(result.report.written),
        "peak_memory_bytes": _peak_memory_bytes(),
    }


def edit_fact(path: Path) -> bytes:
    """Add a sentence at the start of a fact's summary; returns the original bytes."""
    original = path.read_bytes()
    text = original.decode("utf-8")
    if "\nsummary: >-\n" not in text:
        raise SystemExit(f"{path} has no folded summary to edit")
    path.write_text(
        text.replace("\nsummary: >-\n", f"\nsummary: >-\n{EDIT_MARKER}\n", 1),
        encoding="utf-8",
        newline="\n",
    )
    return original


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under `folder`: (modification time, inode, bytes)."""
    files = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            files[path.relative_to(folder).as_posix()] = (
                stat.st_mtime_ns,
                stat.st_ino,
                path.read_bytes(),
            )
    return files


def _compare(before: dict, after: dict) -> dict:
    """Which files a build touched (written, created or deleted) and which really changed."""
    touched = {
        path
        for path in before.keys() | after.keys()
        if before.get(path, (None,))[:2] != after.get(path, (None,))[:2]
    }
    changed = {
        path
        for path in before.keys() | after.keys()
        if (before.get(path) or (0, 0, None))[2] != (after.get(path) or (0, 0, None))[2]
    }
    return {
        "touched": len(touched),
        "changed": len(changed),
        "touched_unchanged": sorted(touched - changed),
    }


def measure_incremental(root: Path, edit: Path, runs: int) -> dict:
    """In one process, as `kb serve` does: build, then per run edit one fact and time the
    rebuild (then restore the fact and rebuild, untimed)."""
    from .build import build_markdown
    from .pipeline import Project

    project = Project(root)
    build_markdown(project)
    measured = []
    for _ in range(runs):
        before = _snapshot(project.build_dir)
        original = edit_fact(edit)
        timings: dict[str, float] = {}
        try:
            start = time.perf_counter()
            # As kb serve builds: told by its watcher which file changed.
            result = build_markdown(project, timings=timings, changed=[edit])
            seconds = time.perf_counter() - start
            after = _snapshot(project.build_dir)
        finally:
            edit.write_bytes(original)
        if not result.ok:
            raise SystemExit(f"the edited fact {edit} does not validate")
        build_markdown(project)
        measured.append(
            {
                "seconds": seconds,
                # The pages are rewritten before the build saves what it remembers.
                "until_written_seconds": seconds - timings.get("remember", 0.0),
                "stages": timings,
                "written": len(result.report.written),
                **_compare(before, after),
            }
        )
    return {"runs": measured}


def measure_mkdocs(root: Path) -> dict:
    """`mkdocs build` of the Markdown already in build/docs/, into a temporary folder, then the
    Pagefind indexing `kb build` runs after it; the sizes readers download, measured on the
    site it built, and the first search in Chromium (see measure_first_search)."""
    from .build import run_mkdocs, run_pagefind
    from .pipeline import Project

    project = Project(root)
    with tempfile.TemporaryDirectory(prefix="kb-bench-site-", dir=root) as folder:
        site = Path(folder) / "site"
        start = time.perf_counter()
        run_mkdocs(project, site, echo=False)
        seconds = time.perf_counter() - start
        pagefind_seconds = run_pagefind(site)
        sizes = [
            page.stat().st_size
            for kind in ENTITY_FOLDERS
            for page in (site / kind).glob("*/index.html")
        ]
        index = site / "pagefind"
        return {
            "seconds": seconds,
            "pagefind_seconds": pagefind_seconds,
            "entity_page_html_median_bytes": statistics.median(sizes) if sizes else None,
            "entity_pages": len(sizes),
            "search_index_bytes": sum(f.stat().st_size for f in index.rglob("*") if f.is_file()),
            **measure_first_search(root, site),
        }


CHROMIUM = Path("/usr/bin/chromium")


def measure_first_search(root: Path, site: Path) -> dict:
    """A reader's first search, in headless Chromium: an organization's page is opened (its
    bytes are the page load, reported apart), then its name is searched for, and every byte
    fetched from then until the results show is the first search's cost. Nothing when
    Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        return {"first_search_bytes": None, "page_load_bytes": None}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"first_search_bytes": None, "page_load_bytes": None}
    import functools
    import http.server
    import threading

    import yaml

    first = sorted((root / "facts" / "organizations").glob("*.yaml"))[0]
    name = yaml.safe_load(first.read_text(encoding="utf-8"))["name"]

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetched: list[int] = []

    def finished(request) -> None:
        sizes = request.sizes()
        fetched.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.on("requestfinished", finished)
            port = server.server_address[1]
            page.goto(f"http://127.0.0.1:{port}/organizations/{first.stem}/", wait_until="load")
            page.wait_for_load_state("networkidle")
            page_load = sum(fetched)
            fetched.clear()
            box = page.locator(".kb-search input.md-search__input")
            box.click()
            box.fill(name)
            page.wait_for_function(
                "q => document.querySelector('.kb-search')?.dataset.kbSearchShown === q",
                arg=name,
                timeout=120_000,
            )
            page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"first_search_bytes": sum(fetched), "page_load_bytes": page_load}


def write_hostile_text_kb(root: Path) -> Path:
    """A knowledge base of one quote (with its speaker and source) whose text is
    HOSTILE_TEXT_BYTES of HOSTILE_TEXT_UNIT; the quote's fact file."""
    unit_bytes = len(HOSTILE_TEXT_UNIT.encode("utf-8"))
    text = HOSTILE_TEXT_UNIT * (HOSTILE_TEXT_BYTES // unit_bytes)
    files = {
        "sources/article.yaml": "title: An article\nkind: news-article\n",
        "people/speaker.yaml": "name: A Speaker\ncitations:\n  - source: article\n",
        "quotes/hostile-text.yaml": (
            f"text: {json.dumps(text, ensure_ascii=False)}\nspeaker: speaker\n"
            "citations:\n  - source: article\n"
        ),
    }
    for name, content in files.items():
        path = root / "facts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root / "facts" / "quotes" / "hostile-text.yaml"


def measure_hostile_text(root: Path) -> dict:
    """The hostile text case (see the module docstring): the page rendered by the generator,
    then converted by Python-Markdown with the extensions of the site's mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config
    from mkdocs.utils.meta import get_data

    from .build import build_markdown, mkdocs_config_file
    from .pipeline import Project

    project = Project(root)
    start = time.perf_counter()
    result = build_markdown(project)
    render_seconds = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError("the hostile text knowledge base did not validate")
    page = (project.build_dir / "quotes" / "hostile-text.md").read_text(encoding="utf-8")
    body, _ = get_data(page)  # mkdocs converts the page without its front matter
    config = load_config(str(mkdocs_config_file(project)), docs_dir=str(project.build_dir))
    converter = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    start = time.perf_counter()
    converter.convert(body)
    return {
        "bytes": HOSTILE_TEXT_BYTES,
        "render_seconds": render_seconds,
        "markdown_seconds": time.perf_counter() - start,
    }


def child_main(argv: list[str]) -> int:
    """`python -m generator.bench --child MODE ROOT [EDIT RUNS]`: one measurement, as JSON."""
    mode, root = argv[0], Path(argv[1])
    if mode == "floor":
        result = measure_floor(root)
    elif mode == "build":
        result = measure_build(root)
    elif mode == "incremental":
        result = measure_incremental(root, Path(argv[2]), int(argv[3]))
    elif mode == "mkdocs":
        result = measure_mkdocs(root)
    elif mode == "hostile-text":
        result = measure_hostile_text(root)
    else:
        raise SystemExit(f"unknown measurement {mode!r}")
    print(json.dumps(result))
    return 0


# -- the parent: sizes, runs, medians, the table ------------------------------------------


def _child(*args: str | Path) -> dict:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": "0"}
    completed = subprocess.run(
        [sys.executable, "-m", "generator.bench", "--child", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"measurement {args[0]} failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _clear_build_state(root: Path) -> None:
    """What makes the next build cold: no cache, no Markdown from an earlier build."""
    shutil.rmtree(root / ".cache", ignore_errors=True)
    shutil.rmtree(root / "build", ignore_errors=True)


def pick_edit(root: Path) -> Path:
    """The product in the middle of the sorted list: a typical record, never the first."""
    products = sorted((root / "facts" / EDIT_KIND_FOLDER).glob("*.yaml"))
    return products[len(products) // 2]


def bench_size(entities: int, settings: BenchSettings) -> dict:
    from .synth import write_knowledge_base

    echo = settings.echo
    root = (settings.out_dir / f"kb-{entities}").resolve()
    echo(f"[{entities:,}] writing a synthetic knowledge base in {root}")
    write_knowledge_base(root, entities, seed=settings.seed, force=True)
    edit = pick_edit(root)
    figures: dict[str, Any] = {
        "entities": entities,
        "edited_fact": edit.relative_to(root).as_posix(),
    }

    cold, warm, oneshot, floor = [], [], [], []
    for run in range(1, settings.runs + 1):
        echo(f"[{entities:,}] run {run}/{settings.runs}: floor, cold, warm, incremental")
        floor.append(_child("floor", root))
        _clear_build_state(root)
        cold.append(_child("build", root))
        warm.append(_child("build", root))
        original = edit_fact(edit)
        try:
            oneshot.append(_child("build", root))
        finally:
            edit.write_bytes(original)
        _child("build", root)  # back to the unedited state, untimed
    echo(f"[{entities:,}] incremental, as kb serve rebuilds")
    serve = _child("incremental", root, edit, settings.runs)["runs"]

    figures["floor_seconds"] = _median([seconds for m in floor for seconds in m["passes"]])
    figures["cold_seconds"] = _median([m["seconds"] for m in cold])
    figures["cold_stages"] = {
        stage: _median([m["stages"].get(stage) for m in cold]) for stage in STAGES
    }
    figures["pages"] = cold[0]["pages"]
    figures["peak_memory_bytes"] = _median([m["peak_memory_bytes"] for m in cold])
    figures["warm_seconds"] = _median([m["seconds"] for m in warm])
    figures["warm_written"] = max(m["written"] for m in warm)
    figures["incremental_seconds"] = _median([m["until_written_seconds"] for m in serve])
    figures["incremental_total_seconds"] = _median([m["seconds"] for m in serve])
    figures["incremental_stages"] = {
        stage: _median([m["stages"].get(stage) for m in serve]) for stage in STAGES
    }
    figures["incremental_written"] = max(m["written"] for m in serve)
    figures["incremental_changed"] = max(m["changed"] for m in serve)
    figures["incremental_touched_unchanged"] = sorted(
        {path for m in serve for path in m["touched_unchanged"]}
    )
    figures["incremental_new_process_seconds"] = _median([m["seconds"] for m in oneshot])
    figures["incremental_new_process_written"] = max(m["written"] for m in oneshot)
    floor_seconds = figures["floor_seconds"]
    figures["cold_over_floor"] = figures["cold_seconds"] / floor_seconds
    figures["warm_over_floor"] = figures["warm_seconds"] / floor_seconds

    if entities in settings.skip_mkdocs_sizes:
        echo(f"[{entities:,}] mkdocs build skipped")
        figures["mkdocs"] = None
    else:
        runs = settings.mkdocs_runs or settings.runs
        measured = []
        for run in range(1, runs + 1):
            echo(f"[{entities:,}] mkdocs build {run}/{runs}")
            measured.append(_child("mkdocs", root))
        mkdocs = {key: _median([m[key] for m in measured]) for key in measured[0]}
        mkdocs["generator_share"] = figures["cold_seconds"] / (
            figures["cold_seconds"] + mkdocs["seconds"]
        )
        figures["mkdocs"] = mkdocs
    if not settings.keep:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def evaluate_targets(sizes: dict[int, dict]) -> list[Target]:
    """The issue's targets, each met, missed, or not measured (a size or mkdocs skipped)."""
    big, mid, small = sizes.get(10_000), sizes.get(1_000), sizes.get(100)
    targets = []

    ratio = Target("generator time 10,000 / 1,000 (linear growth)", "<= 12")
    if big and mid:
        ratio.value = big["cold_seconds"] / mid["cold_seconds"]
        ratio.shown, ratio.met = f"{ratio.value:.1f}", ratio.value <= 12
    targets.append(ratio)

    cold = Target("cold generator at 10,000, x the PyYAML-C floor", "<= 5")
    warm = Target("warm build at 10,000, x the floor", "<= 0.5")
    edit = Target("one edited fact at 10,000: affected pages rewritten (kb serve)", "< 0.5 s")
    touched = Target("one edited fact: pages touched whose bytes did not change", "0")
    memory = Target("generator peak memory at 10,000", "< 1 GB")
    if big:
        cold.value = big["cold_over_floor"]
        cold.shown, cold.met = f"{cold.value:.1f}", cold.value <= 5
        warm.value = big["warm_over_floor"]
        warm.shown, warm.met = f"{warm.value:.2f}", warm.value <= 0.5
        edit.value = big["incremental_seconds"]
        edit.shown = f"{edit.value:.2f} s ({big['incremental_written']} pages)"
        edit.met = edit.value < 0.5
        touched.value = len(big["incremental_touched_unchanged"])
        touched.shown, touched.met = f"{touched.value}", touched.value == 0
        memory.value = big["peak_memory_bytes"]
        memory.shown, memory.met = f"{memory.value / 2**20:.0f} MB", memory.value < 2**30
    targets += [cold, warm, edit, touched]

    page = Target("entity page HTML at 10,000 / at 100", "<= 1.25")
    if big and small and big.get("mkdocs") and small.get("mkdocs"):
        page.value = (
            big["mkdocs"]["entity_page_html_median_bytes"]
            / small["mkdocs"]["entity_page_html_median_bytes"]
        )
        page.shown, page.met = f"{page.value:.2f}", page.value <= 1.25
    search = Target("first search at 10,000: bytes fetched (Chromium)", "<= 300 KB")
    if big and big.get("mkdocs") and big["mkdocs"].get("first_search_bytes") is not None:
        search.value = big["mkdocs"]["first_search_bytes"]
        search.shown = f"{search.value / 1024:.0f} KB"
        search.met = search.value <= 300 * 1024
    targets += [page, memory, search]
    return targets


def bench_hostile_text(settings: BenchSettings) -> dict:
    """The hostile text case, in a knowledge base of its own under the output folder."""
    root = settings.out_dir / "kb-hostile-text"
    shutil.rmtree(root, ignore_errors=True)
    write_hostile_text_kb(root)
    settings.echo(f"hostile text: {HOSTILE_TEXT_BYTES:,} bytes of {HOSTILE_TEXT_UNIT} in a quote")
    try:
        return _child("hostile-text", root)
    finally:
        if not settings.keep:
            shutil.rmtree(root, ignore_errors=True)


def hostile_text_target(figures: dict | None) -> Target:
    target = Target(
        f"a {HOSTILE_TEXT_BYTES // 1000} KB quote of {HOSTILE_TEXT_UNIT}: render + Markdown",
        f"< {HOSTILE_TEXT_LIMIT_SECONDS:g} s",
    )
    if figures:
        target.value = figures["render_seconds"] + figures["markdown_seconds"]
        target.shown = f"{target.value:.2f} s"
        target.met = target.value < HOSTILE_TEXT_LIMIT_SECONDS
    return target


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _kilobytes(value: float | None) -> str:
    return "-" if value is None else f"{value / 1024:.0f}"


def _megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f}"


def format_table(sizes: dict[int, dict]) -> str:
    """One table: a row per figure, a column per size."""
    order = sorted(sizes)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, shown) -> None:
        rows.append((label, [shown(sizes[size]) for size in order]))

    def mkdocs(key: str, shown):
        return lambda f: shown(f["mkdocs"][key]) if f.get("mkdocs") else "skipped"

    row("records / pages", lambda f: f"{f['entities']:,} / {f['pages']:,}")
    row("floor: PyYAML C read+parse (s)", lambda f: _seconds(f["floor_seconds"]))
    row("generator cold (s)", lambda f: _seconds(f["cold_seconds"]))
    for stage in STAGES:
        row(f"  {stage} (s)", lambda f, stage=stage: _seconds(f["cold_stages"][stage]))
    row("generator cold / floor", lambda f: f"{f['cold_over_floor']:.1f}")
    row("warm, nothing changed (s)", lambda f: _seconds(f["warm_seconds"]))
    row("warm / floor", lambda f: f"{f['warm_over_floor']:.2f}")
    row("one fact edited, kb serve: pages (s)", lambda f: _seconds(f["incremental_seconds"]))
    row("  then saving the caches (s)", lambda f: _seconds(f["incremental_stages"]["remember"]))
    row("  pages rewritten", lambda f: str(f["incremental_written"]))
    row("  touched, bytes unchanged", lambda f: str(len(f["incremental_touched_unchanged"])))
    row(
        "one fact edited, new kb build (s)",
        lambda f: _seconds(f["incremental_new_process_seconds"]),
    )
    row("mkdocs build (s)", mkdocs("seconds", _seconds))
    row("generator share of the build", mkdocs("generator_share", lambda v: f"{v:.0%}"))
    row(
        "entity page HTML, median (KB)",
        mkdocs("entity_page_html_median_bytes", lambda v: f"{v / 1024:.1f}"),
    )
    row("pagefind indexing (s)", mkdocs("pagefind_seconds", _seconds))
    row("search index, all files (MB)", mkdocs("search_index_bytes", _megabytes))
    row("first search, fetched (KB)", mkdocs("first_search_bytes", _kilobytes))
    row("  page load before it (KB)", mkdocs("page_load_bytes", _kilobytes))
    row("generator peak memory (MB)", lambda f: f"{f['peak_memory_bytes'] / 2**20:.0f}")

    header = ["figure", *(f"{size:,}" for size in order)]
    widths = [max(len(header[0]), *(len(label) for label, _ in rows))]
    for index in range(len(order)):
        widths.append(max(len(header[index + 1]), *(len(cells[index]) for _, cells in rows)))
    lines = [
        "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(header)
        )
    ]
    lines.append("  ".join("-" * width for width in widths))
    for label, cells in rows:
        lines.append(
            "  ".join(
                [
                    label.ljust(widths[0]),
                    *(c.rjust(w) for c, w in zip(cells, widths[1:], strict=True)),
                ]
            )
        )
    return "\n".join(lines)


def format_targets(targets: list[Target]) -> str:
    lines = ["Targets:"]
    for target in targets:
        mark = {True: "met", False: "MISSED", None: "not measured"}[target.met]
        lines.append(f"  [{mark:>12}] {target.name} {target.limit}: {target.shown}")
    return "\n".join(lines)


def machine_description() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def run_bench(settings: BenchSettings) -> dict:
    """Measure every size, print the table and the targets, write the JSON; return it."""
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    sizes = {entities: bench_size(entities, settings) for entities in settings.sizes}
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    hostile_text = bench_hostile_text(settings)
    targets = [*evaluate_targets(sizes), hostile_text_target(hostile_text)]
    report = {
        "started": started,
        "machine": machine_description(),
        "settings": {
            "sizes": list(settings.sizes),
            "runs": settings.runs,
            "mkdocs_runs": settings.mkdocs_runs or settings.runs,
            "skip_mkdocs": sorted(settings.skip_mkdocs_sizes),
            "seed": settings.seed,
        },
        "sizes": {str(size): figures for size, figures in sizes.items()},
        "hostile_text": hostile_text,
        "targets": [target.__dict__ for target in targets],
    }
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    out = settings.out_dir / "results.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    settings.echo("")
    settings.echo(format_table(sizes))
    settings.echo("")
    settings.echo(format_targets(targets))
    settings.echo(f"\nWritten to {out}")
    return report


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--child"]:
        sys.exit(child_main(arguments[1:]))
    sys.exit(argparse.ArgumentParser().error("run `kb bench`"))
