"""Builds that remember: a build after a change gives exactly what a build from scratch gives.

`build_markdown` keeps what the last build read and wrote (incremental.BuildMemory) and, when
only facts changed, renders only the pages that depend on them. These tests make random edits
to a synthetic knowledge base and compare each remembering build, page by page, with a build
of the same facts from nothing.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import incremental
from generator.build import build_markdown
from generator.pipeline import Project
from generator.synth import write_knowledge_base

from .conftest import REPO_ROOT


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def fresh_build(root: Path, scratch: Path) -> dict[str, bytes]:
    """The Markdown a build from nothing makes of `root`'s facts."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(".cache", "build"))
    incremental._OPEN.pop(Project(scratch).root, None)
    result = build_markdown(Project(scratch))
    assert result.ok, result.check.collector.problems
    incremental._OPEN.pop(Project(scratch).root, None)
    return tree(scratch / "build" / "docs")


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_knowledge_base(root, 60, seed=7)
    yield root
    incremental._OPEN.pop(Project(root).root, None)


def _files(root: Path, folder: str) -> list[Path]:
    return sorted((root / "facts" / folder).glob("*.yaml"))


def _replace_in(path: Path, pattern: str, replacement: str) -> bool:
    text = path.read_text(encoding="utf-8")
    new = re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)
    path.write_text(new, encoding="utf-8")
    return new != text


def random_edit(root: Path, rng: random.Random, step: int) -> str:
    """One edit a contributor might make, keeping the knowledge base valid; says which."""
    kind = rng.choice(
        ["rename", "summary", "link", "unlink", "date", "add", "remove", "category", "excerpt"]
    )
    everything = sorted((root / "facts").glob("*/*.yaml"))
    if kind == "rename":
        path = rng.choice(_files(root, rng.choice(["organizations", "people", "products"])))
        _replace_in(path, r"^name: (.*)$", rf"name: Renamed {step} \1")
    elif kind == "summary":
        path = rng.choice([p for p in everything if "\nsummary: >-\n" in p.read_text("utf-8")])
        _replace_in(path, r"^summary: >-\n", f"summary: >-\n  Edit number {step}.\n")
    elif kind == "link":
        path = rng.choice([p for p in everything if "\nsummary: >-\n" in p.read_text("utf-8")])
        target = rng.choice(everything).stem
        _replace_in(path, r"^summary: >-\n", f"summary: >-\n  See [[{target}]].\n")
    elif kind == "unlink":
        path = rng.choice([p for p in everything if "[[" in p.read_text("utf-8")])
        _replace_in(path, r"\[\[([a-z0-9-]+)(\|[^\]]*)?\]\]", "that record")
    elif kind == "category":  # a field the products' index shows: only field-level reads see it
        path = rng.choice(_files(root, "products"))
        _replace_in(path, r"^category: .*$", f"category: {rng.choice(['smartphone', 'camera'])}")
    elif kind == "excerpt":  # inside a citation: the source's page shows it
        path = rng.choice([p for p in everything if "excerpt: " in p.read_text("utf-8")])
        _replace_in(path, r"excerpt: ", f"excerpt: Edit {step} ")
    elif kind == "date":
        path = rng.choice([p for p in _files(root, "events") if "\ndate: " in p.read_text("utf-8")])
        _replace_in(path, r"^date: .*$", f'date: "{rng.randint(1990, 2030)}"')
    elif kind == "add":
        source = rng.choice(_files(root, "products"))
        path = source.with_name(f"added-{step}.yaml")
        text = re.sub(
            r"^name: (.*)$",
            rf"name: Added {step}",
            source.read_text("utf-8"),
            count=1,
            flags=re.MULTILINE,
        )
        path.write_text(text, encoding="utf-8")
    else:
        added = sorted((root / "facts" / "products").glob("added-*.yaml"))
        if not added:
            return random_edit(root, rng, step)
        path = rng.choice(added)
        path.unlink()
    return f"{kind} {path.relative_to(root)}"


