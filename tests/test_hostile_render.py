"""Hostile input through `kb build`: every fact string reaches the site as text, and no build,
failed or interrupted, loses anyone's work.

The knowledge base of tests/hostile_site.py (every string field of every kind carries script
tags, event handlers, `javascript:` links, Markdown and Jinja syntax, front matter, entities,
Mermaid syntax) is built with the real `kb build` and the repository's mkdocs.yml, and the
result is read with html.parser: the built HTML, the search index and the front matter.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.render import escape
from generator.schema import default_schemas
from tests.browser.conftest import make_knowledge_base
from tests.conftest import DATASET_SNAPSHOT, REPO_ROOT, run_kb
from tests.hostile_site import (
    JSON_LD_TYPE,
    MARKERS,
    hostile_records,
    hostile_strings,
    scan_html,
    shown_lines,
    write_hostile_facts,
)
from tests.search_index import indexed_pages
from tests.test_hostile_check import make_case

pytestmark = pytest.mark.slow

THEME_SCRIPTS = (
    "assets/javascripts/",
    "assets/vendor/",
    "assets/sortable-tables.js",
    "assets/phone-tables.js",
    "assets/search/search-start.js",  # the search box (overrides/), which loads search.js
)
SITE_NAME = "Handset Atlas"


def published_files(site: Path) -> list[str]:
    """The paths of a built site, with the names of Pagefind's filter files (which change from
    build to build of the same pages, see tests/test_build.py) reduced to their folder."""
    return sorted(
        re.sub(r"_[0-9a-f]+\.pf_(filter|meta)$", r".pf_\1", path) for path in tree_state(site)
    )


def tree_state(root: Path) -> dict[str, str]:
    """Every file under root (links and folders too) by path: a hash of its bytes."""
    state = {}
    if not root.exists():
        return state
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[key] = "link " + os.readlink(path)
        elif path.is_file():
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[key] = "folder"
    return state


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory) -> Path:
    """The hostile knowledge base, built once: facts/ and content/ hashed before and after."""
    facts = write_hostile_facts(tmp_path_factory.mktemp("hostile-facts") / "facts")
    root = make_knowledge_base(tmp_path_factory.mktemp("hostile-site") / "kb", facts)
    before = {name: tree_state(root / name) for name in ("facts", "content")}
    result = run_kb("build", root, cwd=root)
    assert result.code == 0, f"kb build failed:\n{result.out}\n{result.err}"
    after = {name: tree_state(root / name) for name in ("facts", "content")}
    assert after == before, "kb build changed facts/ or content/"
    return root


def _pages(root: Path) -> list[Path]:
    pages = sorted((root / "site").rglob("*.html"))
    assert len(pages) >= 15, pages
    return pages


def test_no_fact_string_became_markup(hostile_kb: Path):
    """No page holds a script, an event handler, a javascript:/data: URL, an image or frame,
    or a link to the payloads' host that the data put there."""
    for page in _pages(hostile_kb):
        scan = scan_html(page.read_text(encoding="utf-8"))
        problems = scan.problems(allowed_script_sources=THEME_SCRIPTS)
        assert not problems, f"{page.relative_to(hostile_kb)}:\n" + "\n".join(problems)


# Scripts only some pages load (overrides/main.html): the table sorter on pages that are not a
# record's own. The diagram is HTML: no page loads a script for it.
SORTER_SCRIPTS = {"tablesort.min.js", "sortable-tables.js", "phone-tables.js"}


def test_every_page_has_only_the_theme_scripts(hostile_kb: Path):
    """The hostile pages carry exactly the scripts every page of the theme carries, and the
    table sorter where it is used, nothing else: no diagram script, even where a diagram is
    (a record page's JSON-LD is data, checked by test_no_fact_string_became_markup)."""
    record_folders = {schema.plural for schema in default_schemas().kinds.values()}
    baseline = None
    for page in _pages(hostile_kb):
        where = page.relative_to(hostile_kb / "site")
        html = page.read_text(encoding="utf-8")
        scan = scan_html(html)
        sources = sorted(
            script.attrs.get("src", "").rsplit("/", 1)[-1]
            for script in scan.scripts
            if script.attrs.get("type") != JSON_LD_TYPE
        )
        is_record = len(where.parts) == 3 and where.parts[0] in record_folders
        loaded = set(sources)
        assert not [s for s in sources if "mermaid" in s], f"{where}: {sources}"
        assert (SORTER_SCRIPTS <= loaded) != is_record, f"{where}: {sources}"
        common = [source for source in sources if source not in SORTER_SCRIPTS]
        if baseline is None:
            baseline = common
        assert common == baseline, where


