"""Golden Markdown: the fixture knowledge base renders to exactly the committed pages.

`tests/golden/kb/` is a small fictional knowledge base that uses every record kind and page
feature; `tests/golden/expected/` is its build folder, committed and reviewed like code. A change
to templates or rendering shows up here as a diff. Regenerate with `make golden`.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from generator.render.carried import VENDORED_ASSETS
from tests.conftest import REPO_ROOT, run_kb

GOLDEN = REPO_ROOT / "tests" / "golden"
FIXTURE_KB = GOLDEN / "kb"
EXPECTED = GOLDEN / "expected"


def copy_fixture(tmp_path: Path, name: str = "kb") -> Path:
    """A copy of the fixture to build in, so nothing is written under tests/golden/."""
    root = tmp_path / name
    shutil.copytree(FIXTURE_KB, root)
    return root


def read_tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def tree_diff(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """A unified diff of two trees, file by file, for a failure message a person can read."""
    chunks = []
    for path in sorted(expected.keys() | actual.keys()):
        old = expected.get(path)
        new = actual.get(path)
        if old == new:
            continue
        old_lines = old.decode("utf-8", "replace").splitlines(keepends=True) if old else []
        new_lines = new.decode("utf-8", "replace").splitlines(keepends=True) if new else []
        chunks.extend(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile=f"expected/{path}" if old is not None else "/dev/null",
                tofile=f"built/{path}" if new is not None else "/dev/null",
            )
        )
    return "".join(chunks)


def build_markdown(root: Path) -> dict[str, bytes]:
    """The build folder, less the vendored scripts (copied as fetched, not rendered)."""
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 0, result.out + result.err
    tree = read_tree(root / "build" / "docs")
    for page in VENDORED_ASSETS:
        assert tree.pop(page) == VENDORED_ASSETS[page].read_bytes(), f"{page} is not as fetched"
    return tree


def test_fixture_renders_to_the_golden_tree(tmp_path):
    built = build_markdown(copy_fixture(tmp_path))
    expected = read_tree(EXPECTED)
    diff = tree_diff(expected, built)
    assert not diff, (
        "The rendered Markdown differs from tests/golden/expected/. If the change is intended, "
        "run `make golden` and review the diff:\n" + diff
    )


def test_two_builds_give_identical_bytes(tmp_path):
    """Determinism: no timestamps, no absolute paths, no unstable order. Two copies in
    different folders build the same bytes, and rebuilding rewrites nothing."""
    first_root = copy_fixture(tmp_path, "first")
    second_root = copy_fixture(tmp_path, "second-copy")
    first = build_markdown(first_root)
    second = build_markdown(second_root)
    assert tree_diff(first, second) == ""

    docs = first_root / "build" / "docs"
    mtimes = {path: path.stat().st_mtime_ns for path in docs.rglob("*.md")}
    again = run_kb("build", "--markdown-only", first_root)
    assert again.code == 0, again.err
    assert f"(0 written, {len(first) + len(VENDORED_ASSETS)} unchanged, 0 deleted)" in again.out
    assert {k: v for k, v in read_tree(docs).items() if k not in VENDORED_ASSETS} == first
    assert {path: path.stat().st_mtime_ns for path in docs.rglob("*.md")} == mtimes


def test_an_edit_rewrites_only_the_pages_it_changes(tmp_path):
    root = copy_fixture(tmp_path)
    build_markdown(root)
    docs = root / "build" / "docs"
    untouched = docs / "people" / "ada-example.md"
    before = untouched.stat().st_mtime_ns
    os.utime(untouched, ns=(before - 10**9, before - 10**9))  # make a rewrite detectable
    before = untouched.stat().st_mtime_ns

    pocket = root / "facts" / "products" / "pocket-cam.yaml"
    pocket.write_text(pocket.read_text().replace("name: Pocket Cam", "name: Pocket Camera"))
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 0, result.err
    assert "# Pocket Camera" in (docs / "products" / "pocket-cam.md").read_text()
    assert untouched.stat().st_mtime_ns == before


def test_a_removed_record_loses_its_page(tmp_path):
    root = copy_fixture(tmp_path)
    build_markdown(root)
    docs = root / "build" / "docs"
    assert (docs / "products" / "pocket-cam.md").is_file()
    acme = root / "facts" / "organizations" / "acme-phones.yaml"
    acme.write_text(acme.read_text().replace(" and the [[pocket-cam|Pocket Cam]]", ""))
    (root / "facts" / "products" / "pocket-cam.yaml").unlink()
    result = run_kb("build", "--markdown-only", root)
    assert result.code == 0, result.out + result.err
    assert "2 deleted" in result.out  # its page and its JSON document
    assert not (docs / "products" / "pocket-cam.md").exists()
    assert not (docs / "api" / "v1" / "products" / "pocket-cam.json").exists()
