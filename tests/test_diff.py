"""`kb diff`: the fact-level difference between two versions, through the command line.

Each test builds a throwaway git repository in tmp_path: a small knowledge base on `main`,
then a branch that changes it the ways pull requests do (a field corrected, a status step
added, citations added and removed, a record added, one removed, one renamed).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from generator.render.escape import md_cell, md_text

from .conftest import run_kb

BASE_FILES = {
    "facts/sources/article.yaml": """\
title: Acme plans a phone
""",
    "facts/sources/old-report.yaml": """\
title: An old report
""",
    "facts/organizations/acme.yaml": """\
name: Acme
roles: [manufacturer]
citations:
  - source: article
""",
    "facts/organizations/carrier.yaml": """\
name: Big Carrier
roles: [carrier]
summary: A carrier that sells phones in the United States.
citations:
  - source: article
    locator: paragraph 1
""",
    "facts/products/phone.yaml": """\
name: Acme Phone
maker: acme
category: smartphone
note: The article gives no date.
citations:
  - source: article
""",
    "facts/relationships/acme-carrier.yaml": """\
title: Acme phone at Big Carrier
type: carrier-launch-deal
parties:
  carrier: carrier
  maker: acme
status_history:
  - status: planned
    citations:
      - source: article
        excerpt: Acme planned to sell its phone through Big Carrier
citations:
  - source: article
    locator: paragraph 2
  - source: old-report
""",
}


def _git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the base knowledge base on main and a branch `change` off it."""
    _git(tmp_path, "init", "--quiet", "--initial-branch=main")
    for rel, text in BASE_FILES.items():
        _write(tmp_path, rel, text)
    _git(tmp_path, "add", "facts")
    _git(tmp_path, "commit", "--quiet", "-m", "base")
    _git(tmp_path, "checkout", "--quiet", "-b", "change")
    relationship = BASE_FILES["facts/relationships/acme-carrier.yaml"]
    relationship = relationship.replace(
        "  - status: planned\n",
        "  - status: planned\n    date: 2018-11\n",
    ).replace(
        "citations:\n  - source: article\n    locator: paragraph 2\n  - source: old-report\n",
        "  - status: cancelled\n    date: 2019\n    citations:\n      - source: article\n"
        "        excerpt: the carrier canceled the deal\n"
        "citations:\n  - source: article\n    locator: paragraph 3\n",
    )
    _write(tmp_path, "facts/relationships/acme-carrier.yaml", relationship)
    _write(
        tmp_path,
        "facts/products/phone.yaml",
        BASE_FILES["facts/products/phone.yaml"]
        .replace("name: Acme Phone", "name: Acme Phone X\naliases: [Phone X]")
        .replace("note: The article gives no date.\n", ""),
    )
    _git(tmp_path, "mv", "facts/organizations/carrier.yaml", "facts/organizations/big-carrier.yaml")
    _git(tmp_path, "rm", "--quiet", "facts/sources/old-report.yaml")
    _write(
        tmp_path,
        "facts/products/phone-mini.yaml",
        "name: Acme Phone Mini\nmaker: acme\ncategory: smartphone\n"
        "citations:\n  - source: article\n    excerpt: a smaller model\n",
    )
    _git(tmp_path, "add", "facts")
    _git(tmp_path, "commit", "--quiet", "-m", "change")
    return tmp_path


EXPECTED_TEXT = """\
Facts in main → change
5 records differ: 1 added, 1 removed, 1 renamed, 2 changed.

added product phone-mini "Acme Phone Mini" (facts/products/phone-mini.yaml)
  + name: "Acme Phone Mini"
  + maker: "acme"
  + category: "smartphone"
  + citation citations[0]: article: "a smaller model"

renamed organization carrier → big-carrier "Big Carrier" \
(facts/organizations/carrier.yaml → facts/organizations/big-carrier.yaml)

changed product phone "Acme Phone X" (facts/products/phone.yaml)
  ~ name: "Acme Phone" → "Acme Phone X"
  + aliases: ["Phone X"]
  - note: "The article gives no date."

changed relationship acme-carrier "Acme phone at Big Carrier" \
(facts/relationships/acme-carrier.yaml)
  + status_history[0].date: "2018-11"
  + status step status_history[1]: cancelled, 2019 (1 citation)
  - citation citations[0]: article, paragraph 2
  - citation citations[1]: old-report
  + citation citations[0]: article, paragraph 3

removed source old-report "An old report" (facts/sources/old-report.yaml)
"""


def test_diff_between_two_revisions(repo):
    result = run_kb("diff", "main", "change", cwd=repo)
    assert result.out == EXPECTED_TEXT
    assert result.code == 0