def test_every_payload_shows_as_text_on_its_page(hostile_kb: Path):
    """Every line of every hostile string is on its record's page, as the characters typed."""
    checked = 0
    for page_path, field, value in hostile_strings():
        page = hostile_kb / "site" / page_path / "index.html"
        text = scan_html(page.read_text(encoding="utf-8")).text.casefold()
        for line in shown_lines(value):
            # Case-insensitive: a locator starts with a capital where it starts a sentence.
            assert line.casefold() in text, f"{page_path} {field}: {line!r} is not shown"
            checked += 1
    assert checked > 300


def test_titles_show_the_text(hostile_kb: Path):
    """The browser tab (and the theme's header) shows a record's name exactly: the theme prints
    front matter unescaped, so escape.front_matter must HTML-escape it."""
    from generator.pipeline import Project, check_project

    kb = check_project(Project(hostile_kb)).knowledge_base
    assert kb is not None
    for record in kb.records.values():
        page = hostile_kb / "site" / record.url / "index.html"
        scan = scan_html(page.read_text(encoding="utf-8"))
        assert scan.title == f"{record.label} - {SITE_NAME}", record.id


def test_front_matter_is_data_not_structure(hostile_kb: Path):
    """Every generated page's front matter parses to the keys the generator wrote, whatever
    `---`, quotes or newlines the data held; its strings are the record's, HTML-escaped."""
    labels = {f"{name}.md": None for name in hostile_records()}
    for page in sorted((hostile_kb / "build" / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        if not text.startswith("---\n"):
            continue
        block, _, _ = text[4:].partition("\n---\n")
        front = yaml.safe_load(block)
        assert isinstance(front, dict)
        assert set(front) <= {"title", "description", "kind", "aliases", "fact_file"}, page
        # The fact file's path is made of the kind's folder and the record's id, which the
        # check holds to lowercase letters, digits and hyphens: nothing the theme could read.
        assert re.fullmatch(
            r"facts/[a-z]+/[a-z0-9-]+\.yaml", front.get("fact_file", "facts/x/y.yaml")
        )
        # The theme prints them into the page's HTML as they are (overrides/main.html too).
        for value in (
            front.get("title", ""),
            front.get("description", ""),
            front.get("kind", ""),
            *front.get("aliases", []),
        ):
            assert "<" not in value and ">" not in value and '"' not in value, page
        rel = page.relative_to(hostile_kb / "build" / "docs").as_posix()
        if rel in labels:
            labels[rel] = html.unescape(front["title"])
    assert all(labels.values()), labels


def test_search_index_holds_the_names_as_typed(hostile_kb: Path):
    """Pagefind indexes the text of the pages: every record is findable by its name as typed,
    markup in it included, and the payloads are words in the index (the search box shows
    titles as text: tests/browser/test_hostile_browser.py)."""
    pages = indexed_pages(hostile_kb / "site")
    titles = {page["meta"]["title"] for page in pages.values()}
    for name, data in hostile_records().items():
        label = data.get("name") or data.get("title")
        if label:
            assert label in titles, f"search cannot find {name} by its name"
    every_text = " ".join(page["content"] for page in pages.values())
    assert "window.__pwned=1" in every_text  # indexed as words, shown as words


def test_no_page_links_to_the_payload_host(hostile_kb: Path):
    for page in _pages(hostile_kb):
        source = page.read_text(encoding="utf-8")
        for marker in MARKERS:
            for attribute in ("href=", "src="):
                assert f'{attribute}"{marker}' not in source
        assert 'href="https://evil.example' not in source
        assert 'src="https://evil.example' not in source


# --- The escape functions themselves -------------------------------------------------------


def test_front_matter_cannot_add_keys_or_end_the_block():
    hostile = 'x"\n---\nevil: 1\n---\n</title><script>alert(1)</script>'
    text = escape.front_matter({"title": hostile, "search": {"boost": 2}})
    assert text.count("\n") == 4 and text.startswith("---\n") and text.endswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert set(front) == {"title", "search"}
    assert html.unescape(front["title"]) == hostile
    with pytest.raises(ValueError):
        escape.front_matter({"title: x\nevil": "y"})


# Every code point: surrogates (lone halves, which no UTF-8 file holds) included.
ANY_TEXT = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40
)
# Every character: every code point but the surrogates.
CHARACTERS = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=40
)
ROUND_TRIP = settings(derandomize=True, database=None, deadline=None, max_examples=400)
OUTSIDE_THE_BMP = ["\U0001f4f1", "\U00020000", "\U0002a6d6", "\U0001d11e", "\U0001fae0"]


