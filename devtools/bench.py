"""`kb-dev bench`: what a person waits for, measured against its targets, at several sizes.

For each size (100, 1,000 and 10,000 records by default) a synthetic knowledge base is written
by `synth.py` under `build/bench/`, and every figure is the median of several runs:

- full build: `kb build` (everything a deploy publishes: the generator, `mkdocs build`, then
  Pagefind), from nothing (no cache, no build folder), as a process of its own;
- floor: `mkdocs build` of the same number of one-line pages with the same theme and no search
  plugin (Material's floor for that many pages), measured in the same run; the full build is
  given as a multiple of it;
- site floor: `mkdocs build` of the site as it is built (its mkdocs.yml, theme overrides, nav,
  Markdown extensions, indexes and assets) with every record's page made one line: what this
  site's configuration costs mkdocs before any record's content, also as a multiple of the floor;
- generator: `build_markdown` cold (no cache) per stage (load, validate, model, render,
  export, write) with the process's peak memory, the exports' share of it (target: at most
  10%) and the bytes of api/v1/all.json per record (target: linear); and warm (the build
  folder already written);
- the site it built: the median HTML size of an entity page, Pagefind's index, and the bytes a
  reader's first search fetches, measured in Chromium;
- kb serve (at sizes up to SERVE_MAX_ENTITIES): `kb serve` runs, Chromium opens a product's
  page, the product's fact file is edited, and the time until the page shows the new text is
  measured; the edit is then undone;
- hostile text: once, whatever the sizes: a knowledge base of one quote whose text is 200 KB
  of `&<&‹` (every other character one that Markdown must not read as syntax), rendered and
  converted to HTML with the site's Markdown extensions. It took over a minute when each
  escaped character was an entity that Python-Markdown stashed (see escape.py); the target
  holds it linear.

Each measurement runs in a child process (`python -m devtools.bench --child ...`), so
one run's caches, imports and memory never flatter the next. The run prints one table, then the
targets marked met or missed, and writes everything as JSON under build/bench/.
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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100, 1_000, 10_000)
DEFAULT_RUNS = 3
STAGES = ("load", "validate", "model", "render", "export", "write")
# The exports (api/v1/, feed.xml) may add at most this share of the generator's time.
EXPORT_SHARE_LIMIT = 0.10
ENTITY_FOLDERS = ("organizations", "people", "products")
# The fact the kb serve runs edit: a product's summary, the most common kind of edit.
EDIT_KIND_FOLDER = "products"
EDIT_MARKER = "Edited for the benchmark"
CHILD_TIMEOUT_SECONDS = 3_600
# kb serve is measured up to this size (its first build alone takes minutes at 10,000).
SERVE_MAX_ENTITIES = 1_000
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
    """This process's peak resident memory."""
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


def _kb_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "generator", *map(str, args)]


def measure_build(root: Path) -> dict:
    """One `build_markdown`, as `kb build --markdown-only` runs it, timed by stage."""
    from generator.pipeline import Project, build_markdown

    timings: dict[str, float] = {}
    start = time.perf_counter()
    result = build_markdown(Project(root), timings=timings)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"the benchmark knowledge base in {root} does not validate")
    api = Project(root).build_dir / "api" / "v1"
    counts = json.loads((api / "index.json").read_text(encoding="utf-8"))["counts"]
    return {
        "seconds": seconds,
        "stages": timings,
        "records": sum(counts.values()),
        "all_json_bytes": (api / "all.json").stat().st_size,
        # Pages: what mkdocs renders (the floor gets as many); the exports are files it copies.
        "pages": sum(1 for path in result.pages if path.endswith(".md")),
        "written": len(result.report.written),
        "peak_memory_bytes": _peak_memory_bytes(),
    }


def edit_fact(path: Path, marker: str) -> bytes:
    """Add a sentence at the start of a fact's summary; returns the original bytes."""
    original = path.read_bytes()
    text = original.decode("utf-8")
    if "\nsummary: >-\n" not in text:
        raise SystemExit(f"{path} has no folded summary to edit")
    path.write_text(
        text.replace("\nsummary: >-\n", f"\nsummary: >-\n  {marker}.\n", 1),
        encoding="utf-8",
        newline="\n",
    )
    return original