def _expected_markdown() -> str:
    # Every piece of text goes through the escape module (whose exact references are its own
    # tested contract); what is checked here is what goes where.
    heading = (
        "Changed relationship acme-carrier "
        + '"<b>Acme</b> | phone" '
        + ("(facts/relationships/acme-carrier.yaml)")
    )
    rows = [
        ("changed", "title", '"Acme phone at Big Carrier"', '"<b>Acme</b> | phone"'),
        ("status step added", "status_history[2]", "", "ended, 2020"),
    ]
    lines = [
        "## Fact changes",
        "",
        md_text("HEAD~1 → HEAD: 1 record differs: 1 changed."),
        "",
        f"### {md_text(heading)}",
        "",
        "| Change | Field | Before | After |",
        "| --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def test_diff_as_markdown_escapes_what_facts_say(repo):
    # A pull request's own text (HTML, a table pipe) must stay text in the job summary.
    path = repo / "facts/relationships/acme-carrier.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("title: Acme phone at Big Carrier", 'title: "<b>Acme</b> | phone"')
    text = text.replace(
        "citations:\n  - source: article\n    locator: paragraph 3\n",
        "  - status: ended\n    date: 2020\ncitations:\n  - source: article\n"
        "    locator: paragraph 3\n",
    )
    path.write_text(text, encoding="utf-8")
    _git(repo, "commit", "--quiet", "-am", "more")
    result = run_kb("diff", "HEAD~1", "HEAD", "--format", "markdown", cwd=repo)
    assert result.out == _expected_markdown()
    assert "<b>" not in result.out
    assert result.code == 0


def test_default_is_the_branch_and_the_working_tree_against_main(repo):
    # Unsaved work counts, new files included, and the diff leaves the tree as it was.
    _write(
        repo,
        "facts/organizations/acme.yaml",
        BASE_FILES["facts/organizations/acme.yaml"].replace(
            "roles: [manufacturer]", "roles: [manufacturer, retailer]"
        ),
    )
    _write(repo, "facts/organizations/new-shop.yaml", "name: New Shop\nroles: [retailer]\n")
    status_before = _git(repo, "status", "--porcelain", "--untracked-files=all")
    files_before = {
        p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    result = run_kb("diff", cwd=repo)
    lines = result.out.splitlines()
    base = _git(repo, "merge-base", "main", "HEAD").strip()
    assert lines[0] == f"Facts in main (merge base {base[:7]}) → the working tree"
    assert lines[1] == "7 records differ: 2 added, 1 removed, 1 renamed, 3 changed."
    assert 'added organization new-shop "New Shop" (facts/organizations/new-shop.yaml)' in lines
    assert '  + roles[1]: "retailer"' in lines
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == status_before
    files_after = {
        p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    assert files_after == files_before


def test_a_file_that_does_not_parse_is_reported(repo):
    _write(repo, "facts/products/phone.yaml", "name: [Acme Phone\n")
    result = run_kb("diff", "change", cwd=repo)
    assert result.out.splitlines()[2:5] == [
        "",
        'changed product phone "Acme Phone X" (facts/products/phone.yaml)',
        "  ! the new version does not parse: facts/products/phone.yaml:2:1: "
        + result.out.split("facts/products/phone.yaml:2:1: ", 1)[1].splitlines()[0],
    ]
    assert result.code == 0


def test_a_rename_with_edits_is_still_a_rename(repo):
    path = repo / "facts/products/phone-mini.yaml"
    moved = repo / "facts/products/acme-phone-mini.yaml"
    moved.write_text(path.read_text(encoding="utf-8").replace("a smaller model", "a small model"))
    path.unlink()
    result = run_kb("diff", "change", cwd=repo)
    assert result.out.splitlines()[1:] == [
        "1 record differs: 1 renamed.",
        "",
        'renamed product phone-mini → acme-phone-mini "Acme Phone Mini" '
        "(facts/products/phone-mini.yaml → facts/products/acme-phone-mini.yaml)",
        '  - citation citations[0]: article: "a smaller model"',
        '  + citation citations[0]: article: "a small model"',
    ]


def test_layout_only_changes_are_not_fact_changes(repo):
    path = repo / "facts/organizations/acme.yaml"
    path.write_text(
        "# a comment\n"
        + path.read_text(encoding="utf-8").replace(
            "roles: [manufacturer]", "roles:\n  - manufacturer"
        )
    )
    result = run_kb("diff", "change", cwd=repo)
    assert result.out == (
        "Facts in change → the working tree\n"
        "No fact changes.\n"
        "\n"
        "Layout or comments only (no fact changed): facts/organizations/acme.yaml\n"
    )


def test_an_unknown_revision_is_an_error(repo):
    result = run_kb("diff", "no-such-branch", cwd=repo)
    assert result.out == "kb diff: 'no-such-branch' is not a revision git knows here\n"
    assert result.code == 1