@ROUND_TRIP
@given(CHARACTERS)
@example("\U0001f4f1 [click me](javascript:alert(1))")
@example('"\\\x85\u2028\u2029\ufeff\ufffe\uffff\x00\x7f\xa0\U000e0001\U0010ffff')
def test_yaml_string_reads_back_exactly_through_mkdocs(text: str):
    """Whatever a string holds, mkdocs' own front matter reader reads back exactly it."""
    block = f"---\ntitle: {escape.yaml_string(text)}\n---\n"
    assert escape.read_front_matter(block + "Body\n") == {"title": text}


@ROUND_TRIP
@given(ANY_TEXT, st.lists(ANY_TEXT, max_size=3))
@example("\U0001f4f1 Emoji Phone", ["\U00020000\U00020001", "x"])
@example("\ud83d\udcf1 lone halves", [])
def test_front_matter_reads_back_as_meant_for_every_code_point(title: str, tags: list[str]):
    """A page's front matter, read by mkdocs, is the values given, HTML-escaped (lone
    surrogates, which no page can hold, dropped): never a block mkdocs drops."""
    block = escape.front_matter({"title": title, "search": {"boost": 2}, "tags": tags})
    page = block + "# Heading\n"
    assert escape.read_front_matter(page) == {
        "title": escape.html_escape(title),
        "search": {"boost": 2},
        "tags": [escape.html_escape(tag) for tag in tags],
    }


@pytest.mark.parametrize("character", OUTSIDE_THE_BMP)
def test_characters_outside_the_bmp_are_written_as_themselves(character: str):
    """Not as a surrogate-pair escape (json.dumps writes `\\ud83d\\udcf1`), which YAML refuses."""
    block = escape.front_matter({"title": f"a {character} b"})
    assert f'title: "a {character} b"' in block
    assert "\\ud" not in block


def test_front_matter_mkdocs_cannot_read_stops_the_build(monkeypatch, tmp_path: Path):
    """Were the writer wrong again (here: JSON's surrogate-pair escapes, the old writer), the
    page is not written: the build fails, naming the block, instead of rendering it as text."""
    monkeypatch.setattr(escape, "yaml_string", lambda text: json.dumps(text, ensure_ascii=True))
    with pytest.raises(escape.FrontMatterError, match="mkdocs reads this front matter as None"):
        escape.front_matter({"title": "\U0001f4f1 [x](javascript:alert(1))"})
    root = make_knowledge_base(
        tmp_path / "kb", make_case("characters-outside-the-bmp", tmp_path) / "facts"
    )
    from generator.cli import main

    assert main(["build", "--markdown-only", str(root)]) == 1
    assert not (root / "build" / "docs" / "organizations" / "emoji-phone.md").exists()


@pytest.fixture(scope="module")
def outside_the_bmp_kb(tmp_path_factory) -> Path:
    """tests/hostile/characters-outside-the-bmp, built with the real `kb build`."""
    scratch = tmp_path_factory.mktemp("outside-the-bmp")
    root = make_knowledge_base(
        scratch / "kb", make_case("characters-outside-the-bmp", scratch) / "facts"
    )
    result = run_kb("build", root, cwd=root)
    assert result.code == 0, f"kb build failed:\n{result.out}\n{result.err}"
    return root