def measure_full_build(root: Path) -> dict:
    """`kb build ROOT` from nothing, as a process of its own; then the sizes readers download,
    measured on the site it built, and the first search in Chromium."""
    start = time.perf_counter()
    completed = subprocess.run(_kb_command("build", root), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"kb build {root} failed:\n{completed.stdout}{completed.stderr}")
    site = root / "site"
    sizes = [
        page.stat().st_size
        for kind in ENTITY_FOLDERS
        for page in (site / kind).glob("*/index.html")
    ]
    index = site / "pagefind"
    return {
        "seconds": seconds,
        "entity_page_html_median_bytes": statistics.median(sizes) if sizes else None,
        "search_index_bytes": sum(f.stat().st_size for f in index.rglob("*") if f.is_file()),
        **measure_first_search(root, site),
    }


def write_floor_site(root: Path, pages: int) -> Path:
    """`pages` one-line Markdown pages and a minimal mkdocs.yml: the site's theme, its nav of
    section indexes only, no plugin at all (so no search). Returns the config file."""
    docs = root / "docs"
    (docs / "pages").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    for number in range(pages):
        (docs / "pages" / f"page-{number}.md").write_text(f"Page {number}.\n", encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Floor\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins: []\n"
        "nav:\n  - Home: index.md\n"
        "not_in_nav: |\n  /pages/*.md\n",
        encoding="utf-8",
    )
    return config


def measure_floor(root: Path, pages: int) -> dict:
    """`mkdocs build` of `pages` one-line pages (write_floor_site), as a process of its own."""
    shutil.rmtree(root, ignore_errors=True)
    config = write_floor_site(root, pages)
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(config)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(root, ignore_errors=True)
    return {"seconds": seconds, "pages": pages}


def write_site_floor(root: Path, out: Path) -> Path:
    """The knowledge base's own site with every record's page made one line: its mkdocs.yml
    (theme features, nav, Markdown extensions), its theme overrides, and the build folder's
    indexes, hand-written pages and assets as they are. What mkdocs costs for this site's
    configuration before any record's content; between the floor and the full build. Reads
    ROOT/build/docs (a build must have run). Returns the config file."""
    from generator.pipeline import Project
    from generator.publish import mkdocs_config_file
    from generator.schema import default_schemas

    shutil.rmtree(out, ignore_errors=True)
    docs = out / "build" / "docs"
    shutil.copytree(root / "build" / "docs", docs)
    for kind in default_schemas().kinds.values():
        for page in (docs / kind.plural).glob("*.md"):
            if page.name != "index.md":
                page.write_text(f"# {page.stem}\n\nPage.\n", encoding="utf-8")
    config = out / "mkdocs.yml"
    shutil.copyfile(mkdocs_config_file(Project(root)), config)
    for folder in ("overrides",):
        source = (root / folder) if (root / folder).is_dir() else REPO_ROOT / folder
        if source.is_dir():
            shutil.copytree(source, out / folder)
    return config