@pytest.mark.parametrize("seed", [1, 2])
def test_every_build_after_edits_equals_a_build_from_scratch(knowledge_base, tmp_path, seed):
    project = Project(knowledge_base)
    assert build_markdown(project).ok
    rng = random.Random(seed)
    for step in range(6):
        edit = random_edit(knowledge_base, rng, step)
        result = build_markdown(project)  # this process remembers the last build (kb serve)
        assert result.ok, (edit, result.check.collector.problems)
        assert tree(knowledge_base / "build" / "docs") == fresh_build(
            knowledge_base, tmp_path / "scratch"
        ), edit
        assert incremental.BuildMemory.open(project).full_render_reason is None, edit


@pytest.mark.parametrize("seed", [3, 4])
def test_builds_told_what_changed_equal_a_build_from_scratch(knowledge_base, tmp_path, seed):
    """As kb serve builds: told which files its watcher saw change, edits that keep what lists
    a record are applied to the model in place, and only pages that read a changed field
    render; the result is still exactly that of a build from nothing."""
    project = Project(knowledge_base)
    assert build_markdown(project).ok
    rng = random.Random(seed)
    in_place = 0
    for step in range(10):
        edit = random_edit(knowledge_base, rng, step)
        changed = [knowledge_base / edit.split(" ", 1)[1]]
        result = build_markdown(project, changed=changed)
        assert result.ok, (edit, result.check.collector.problems)
        assert tree(knowledge_base / "build" / "docs") == fresh_build(
            knowledge_base, tmp_path / "scratch"
        ), edit
        in_place += incremental.BuildMemory.open(project).applied_in_place
    assert in_place  # the edits applied in place were among those compared


def test_an_edit_told_by_the_watcher_renders_few_pages(knowledge_base):
    project = Project(knowledge_base)
    assert build_markdown(project).ok
    product = sorted((knowledge_base / "facts" / "products").glob("*.yaml"))[5]
    _replace_in(product, r"^summary: >-\n", "summary: >-\n  Edited.\n")
    result = build_markdown(project, changed=[product])
    memory = incremental.BuildMemory.open(project)
    assert memory.applied_in_place  # not built again from the files
    assert "products/index.md" not in result.pages.fresh  # the index shows no summary
    assert "timeline.md" not in result.pages.fresh
    assert result.report.written == [f"products/{product.stem}.md"]


def test_an_edited_summary_renders_only_the_pages_that_show_it(knowledge_base):
    project = Project(knowledge_base)
    assert build_markdown(project).ok
    product = sorted((knowledge_base / "facts" / "products").glob("*.yaml"))[5]
    _replace_in(product, r"^summary: >-\n", "summary: >-\n  Edited.\n")
    result = build_markdown(project)
    memory = incremental.BuildMemory.open(project)
    # Its page, the pages listing it (index, timeline, its sources' pages...), and no others.
    assert memory.rendered_count < len(result.pages) / 4
    assert result.report.written == [f"products/{product.stem}.md"]


def test_a_new_process_remembers_through_the_cache(knowledge_base, tmp_path):
    project = Project(knowledge_base)
    assert build_markdown(project).ok
    incremental._OPEN.clear()  # as if a new `kb build` started
    random_edit(knowledge_base, random.Random(3), 0)
    result = build_markdown(project)
    assert result.ok
    assert 0 < len(result.report.written) < len(result.pages)
    assert tree(knowledge_base / "build" / "docs") == fresh_build(
        knowledge_base, tmp_path / "scratch"
    )


def test_nothing_changed_renders_and_writes_nothing(knowledge_base):
    project = Project(knowledge_base)
    first = build_markdown(project)
    before = {path: path.stat().st_mtime_ns for path in (knowledge_base / "build").rglob("*")}
    incremental._OPEN.clear()
    second = build_markdown(project)
    assert second.ok and second.report.written == [] and second.report.deleted == []
    assert sorted(second.pages) == sorted(first.pages)
    assert second.check.collector.problems == first.check.collector.problems
    assert second.check.record_count == first.check.record_count
    after = {path: path.stat().st_mtime_ns for path in (knowledge_base / "build").rglob("*")}
    assert after == before