def test_names_outside_the_bmp_keep_their_front_matter(outside_the_bmp_kb: Path):
    """The expected page of the case: its front matter is read by mkdocs as the record's
    name, description and kind, and nothing of it is left in the page's text."""
    from generator.pipeline import Project, check_project

    kb = check_project(Project(outside_the_bmp_kb)).knowledge_base
    for record_id in ("emoji-phone", "cjk-extension-b"):
        record = kb[record_id]
        page = (outside_the_bmp_kb / "build" / "docs" / record.page).read_text(encoding="utf-8")
        front = escape.read_front_matter(page)
        assert front is not None, record_id
        assert front["title"] == escape.html_escape(record.label)
        assert front["kind"] == record.schema.title
        html_page = outside_the_bmp_kb / "site" / record.url / "index.html"
        scan = scan_html(html_page.read_text(encoding="utf-8"))
        assert scan.title == f"{record.label} - {SITE_NAME}", record_id
        assert not scan.problems(allowed_script_sources=THEME_SCRIPTS), scan.problems()
        assert "title:" not in scan.text and "&quot;" not in scan.text


def test_no_link_or_image_from_names_outside_the_bmp(outside_the_bmp_kb: Path):
    for page in sorted((outside_the_bmp_kb / "site").rglob("*.html")):
        source = page.read_text(encoding="utf-8")
        assert 'href="javascript:' not in source.lower(), page
        assert 'href="https://evil.example' not in source, page
        assert 'src="https://evil.example' not in source, page
    titles = {
        page["meta"].get("title", "")
        for page in indexed_pages(outside_the_bmp_kb / "site").values()
    }
    assert any(title.startswith("\U0001f4f1 Emoji Phone") for title in titles), titles


@pytest.mark.parametrize("payload", ["a\u202eb", "a\u200bb", "a\x1bb", "a\ud800b", "a\x00b"])
def test_invisible_and_control_characters_never_reach_a_page(payload: str):
    """Validation refuses them; escaping drops them too (the second line of defence)."""
    for function in (escape.md_text, escape.md_cell, escape.html_text):
        assert function(payload).replace("&#97;", "a").replace("&#98;", "b") in ("ab", "a b")
    assert html.unescape(escape.html_escape(payload)) == "ab"


@pytest.fixture(scope="module")
def site_markdown():
    """Python-Markdown with the extensions and settings of the repository's mkdocs.yml."""
    import markdown
    from mkdocs.config import load_config

    config = load_config(str(REPO_ROOT / "mkdocs.yml"), docs_dir=str(REPO_ROOT / "content"))
    return markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )


EVERY_SPECIAL = "".join(sorted(escape._SPECIAL)) + "&<&\u2039 &amp; &#38; &#x26; <b>"


@pytest.mark.parametrize(
    ("context", "markdown_of"),
    [
        ("paragraph", lambda text: escape.md_text(text)),
        ("quote", lambda text: "> " + escape.md_text(text)),
        ("heading", lambda text: "# " + escape.md_text(text)),
        ("table cell", lambda text: "| a |\n| - |\n| " + escape.md_cell(text) + " |"),
        ("link text", lambda text: escape.md_link(text, "https://example.com/")),
    ],
)
def test_escaped_text_is_one_pass_for_markdown(site_markdown, context, markdown_of):
    """Escaped text gives Python-Markdown's inline patterns nothing to match: no reference is
    stashed (each stash rebuilt the whole text: quadratic, a minute for a 200 KB quote of
    `&<&‹`), and the page shows the characters typed. The work is measured by `kb-dev bench`'s
    hostile text case, not here."""
    text = EVERY_SPECIAL * 50
    html_out = site_markdown.reset().convert(markdown_of(text))
    assert site_markdown.htmlStash.html_counter == 0, context
    assert " ".join(text.split()) in html.unescape(html_out), context


def test_the_bench_case_of_hostile_text_renders(tmp_path: Path):
    """`kb-dev bench`'s hostile text case is a valid knowledge base whose page holds the text."""
    from devtools.bench import (
        HOSTILE_TEXT_UNIT,
        measure_hostile_text,
        write_hostile_text_kb,
    )

    write_hostile_text_kb(tmp_path)
    figures = measure_hostile_text(tmp_path)
    assert figures["render_seconds"] > 0 and figures["markdown_seconds"] > 0
    page = (tmp_path / "build" / "docs" / "quotes" / "hostile-text.md").read_text()
    assert html.unescape(page).count(HOSTILE_TEXT_UNIT) > 30_000


