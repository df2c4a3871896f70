"""`kb verify SOURCE-ID FILE`: every excerpt and quote citing a source, against its text."""

from __future__ import annotations

from pathlib import Path

import pytest

FILES = {
    "sources/article.yaml": "title: An article\nkind: news-article\ncites: [report]\n",
    "sources/report.yaml": "title: A report\nkind: news-report\n",
    "organizations/acme.yaml": """\
name: Acme
roles: [manufacturer]
citations:
  - source: article
    excerpt: "Acme — the phone maker — plans to sell in the US."
  - source: article
    excerpt: Acme will open 12 stores
""",
    "people/ada.yaml": """\
name: Ada
positions:
  - organization: acme
    title: Chief executive
    citations:
      - source: report
        via: article
        excerpt: Ada Example   runs Acme
citations:
  - source: article
""",
    "quotes/ada-us.yaml": """\
text: "“We’re coming to the US…”"
speaker: ada
citations:
  - source: article
""",
    "quotes/ada-elsewhere.yaml": """\
text: Not from this article at all
speaker: ada
citations:
  - source: report
""",
}
ARTICLE = """\
Acme's US plans

Acme -- the phone maker -- plans to sell
in the US. Ada Example runs Acme, a report said.
"We're coming to the US..." she said.

Acme will open 10 stores next year.
"""


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        path = tmp_path / "facts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def test_each_excerpt_not_found_is_reported_with_the_closest_passage(knowledge_base, kb):
    result = kb("verify", "article", "article.txt", cwd=knowledge_base)
    assert result.code == 1, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0] == (
        "facts/organizations/acme.yaml:7:14: citations[1].excerpt: excerpt not found in "
        "article.txt; the closest passage, line 7 of article.txt (96% alike), reads: "
        '"Acme will open 10 stores"'
    )
    assert lines[-1] == (
        "3 of 4 excerpts and quotes citing article found in article.txt; 1 not found."
    )
    # Found through typographic quotes, dashes, ellipses and line breaks; the excerpt cited
    # via the article is checked against it; the quote citing another source is not.
    assert "people/ada.yaml" not in result.out and "ada-elsewhere" not in result.out


def test_all_found_exits_0(knowledge_base, kb):
    (knowledge_base / "article.txt").write_text(
        ARTICLE.replace("open 10 stores", "open 12 stores"), encoding="utf-8"
    )
    result = kb("verify", "article", "article.txt", cwd=knowledge_base)
    assert (result.code, result.err) == (0, "")
    assert result.out == "4 of 4 excerpts and quotes citing article found in article.txt.\n"


def test_a_quote_is_checked_too(knowledge_base, kb):
    (knowledge_base / "article.txt").write_text(
        ARTICLE.replace("coming", "going").replace("open 10", "open 12"), encoding="utf-8"
    )
    result = kb("verify", "article", "article.txt", cwd=knowledge_base)
    assert result.code == 1
    assert result.out.startswith(
        "facts/quotes/ada-us.yaml:1:7: text: quote not found in article.txt; the closest "
        "passage, line 5 of article.txt"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["artcle", "article.txt"], "kb verify: no source 'artcle' in "),
        (["article", "missing.txt"], "kb verify: missing.txt: no such file"),
    ],
)
def test_bad_arguments(knowledge_base, kb, arguments, message):
    result = kb("verify", *arguments, cwd=knowledge_base)
    assert result.code == 2
    assert result.err.startswith(message), result.err