def test_a_page_changed_or_deleted_in_build_docs_is_written_again(knowledge_base):
    project = Project(knowledge_base)
    build_markdown(project)
    docs = knowledge_base / "build" / "docs"
    page = sorted((docs / "products").glob("*.md"))[3]
    original = page.read_bytes()
    page.write_text("defaced\n", encoding="utf-8")
    index = docs / "people" / "index.md"
    index.unlink()
    result = build_markdown(project)
    assert sorted(result.report.written) == sorted(
        [page.relative_to(docs).as_posix(), "people/index.md"]
    )
    assert page.read_bytes() == original and index.exists()


def test_a_template_override_renders_every_page(knowledge_base):
    project = Project(knowledge_base)
    build_markdown(project)
    override = knowledge_base / "templates" / "timeline.md.j2"
    override.parent.mkdir()
    override.write_text("{{ front|front_matter }}\n# Overridden\n", encoding="utf-8")
    incremental._OPEN.clear()
    result = build_markdown(project)
    memory = incremental.BuildMemory.open(project)
    assert memory.full_render_reason == "templates/timeline.md.j2 changed"
    assert result.report.written == ["timeline.md"]
    assert "# Overridden" in (knowledge_base / "build" / "docs" / "timeline.md").read_text()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other-shape"])
def test_a_damaged_cache_is_ignored_and_rebuilt(knowledge_base, tmp_path, damage):
    project = Project(knowledge_base)
    build_markdown(project)
    incremental._OPEN.clear()
    for cached in (knowledge_base / ".cache").glob("*.json"):
        raw = cached.read_bytes()
        if damage == "truncate":
            cached.write_bytes(raw[: len(raw) // 2])
        elif damage == "garbage":
            cached.write_bytes(b"\x00\xff not json")
        else:  # valid checksum, unexpected content
            from generator.cache import write_checked_json

            write_checked_json(cached, {"format": 1, "records": {"x": 1}, "inputs": [1]})
    random_edit(knowledge_base, random.Random(5), 0)
    result = build_markdown(project)
    assert result.ok
    assert tree(knowledge_base / "build" / "docs") == fresh_build(
        knowledge_base, tmp_path / "scratch"
    )
    incremental._OPEN.clear()
    assert build_markdown(project).report.written == []  # and the cache works again


def test_pages_rendered_by_several_processes_are_the_same(knowledge_base, tmp_path):
    expected = fresh_build(knowledge_base, tmp_path / "scratch")
    # In a child process: forking is only done from a process without threads, and the test
    # runner may have some.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from generator import incremental, parallel\n"
        "from generator.build import build_markdown\n"
        "from generator.pipeline import Project\n"
        "incremental.PARALLEL_MIN_PAGES = 1\n"
        "assert parallel.parallel_jobs(100, 1) == 3, 'no forked rendering'\n"
        "project = Project(Path(sys.argv[1]))\n"
        "assert build_markdown(project).ok\n"
        "memory = incremental.BuildMemory.open(project)\n"
        "print(sorted(memory.pages[sys.argv[2]].deps))\n"
    )
    product = sorted((knowledge_base / "facts" / "products").glob("*.yaml"))[0].stem
    if not sys.platform.startswith("linux"):
        pytest.skip("pages are rendered by forked workers on Linux only")
    result = subprocess.run(
        [sys.executable, "-c", code, str(knowledge_base), f"products/{product}.md"],
        cwd=REPO_ROOT,
        env={**os.environ, "KB_JOBS": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert tree(knowledge_base / "build" / "docs") == expected
    # What each page read came back from the workers too.
    assert f"'r:{product}'" in result.stdout