def test_html_text_cannot_end_an_attribute_or_start_a_line():
    """Text built into HTML in Python is escaped for attributes too, and is one line: no fact
    string starts a line of a page, where a Markdown preprocessor reads fences."""
    value = escape.html_text("x\" onclick='alert(1)' y=\"\n```mermaid\n<b>")
    assert not set(value) & set("\"'<>\n"), value
    assert html.unescape(value) == "x\" onclick='alert(1)' y=\" ```mermaid <b>"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil", "x"]
)
def test_only_web_urls_become_links(url: str):
    assert escape.html_url(url) is None


def test_web_urls_cannot_end_the_attribute():
    href = escape.html_url("https://example.com/a\"b<c>'d")
    assert href is not None and not set(href) & set('"<> ')


def test_link_targets_cannot_end_the_link():
    link = escape.md_link("label", "https://example.com/a b>)\"<x>'")
    target = link[link.index("(<") + 2 : link.rindex(">)")]
    assert not set(target) & set(' <>()"\n')


# --- Nothing lost ----------------------------------------------------------------------------


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """The dataset's snapshot, copied (every build here may fail on purpose)."""
    return make_knowledge_base(tmp_path / "kb", DATASET_SNAPSHOT / "facts")


def test_check_and_build_never_write_into_facts_or_content(small_kb: Path):
    before = {name: tree_state(small_kb / name) for name in ("facts", "content")}
    assert run_kb("check", cwd=small_kb).code == 0
    assert run_kb("build", cwd=small_kb).code == 0
    assert run_kb("build", "--markdown-only", cwd=small_kb).code == 0
    assert {name: tree_state(small_kb / name) for name in ("facts", "content")} == before


def _leftovers(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir() if path.name.startswith(".kb-tmp-"))


def test_a_failing_build_keeps_the_previous_site(small_kb: Path):
    """mkdocs fails (a broken link, strict mode) after the Markdown was written: site/ is the
    previous site, byte for byte, and no temporary folder is left."""
    assert run_kb("build", cwd=small_kb).code == 0
    site_before = tree_state(small_kb / "site")
    (small_kb / "content" / "organizations").mkdir(parents=True, exist_ok=True)
    (small_kb / "content" / "organizations" / "broken.md").write_text(
        "# Broken\n\n[nowhere](nowhere.md)\n", encoding="utf-8"
    )
    result = run_kb("build", cwd=small_kb)
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert tree_state(small_kb / "site") == site_before
    assert _leftovers(small_kb) == []


def test_a_build_refused_by_validation_writes_nothing(small_kb: Path):
    assert run_kb("build", cwd=small_kb).code == 0
    before = {name: tree_state(small_kb / name) for name in ("site", "build")}
    (small_kb / "facts" / "organizations" / "broken.yaml").write_text(
        "name: !!python/object/apply:os.system ['true']\n", encoding="utf-8"
    )
    result = run_kb("build", cwd=small_kb)
    assert result.code == 1
    assert "YAML tag '!!python/object/apply:os.system' is not allowed" in result.out
    assert {name: tree_state(small_kb / name) for name in ("site", "build")} == before


def test_a_linked_content_file_is_refused_not_published(small_kb: Path, tmp_path: Path):
    """content/env.txt -> a file elsewhere on the build machine would publish that file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web\n", encoding="utf-8")
    (small_kb / "content" / "env.txt").symlink_to(secret)
    result = run_kb("build", cwd=small_kb)
    assert result.code == 1
    assert "content/env.txt: symbolic link" in result.err
    assert not (small_kb / "site").exists() or not list((small_kb / "site").rglob("env.txt"))


# `kb build` in a process of its own that presses Ctrl-C on itself when mkdocs has written the
# whole new site into the temporary folder and Pagefind is about to index it: the moment a
# build is furthest along without being done. (Waiting for files to appear instead raced the
# build, which is often done before a test can look.)
INTERRUPTED_BUILD = """
import os, signal, sys, time
import generator.pipeline
from generator.cli import main