def measure_site_floor(root: Path, out: Path) -> dict:
    """`mkdocs build` of write_site_floor's site, as a process of its own."""
    config = write_site_floor(root, out)
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(config)]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO_ROOT)
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_serve(root: Path, runs: int) -> dict:
    """`kb serve` on `root`, a product's page open in Chromium; per run, its fact file is
    edited and the seconds until the page shows the new text are measured (then the edit is
    undone, untimed). Nothing when Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        return {"runs": []}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"runs": []}
    import urllib.request

    edit = pick_edit(root)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/{EDIT_KIND_FOLDER}/{edit.stem}/"
    server = subprocess.Popen(
        _kb_command("serve", root, "--port", port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    measured = []
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT_SECONDS
        while True:  # the first build (generator, then mkdocs) before the server answers
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"kb serve {root} did not start") from None
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(url, wait_until="load")
            shows = "text => document.body.innerText.includes(text)"
            for run in range(runs):
                marker = f"{EDIT_MARKER} {run}"
                original = edit_fact(edit, marker)
                start = time.perf_counter()
                try:
                    page.wait_for_function(shows, arg=marker, timeout=120_000, polling=20)
                    measured.append(time.perf_counter() - start)
                finally:
                    edit.write_bytes(original)
                page.wait_for_function(f"m => !({shows})(m)", arg=marker, timeout=120_000)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {"runs": measured}


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

    from generator.pipeline import Project, build_markdown
    from generator.publish import mkdocs_config_file

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
    """`python -m devtools.bench --child MODE ROOT [N]`: one measurement, as JSON."""
    mode, root = argv[0], Path(argv[1])
    if mode == "floor":
        result = measure_floor(root, int(argv[2]))
    elif mode == "build":
        result = measure_build(root)
    elif mode == "full-build":
        result = measure_full_build(root)
    elif mode == "site-floor":
        result = measure_site_floor(root, Path(argv[2]))
    elif mode == "serve":
        result = measure_serve(root, int(argv[2]))
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
        [sys.executable, "-m", "devtools.bench", "--child", *map(str, args)],
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
    """What makes the next build cold: no cache, no Markdown or site from an earlier build."""
    for folder in (".cache", "build", "site"):
        shutil.rmtree(root / folder, ignore_errors=True)


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
    figures: dict[str, Any] = {"entities": entities}

    cold, warm = [], []
    for run in range(1, settings.runs + 1):
        echo(f"[{entities:,}] generator run {run}/{settings.runs}: cold, warm")
        _clear_build_state(root)
        cold.append(_child("build", root))
        warm.append(_child("build", root))
    figures["cold_seconds"] = _median([m["seconds"] for m in cold])
    figures["cold_stages"] = {
        stage: _median([m["stages"].get(stage) for m in cold]) for stage in STAGES
    }
    figures["warm_seconds"] = _median([m["seconds"] for m in warm])
    figures["warm_stages"] = {
        stage: _median([m["stages"].get(stage) for m in warm]) for stage in STAGES
    }
    figures["pages"] = cold[0]["pages"]
    figures["export_share"] = _median([m["stages"].get("export", 0.0) / m["seconds"] for m in cold])
    figures["all_json_bytes"] = cold[0]["all_json_bytes"]
    figures["all_json_bytes_per_record"] = cold[0]["all_json_bytes"] / cold[0]["records"]
    figures["peak_memory_bytes"] = _median([m["peak_memory_bytes"] for m in cold])

    if entities in settings.skip_mkdocs_sizes:
        echo(f"[{entities:,}] full build skipped")
        figures["site"] = None
    else:
        runs = settings.mkdocs_runs or settings.runs
        built, floor, site_floor = [], [], []
        for run in range(1, runs + 1):
            echo(f"[{entities:,}] full build (kb build), floor and site floor {run}/{runs}")
            _clear_build_state(root)
            built.append(_child("full-build", root))
            floor.append(_child("floor", settings.out_dir / "floor", figures["pages"]))
            site_floor.append(_child("site-floor", root, settings.out_dir / "site-floor"))
        site = {key: _median([m[key] for m in built]) for key in built[0]}
        site["floor_seconds"] = _median([m["seconds"] for m in floor])
        site["over_floor"] = site["seconds"] / site["floor_seconds"]
        site["site_floor_seconds"] = _median([m["seconds"] for m in site_floor])
        site["site_floor_over_floor"] = site["site_floor_seconds"] / site["floor_seconds"]
        site["generator_share"] = figures["cold_seconds"] / site["seconds"]
        figures["site"] = site

    figures["serve_seconds"] = None
    if entities <= SERVE_MAX_ENTITIES and entities not in settings.skip_mkdocs_sizes:
        echo(f"[{entities:,}] kb serve: an edited fact file until the browser shows it")
        _clear_build_state(root)
        figures["serve_seconds"] = _median(_child("serve", root, settings.runs)["runs"])
    if not settings.keep:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def evaluate_targets(sizes: dict[int, dict]) -> list[Target]:
    """The targets, each met, missed, or not measured (a size or the site skipped)."""
    big, mid, small = sizes.get(10_000), sizes.get(1_000), sizes.get(100)
    targets = []
    for entities, figures in ((1_000, mid), (10_000, big)):
        full = Target(f"full build (kb build) at {entities:,}, x the floor", "<= 2")
        if figures and figures.get("site"):
            full.value = figures["site"]["over_floor"]
            full.shown, full.met = f"{full.value:.1f}", full.value <= 2
        targets.append(full)

    serve = Target("kb serve at 1,000: a saved fact file shown in the browser", "<= 1 s")
    if mid and mid.get("serve_seconds") is not None:
        serve.value = mid["serve_seconds"]
        serve.shown, serve.met = f"{serve.value:.2f} s", serve.value <= 1
    targets.append(serve)

    ratio = Target("generator time 10,000 / 1,000 (linear growth)", "<= 12")
    memory = Target("generator peak memory at 10,000", "< 1 GB")
    if big and mid:
        ratio.value = big["cold_seconds"] / mid["cold_seconds"]
        ratio.shown, ratio.met = f"{ratio.value:.1f}", ratio.value <= 12
    if big:
        memory.value = big["peak_memory_bytes"]
        memory.shown, memory.met = f"{memory.value / 2**20:.0f} MB", memory.value < 2**30
    targets += [ratio, memory]

    page = Target("entity page HTML at 10,000 / at 100", "<= 1.25")
    if big and small and big.get("site") and small.get("site"):
        page.value = (
            big["site"]["entity_page_html_median_bytes"]
            / small["site"]["entity_page_html_median_bytes"]
        )
        page.shown, page.met = f"{page.value:.2f}", page.value <= 1.25
    search = Target("first search at 10,000: bytes fetched (Chromium)", "<= 300 KB")
    if big and big.get("site") and big["site"].get("first_search_bytes") is not None:
        search.value = big["site"]["first_search_bytes"]
        search.shown = f"{search.value / 1024:.0f} KB"
        search.met = search.value <= 300 * 1024
    targets += [page, search]

    for entities, figures in ((1_000, mid), (10_000, big)):
        share = Target(
            f"exports at {entities:,}: share of the generator's time",
            f"<= {EXPORT_SHARE_LIMIT:.0%}",
        )
        if figures and figures.get("export_share") is not None:
            share.value = figures["export_share"]
            share.shown, share.met = f"{share.value:.1%}", share.value <= EXPORT_SHARE_LIMIT
        targets.append(share)
    linear = Target("all.json bytes per record at 10,000 / at 100 (linear)", "<= 1.25")
    if big and small:
        linear.value = big["all_json_bytes_per_record"] / small["all_json_bytes_per_record"]
        linear.shown, linear.met = f"{linear.value:.2f}", linear.value <= 1.25
    targets.append(linear)
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

    def site(key: str, shown):
        return lambda f: shown(f["site"][key]) if f.get("site") else "skipped"

    row("records / pages", lambda f: f"{f['entities']:,} / {f['pages']:,}")
    row("full build, kb build (s)", site("seconds", _seconds))
    row("floor: one-line Material pages (s)", site("floor_seconds", _seconds))
    row("full build / floor", site("over_floor", lambda v: f"{v:.1f}"))
    row("site floor: the site's config, one-line records (s)", site("site_floor_seconds", _seconds))
    row("  site floor / floor", site("site_floor_over_floor", lambda v: f"{v:.1f}"))
    row("generator cold (s)", lambda f: _seconds(f["cold_seconds"]))
    for stage in STAGES:
        row(f"  {stage} (s)", lambda f, stage=stage: _seconds(f["cold_stages"][stage]))
    row("  export share of the generator", lambda f: f"{f['export_share']:.1%}")
    row("generator share of the full build", site("generator_share", lambda v: f"{v:.0%}"))
    row("generator warm, build folder written (s)", lambda f: _seconds(f["warm_seconds"]))
    row("  load (s)", lambda f: _seconds(f["warm_stages"]["load"]))
    row("kb serve: edit shown in browser (s)", lambda f: _seconds(f["serve_seconds"]))
    row(
        "entity page HTML, median (KB)",
        site("entity_page_html_median_bytes", lambda v: f"{v / 1024:.1f}"),
    )
    row("search index, all files (MB)", site("search_index_bytes", _megabytes))
    row("first search, fetched (KB)", site("first_search_bytes", _kilobytes))
    row("  page load before it (KB)", site("page_load_bytes", _kilobytes))
    row("generator peak memory (MB)", lambda f: f"{f['peak_memory_bytes'] / 2**20:.0f}")
    row("all.json (KB)", lambda f: _kilobytes(f["all_json_bytes"]))
    row("  per record (bytes)", lambda f: f"{f['all_json_bytes_per_record']:,.0f}")

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
    sys.exit(argparse.ArgumentParser().error("run `kb-dev bench`"))
