"""kb serve's builds: after an edit of fact files, only the pages it can change render
(render/after_edit.py), and the build folder is still exactly what a build from nothing makes.

These tests make random edits to a synthetic knowledge base and compare the build folder after
each of kb serve's builds, page by page, with a build of the same facts from nothing.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from devtools.synth import write_knowledge_base
from generator.pipeline import Project, ServeBuilds, build_markdown
from generator.render.after_edit import render_after_edit
from generator.render.render import PACKAGE_TEMPLATES


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
    result = build_markdown(Project(scratch))
    assert result.ok, result.check.collector.problems
    return tree(scratch / "build" / "docs")


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_knowledge_base(root, 60, seed=7)
    return root


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
    elif kind == "category":  # a field the products' index shows
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


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_serve_build_after_edits_equals_a_build_from_scratch(knowledge_base, tmp_path, seed):
    builds = ServeBuilds(Project(knowledge_base))
    assert builds.build().ok
    rng = random.Random(seed)
    for step in range(8):
        edit = random_edit(knowledge_base, rng, step)
        changed = [knowledge_base / edit.split(" ", 1)[1]]
        result = builds.build(changed)
        assert result.ok, (edit, result.check.collector.problems)
        assert tree(knowledge_base / "build" / "docs") == fresh_build(
            knowledge_base, tmp_path / "scratch"
        ), edit


def test_an_edited_summary_rewrites_only_its_page(knowledge_base):
    builds = ServeBuilds(Project(knowledge_base))
    builds.build()
    product = sorted((knowledge_base / "facts" / "products").glob("*.yaml"))[5]
    _replace_in(product, r"^summary: >-\n", "summary: >-\n  Edited.\n")
    before = builds.last_model
    result = builds.build([product])
    # The page, and the exports that hold the summary (export/): the record's JSON document,
    # all.json and its kind's CSV.
    assert result.report.written == [
        "api/v1/all.json",
        "api/v1/products.csv",
        f"api/v1/products/{product.stem}.json",
        f"products/{product.stem}.md",
    ]
    # It rendered the pages near the product and those of no record (indexes, timeline...).
    rendered = render_after_edit(before, builds.last_model, builds.env, {})
    assert {f"products/{product.stem}.md", "products/index.md", "timeline.md"} <= rendered.keys()


def test_a_template_override_renders_every_page(knowledge_base):
    builds = ServeBuilds(Project(knowledge_base))
    builds.build()
    override = knowledge_base / "templates" / "timeline.md.j2"
    override.parent.mkdir()
    override.write_text("{{ front|front_matter }}\n# Overridden\n", encoding="utf-8")
    result = builds.build([override])
    assert result.report.written == ["timeline.md"]
    assert "# Overridden" in (knowledge_base / "build" / "docs" / "timeline.md").read_text()


def test_an_edit_after_a_template_edit_renders_with_the_template_as_it_is_now(
    knowledge_base, tmp_path
):
    """kb serve renders an edit of facts with the templates its last build of everything
    compiled (pipeline.ServeBuilds); an edit in templates/ is such a build."""
    builds = ServeBuilds(Project(knowledge_base))
    builds.build()
    product = _files(knowledge_base, "products")[5]
    override = knowledge_base / "templates" / "product.md.j2"
    override.parent.mkdir()
    template = (PACKAGE_TEMPLATES / "product.md.j2").read_text(encoding="utf-8")
    for step in ("first", "second"):
        override.write_text(f"{template}\nThe {step} override.\n", encoding="utf-8")
        assert builds.build([override]).ok
        _replace_in(product, r"^summary: >-\n", f"summary: >-\n  Edited after the {step}.\n")
        assert builds.build([product]).ok
        page = knowledge_base / "build" / "docs" / "products" / f"{product.stem}.md"
        assert f"The {step} override." in page.read_text(encoding="utf-8")
        assert tree(knowledge_base / "build" / "docs") == fresh_build(
            knowledge_base, tmp_path / "scratch"
        )


def test_nothing_changed_writes_nothing(knowledge_base):
    project = Project(knowledge_base)
    first = build_markdown(project)
    before = {path: path.stat().st_mtime_ns for path in (knowledge_base / "build").rglob("*")}
    second = build_markdown(project)
    assert second.ok and second.report.written == [] and second.report.deleted == []
    assert sorted(second.pages) == sorted(first.pages)
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


def test_unchanged_files_are_not_parsed_again_and_edited_ones_are(knowledge_base):
    """kb serve's load takes over the data of a file whose bytes it read before without a
    problem; an edited file, and one with a problem, are read again (and so reported again)."""
    builds = ServeBuilds(Project(knowledge_base))
    builds.build()
    before = {fact.path: fact.data for fact in builds.last_facts}
    products = sorted((knowledge_base / "facts" / "products").glob("*.yaml"))
    edited, warned = products[2], products[4]
    _replace_in(edited, r"^summary: >-\n", "summary: >-\n  Edited.\n")
    warned.write_bytes(b"\xef\xbb\xbf" + warned.read_bytes())  # a byte-order mark: a warning
    builds.build([edited, warned])
    assert builds.build([warned]).ok
    after = {fact.path: fact for fact in builds.last_facts}
    for path, data in before.items():
        if path in (edited, warned):
            assert after[path].data is not data
        else:
            assert after[path].data is data, path
    assert "Edited." in after[edited].data["summary"]
    result = builds.build([warned])
    assert [p.code for p in result.check.collector.problems if p.path.endswith(warned.name)] == [
        "file-bom"
    ]