def interrupted_pagefind(folder):
    assert any(folder.iterdir()), "mkdocs wrote nothing into the temporary folder"
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(60)  # a hang guard: the signal ends the sleep

generator.pipeline.run_pagefind = interrupted_pagefind
sys.exit(main(["build"]))
"""


def test_an_interrupted_build_leaves_the_old_site(small_kb: Path):
    """Ctrl-C once mkdocs has written the new site: site/ is still the whole previous site, no
    temporary folder is left behind, and the build says it was interrupted (exit 130)."""
    assert run_kb("build", cwd=small_kb).code == 0
    site_before = tree_state(small_kb / "site")
    # A change, so that a completed build would differ from the old site.
    (small_kb / "content" / "index.md").write_text(
        (small_kb / "content" / "index.md").read_text(encoding="utf-8") + "\nOne more line.\n",
        encoding="utf-8",
    )
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_BUILD],
        cwd=small_kb,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 130, (completed.returncode, completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr, completed.stderr
    assert _leftovers(small_kb) == [], "an interrupted build left a temporary folder"
    assert tree_state(small_kb / "site") == site_before, "site/ was changed"


# --- One build at a time ----------------------------------------------------------------------


@pytest.fixture
def base_kb(tmp_path: Path) -> Path:
    """tests/hostile/_base as a knowledge base with the repository's site files."""
    return make_knowledge_base(tmp_path / "kb", REPO_ROOT / "tests" / "hostile" / "_base" / "facts")


def test_a_second_build_is_refused_while_one_runs(base_kb: Path):
    """While another process holds the knowledge base's build lock (a build, or kb serve),
    `kb build` says so and touches nothing; once it is released, the build runs."""
    from generator.lock import build_lock
    from generator.pipeline import Project

    assert run_kb("build", cwd=base_kb).code == 0
    before = {name: tree_state(base_kb / name) for name in ("site", "build")}
    with build_lock(Project(base_kb), "kb serve"):
        for args in (("build",), ("build", "--markdown-only")):
            result = run_kb(*args, cwd=base_kb)
            assert result.code == 1, result.out + result.err
            assert (
                f"kb build: another build of this knowledge base is running (kb serve, process "
                f"{os.getpid()}): wait for it to finish (or stop it), then run kb build again"
            ) in result.err
        assert {name: tree_state(base_kb / name) for name in ("site", "build")} == before
    assert run_kb("build", cwd=base_kb).code == 0


def test_concurrent_builds_publish_a_complete_site_or_fail(base_kb: Path):
    """Two `kb build` at once: each either builds (exit 0) or is refused (exit 1, saying
    why), and the site left is complete. Once, two raced and site/ kept half its files."""
    assert run_kb("build", cwd=base_kb).code == 0
    complete = published_files(base_kb / "site")
    (base_kb / "content" / "index.md").write_text(
        (base_kb / "content" / "index.md").read_text(encoding="utf-8") + "\nA change.\n",
        encoding="utf-8",
    )
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO_ROOT)}
    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "generator", "build"],
            cwd=base_kb,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(build.wait(timeout=300), build.communicate()) for build in builds]
    for code, (_, err) in outcomes:
        assert code in (0, 1), err
        if code == 1:
            assert "another build of this knowledge base is running" in err, err
    assert any(code == 0 for code, _ in outcomes)
    assert published_files(base_kb / "site") == complete
    assert "A change." in (base_kb / "site" / "index.html").read_text(encoding="utf-8")
    assert _leftovers(base_kb) == []


def test_kb_build_is_refused_while_kb_serve_runs(base_kb: Path):
    from tests.test_serve import ServeProcess, free_port

    server = ServeProcess(base_kb, free_port())
    try:
        server.wait_until("kb serve serves", lambda: "kb serve: serving" in server.output)
        result = run_kb("build", cwd=base_kb)
        assert result.code == 1
        assert "another build of this knowledge base is running (kb serve, process" in result.err
        second = run_kb("serve", base_kb, "--port", str(free_port()), timeout=120)
        assert second.code == 1 and "then run kb serve again" in second.err
    finally:
        server.close()
    assert run_kb("build", cwd=base_kb).code == 0
