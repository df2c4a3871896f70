"""`kb build`: the whole build through the public CLI, and the guarantees around it.

The build never writes into facts/ or content/, refuses to build a knowledge base with errors
(printing what `kb check` prints), and replaces site/ only with a site that built; the writer
touches only changed files and never writes outside the build folder. The slow test builds the
real knowledge base with `mkdocs build --strict` and looks at the HTML readers get.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from generator.pipeline import Project, check_project
from generator.write import TEMP_PREFIX, UnsafePagePath, replace_folder, write_pages
from tests.conftest import run_kb
from tests.search_index import indexed_pages, search_index_text
from tests.test_golden import copy_fixture


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# The whole build -----------------------------------------------------------------------------


def test_build_reads_facts_and_content_and_writes_only_build_and_site(tmp_path):
    root = copy_fixture(tmp_path)
    # The two root pages link to each other as files in the repository do; in the site they
    # become contributing/index.md and contributing/schema-reference.md, links retargeted.
    (root / "CONTRIBUTING.md").write_text(
        "# Contributing\n\nEvery field: [schema reference](schemas/reference.md#event).\n"
    )
    (root / "schemas").mkdir()
    (root / "schemas" / "reference.md").write_text(
        "# Schema reference\n\n## Event\n\nBack to [the guide](../CONTRIBUTING.md).\n"
    )
    inputs = ("facts", "content", "schemas")
    before = {name: tree_hashes(root / name) for name in inputs}
    result = run_kb("build", root)
    assert result.code == 0, result.out + result.err
    assert "WARNING" not in result.out + result.err
    assert {name: tree_hashes(root / name) for name in inputs} == before
    # .cache/ holds what the next build reuses (parsed facts, what each page was made from).
    assert sorted(p.name for p in root.iterdir()) == sorted(
        ["CONTRIBUTING.md", "README.md", ".cache", "build", "content", "facts", "schemas", "site"]
    )
    docs = root / "build" / "docs"
    assert "(schema-reference.md#event)" in (docs / "contributing" / "index.md").read_text()
    assert "(index.md)" in (docs / "contributing" / "schema-reference.md").read_text()
    site = root / "site"
    assert (site / "people" / "ada-example" / "index.html").is_file()
    # Aliases are in the page text, so search finds a record by them.
    assert "A. Example" in search_index_text(site)


def test_search_indexes_the_record_pages_with_their_kind_and_without_their_chrome(tmp_path):
    """Pagefind indexes record pages only (not the home, index or contributing pages, which
    list every name), each with its kind as metadata and filter, and not the words every
    page has: section headings, key-fact labels, table headings, footnotes."""
    root = copy_fixture(tmp_path)
    assert run_kb("build", root).code == 0
    pages = indexed_pages(root / "site")
    outcome = check_project(Project(root))
    records = outcome.knowledge_base.records.values()
    assert sorted(pages) == sorted("/" + record.url for record in records)
    for record in records:
        page = pages["/" + record.url]
        assert page["meta"]["title"] == record.label
        assert page["meta"]["kind"] == record.schema.title
        assert page["filters"] == {"kind": [record.schema.title]}
        for chrome in ("Key fact", "Each numbered note", "Sources", "Referenced by", "¶"):
            assert chrome not in page["content"], (record.id, chrome)
    ada = pages["/people/ada-example/"]
    assert "A. Example" in ada["meta"]["names"]


# Pagefind 1.5 writes the values of a filter in an order that changes from run to run (a hash
# map's), so its filter file, the metadata file naming it and the entry file naming that
# differ between two builds of the same pages; every page, fragment and word index does not.
VARYING_SEARCH_FILES = re.compile(
    r"pagefind/(filter/.*|pagefind\.[a-z]+_[0-9a-f]+\.pf_meta|pagefind-entry\.json)"
)


def test_two_full_builds_give_identical_sites(tmp_path):
    root = copy_fixture(tmp_path)
    assert run_kb("build", root).code == 0

    def steady(hashes: dict[str, str]) -> dict[str, str]:
        return {path: h for path, h in hashes.items() if not VARYING_SEARCH_FILES.fullmatch(path)}

    first = tree_hashes(root / "site")
    assert run_kb("build", root).code == 0
    second = tree_hashes(root / "site")
    assert steady(second) == steady(first)
    assert len(first) - len(steady(first)) == 3  # only those three files vary
    # Readable by others, as any file the user makes: a web server may serve the site.
    assert (root / "site").stat().st_mode & 0o777 == (root / "facts").stat().st_mode & 0o777
    page = root / "build" / "docs" / "index.md"
    assert page.stat().st_mode & 0o777 == (root / "content" / "index.md").stat().st_mode & 0o777


def test_errors_refuse_the_build_and_keep_the_previous_site(tmp_path):
    root = copy_fixture(tmp_path)
    assert run_kb("build", root).code == 0
    site_before = tree_hashes(root / "site")
    docs_before = tree_hashes(root / "build" / "docs")

    person = root / "facts" / "people" / "ada-example.yaml"
    person.write_text(person.read_text().replace("organization: acme-phones", "organization: acme"))
    check = run_kb("check", root)
    build = run_kb("build", root)

    assert check.code == 1 and build.code == 1
    assert build.out == check.out  # the same report, location first
    assert "facts/people/ada-example.yaml:" in build.out
    assert "not built" in build.err
    assert tree_hashes(root / "site") == site_before
    assert tree_hashes(root / "build" / "docs") == docs_before
    assert not list(root.glob(TEMP_PREFIX + "*"))


def test_a_failing_mkdocs_build_keeps_the_previous_site(tmp_path):
    """A page mkdocs --strict rejects (here: a hand-written page with a broken link) fails the
    build after the Markdown was written, and site/ stays as it was."""
    root = copy_fixture(tmp_path)
    assert run_kb("build", root).code == 0
    site_before = tree_hashes(root / "site")
    (root / "content" / "broken.md").write_text("# Broken\n\n[nowhere](missing.md)\n")
    result = run_kb("build", root)
    assert result.code == 1
    assert "missing.md" in result.err
    assert tree_hashes(root / "site") == site_before
    assert not list(root.glob(TEMP_PREFIX + "*"))


def test_a_site_template_overrides_the_package_template(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "person.md.j2").write_text(
        "{{ front|front_matter }}\n# Person: {{ record.label|md }}\n"
    )
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 0, result.err
    page = (root / "build" / "docs" / "people" / "ada-example.md").read_text()
    assert page.endswith("# Person: Ada Example\n")
    # Other templates still come from the package.
    assert (
        '<dl class="kb-infobox">'
        in (root / "build" / "docs" / "products" / "rocket-phone.md").read_text()
    )


def test_a_template_that_prints_an_unescaped_fact_is_refused(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "person.md.j2").write_text("# {{ record.label }}\n")
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 1
    assert "without escaping it" in result.err
    assert "'Ada Example'" in result.err
    assert not (root / "build" / "docs").exists()


# The writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_path", ["../outside.md", "/etc/passwd", "a/../../b.md", "a//b.md", "a\\b.md", ""]
)
def test_write_pages_refuses_paths_that_leave_the_build_folder(tmp_path, bad_path):
    build = tmp_path / "build" / "docs"
    with pytest.raises(UnsafePagePath):
        write_pages(build, {"fine.md": "ok\n", bad_path: "evil\n"})
    assert not build.exists()  # checked before anything was written
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_write_pages_does_not_follow_a_symlink_out_of_the_build_folder(tmp_path):
    build = tmp_path / "docs"
    outside = tmp_path / "outside"
    outside.mkdir()
    build.mkdir()
    (build / "people").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePagePath):
        write_pages(build, {"people/x.md": "evil\n"})
    assert list(outside.iterdir()) == []


def test_write_pages_touches_only_changes_and_deletes_stale_files(tmp_path):
    build = tmp_path / "docs"
    first = write_pages(build, {"a.md": "A\n", "sub/b.md": "B\n", "old/c.md": "C\n"})
    assert first.written == ["a.md", "old/c.md", "sub/b.md"]
    kept = build / "a.md"
    stamp = kept.stat().st_mtime_ns - 10**9
    os.utime(kept, ns=(stamp, stamp))
    second = write_pages(build, {"a.md": "A\n", "sub/b.md": "B2\n"})
    assert second.written == ["sub/b.md"]
    assert second.unchanged == ["a.md"]
    assert second.deleted == ["old/c.md"]
    assert kept.stat().st_mtime_ns == stamp
    assert not (build / "old").exists()
    assert (build / "sub" / "b.md").read_text() == "B2\n"


def test_replace_folder_keeps_the_old_folder_when_the_build_fails(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")

    def failing(folder: Path) -> None:
        (folder / "index.html").write_text("half")
        raise RuntimeError("mkdocs failed")

    with pytest.raises(RuntimeError):
        replace_folder(site, failing)
    assert (site / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]

    replace_folder(site, lambda folder: (folder / "index.html").write_text("new"))
    assert (site / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_interrupted_build_leaves_the_old_site_and_no_half_written_one(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("old")
    # What a build killed outright (not interrupted) leaves behind: the next run removes it.
    (tmp_path / (TEMP_PREFIX + "site-killed")).mkdir()

    def interrupted(folder: Path) -> None:
        (folder / "index.html").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_folder(site, interrupted)
    assert (site / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
