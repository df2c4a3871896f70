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
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from generator import escape
from tests.browser.conftest import make_knowledge_base
from tests.conftest import DATASET_SNAPSHOT, REPO_ROOT, run_kb
from tests.hostile_site import (
    MARKERS,
    hostile_records,
    hostile_strings,
    scan_html,
    shown_lines,
    write_hostile_facts,
)

pytestmark = pytest.mark.slow

THEME_SCRIPTS = ("assets/javascripts/", "assets/vendor/", "assets/sortable-tables.js")
SITE_NAME = "Handset Atlas"


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


def test_every_page_has_only_the_theme_scripts(hostile_kb: Path):
    """The hostile pages carry exactly the scripts every page of the theme carries."""
    baseline = None
    for page in _pages(hostile_kb):
        scan = scan_html(page.read_text(encoding="utf-8"))
        sources = sorted(script.attrs.get("src", "").rsplit("/", 1)[-1] for script in scan.scripts)
        if baseline is None:
            baseline = sources
        assert sources == baseline, page.relative_to(hostile_kb)


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
        assert set(front) <= {"title", "description", "search", "tags"}, page
        # Tags (a record's name and aliases, for search) are shown by Material as HTML too.
        for value in (front.get("title", ""), front.get("description", ""), *front.get("tags", [])):
            assert "<" not in value and ">" not in value and '"' not in value, page
        rel = page.relative_to(hostile_kb / "build" / "docs").as_posix()
        if rel in labels:
            labels[rel] = html.unescape(front["title"])
    assert all(labels.values()), labels


def test_search_index_holds_text_not_markup(hostile_kb: Path):
    """Material's search shows titles and texts of the index as HTML: each must be escaped
    text, and every record must be findable by its name as typed."""
    index = json.loads((hostile_kb / "site" / "search" / "search_index.json").read_text())
    titles = set()
    for doc in index["docs"]:
        for key, value in [("title", doc["title"]), ("text", doc["text"])] + [
            ("tag", tag) for tag in doc.get("tags", [])
        ]:
            scan = scan_html(value)
            problems = scan.problems(allowed_script_sources=())
            assert not problems and not scan.scripts, f"{doc['location']} {key}: {problems}"
        titles.add(html.unescape(doc["title"]))
    for name, data in hostile_records().items():
        label = data.get("name") or data.get("title")
        if label:
            assert label in titles, f"search cannot find {name} by its name"
    every_text = " ".join(html.unescape(doc["text"]) for doc in index["docs"])
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


@pytest.mark.parametrize("payload", ["a\u202eb", "a\u200bb", "a\x1bb", "a\ud800b", "a\x00b"])
def test_invisible_and_control_characters_never_reach_a_page(payload: str):
    """Validation refuses them; escaping drops them too (the second line of defence)."""
    for function in (escape.md_text, escape.md_cell, escape.html_attr, escape.mermaid_label):
        assert function(payload).replace("&#97;", "a").replace("&#98;", "b") in ("ab", "a b")
    assert html.unescape(escape.html_escape(payload)) == "ab"


def test_html_attribute_values_cannot_end_the_attribute():
    value = escape.html_attr("x\" onclick='alert(1)' y=\"")
    assert '"' not in value and "'" not in value and "<" not in value


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


def test_an_interrupted_build_leaves_the_old_site_or_the_new_one(small_kb: Path):
    """Ctrl-C while mkdocs writes the new site: site/ is still the whole previous site, and no
    temporary folder is left behind."""
    assert run_kb("build", cwd=small_kb).code == 0
    site_before = tree_state(small_kb / "site")
    # A change, so that a completed build would differ from the old site.
    (small_kb / "content" / "index.md").write_text(
        (small_kb / "content" / "index.md").read_text(encoding="utf-8") + "\nOne more line.\n",
        encoding="utf-8",
    )
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO_ROOT)}
    interrupted = False
    for _attempt in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "build"],
            cwd=small_kb,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Wait until mkdocs is writing into the temporary site folder, then press Ctrl-C.
        deadline = time.monotonic() + 120  # a hang guard, not a timing assertion
        while process.poll() is None and time.monotonic() < deadline:
            temporary = [p for p in small_kb.glob(".kb-tmp-site-*") if any(p.iterdir())]
            if temporary:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        out, err = process.communicate(timeout=120)
        assert "Traceback" not in err, err
        assert _leftovers(small_kb) == [], "an interrupted build left a temporary folder"
        if process.returncode == 0:  # finished before the signal arrived: a complete new site
            assert "One more line." in (small_kb / "site" / "index.html").read_text()
            site_before = tree_state(small_kb / "site")
            (small_kb / "content" / "index.md").write_text(
                (small_kb / "content" / "index.md").read_text() + "\nAnd one more.\n"
            )
            continue
        assert process.returncode == 130, (process.returncode, out, err)
        assert tree_state(small_kb / "site") == site_before, "site/ was changed"
        interrupted = True
        break
    assert interrupted, "the build finished every time before it could be interrupted"
