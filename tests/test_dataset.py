"""The dataset tests: the only tests that read the live facts/ (tests/live_facts_guard.py).

What must hold of the real dataset beyond `kb check`: it is in kb fmt's layout, it builds,
CONTRIBUTING's examples are its files, and it is true to the
article it was written from.

The article lives outside the repository, in shared/ beside it
(``<repo>/../shared/sources/xiaomi-us-market-article.txt``). Every excerpt and every quote
in facts/ must be copied from it character for character, and every sentence of it must be
covered by at least one excerpt, so that a fact left out of the dataset fails a test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from generator.schema import default_schemas

from .conftest import run_kb
from .test_build import search_index_text

REPO = Path(__file__).resolve().parents[1]
FACTS = REPO / "facts"
ARTICLE = REPO.parent / "shared" / "sources" / "xiaomi-us-market-article.txt"

# Lines of page furniture captured with the article: not part of its text.
FURNITURE = re.compile(r"^(?:clock menu more-arrow no yes|Filed under:|New, \d+ comments?)$")
# A sentence ends at . ! or ? (optionally followed by a closing quotation mark) and the
# next one starts after whitespace. "…market,” says" does not end a sentence.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][”\"’])\s+")


def _article_text() -> str:
    if not ARTICLE.is_file():
        pytest.skip(f"source article not found at {ARTICLE} (shared/ is not beside the repo)")
    return ARTICLE.read_text(encoding="utf-8")


def _article_blocks(text: str) -> list[tuple[str, str]]:
    """(locator, block) for the headline, the photo caption and each body paragraph.

    The headline is the first text line, the caption the short line(s) after it (the capture
    repeats the caption), and paragraphs are counted from 1 after those.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not FURNITURE.match(line)]
    assert lines, "the article has no text once page furniture is removed"
    blocks: list[tuple[str, str]] = [("headline", lines[0])]
    paragraph = 0
    previous = None
    for line in lines[1:]:
        if line == previous:  # the capture repeats the photo caption
            continue
        previous = line
        if paragraph == 0 and not re.search(r"[.!?][”\"]?$", line):
            blocks.append(("photo caption", line))
        else:
            paragraph += 1
            blocks.append((f"paragraph {paragraph}", line))
    return blocks


def _sentences(text: str) -> list[str]:
    sentences = []
    for _, block in _article_blocks(text):
        sentences.extend(s.strip() for s in SENTENCE_END.split(block) if s.strip())
    return sentences


def _load_records() -> list[tuple[Path, dict]]:
    yaml = YAML(typ="safe")
    records = []
    for path in sorted(FACTS.glob("*/*.yaml")):
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle)
        assert isinstance(data, dict), f"{path.relative_to(REPO)} is not a mapping"
        records.append((path, data))
    assert records, f"no fact files found under {FACTS}"
    return records


def _citations(node, where: str):
    """Yield (where, citation) for every citation, however deeply it is nested."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "citations" and isinstance(value, list):
                for i, citation in enumerate(value):
                    yield f"{where}.citations[{i}]", citation
            yield from _citations(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _citations(value, f"{where}[{i}]")


def _excerpts(records) -> list[tuple[str, str, str | None]]:
    """(where, excerpt, locator) for every citation that quotes its source."""
    found = []
    for path, data in records:
        for where, citation in _citations(data, path.stem):
            if isinstance(citation, dict) and "excerpt" in citation:
                found.append((where, citation["excerpt"], citation.get("locator")))
    return found


def test_excerpts_and_quotes_are_verbatim():
    article = _article_text()
    records = _load_records()
    excerpts = _excerpts(records)
    assert excerpts, "no citation in facts/ has an excerpt"
    problems = [
        f"{where}: excerpt is not verbatim in the article: {excerpt!r}"
        for where, excerpt, _ in excerpts
        if not isinstance(excerpt, str) or not excerpt.strip() or excerpt not in article
    ]
    quotes = [(path, data) for path, data in records if path.parent.name == "quotes"]
    assert quotes, "facts/quotes/ holds no quote"
    problems += [
        f"{path.stem}: quote text is not verbatim in the article: {data.get('text')!r}"
        for path, data in quotes
        if not isinstance(data.get("text"), str) or data["text"] not in article
    ]
    assert not problems, "\n".join(problems)


def test_every_sentence_of_the_article_is_cited():
    article = _article_text()
    excerpts = [excerpt for _, excerpt, _ in _excerpts(_load_records()) if excerpt]
    sentences = _sentences(article)
    assert len(sentences) > 10, f"sentence split looks wrong: {sentences!r}"
    uncovered = [
        sentence
        for sentence in sentences
        if not any(excerpt in sentence or sentence in excerpt for excerpt in excerpts)
    ]
    assert not uncovered, "sentences no excerpt covers:\n" + "\n".join(uncovered)


def test_locators_point_at_the_excerpt():
    blocks = dict(_article_blocks(_article_text()))
    problems = []
    for where, excerpt, locator in _excerpts(_load_records()):
        if locator is None:
            problems.append(f"{where}: excerpt without a locator")
        elif locator not in blocks:
            problems.append(f"{where}: unknown locator {locator!r} (have {sorted(blocks)})")
        elif excerpt not in blocks[locator]:
            problems.append(f"{where}: excerpt {excerpt!r} is not in {locator}")
    assert not problems, "\n".join(problems)


def test_sentence_split_of_the_article():
    """Pins the splitter itself, so the coverage test cannot pass by splitting badly."""
    blocks = _article_blocks(_article_text())
    assert [locator for locator, _ in blocks] == [
        "headline",
        "photo caption",
        "paragraph 1",
        "paragraph 2",
        "paragraph 3",
        "paragraph 4",
    ]
    sentences = _sentences(_article_text())
    assert "Xiaomi’s Mi5 flagship" in sentences
    assert "“We plan to start entering the market by end 2018, or by early 2019.”" in sentences
    assert not any(FURNITURE.match(s) for s in sentences)


# The dataset as a whole ---------------------------------------------------------------------


def test_the_dataset_is_in_the_canonical_layout():
    # CI runs `kb fmt --check` on every pull request; the dataset must pass it.
    result = run_kb("fmt", "--check", cwd=REPO)
    assert result.code == 0, result.out


def test_the_examples_in_contributing_are_the_real_files():
    # CONTRIBUTING.md shows facts/products/mi-tv.yaml whole: it must stay true to the dataset
    # (and so to kb fmt's layout). The other YAML examples are fragments of fact files: each
    # must read as YAML and name only fields that some kind has.
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.S)
    assert (FACTS / "products/mi-tv.yaml").read_text(encoding="utf-8") in blocks
    fields = {name for kind in default_schemas() for name in kind.fields}
    fields |= {"organization", "title", "value", "citations"}  # inside a position, a claim
    for block in blocks:
        data = YAML(typ="safe", pure=True).load(block)
        if isinstance(data, dict):
            assert set(data) <= fields, block


def copy_real_knowledge_base(tmp_path: Path) -> Path:
    root = tmp_path / "real"
    root.mkdir()
    for name in ("facts", "content", "overrides"):
        shutil.copytree(REPO / name, root / name)
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "schemas/reference.md"):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    return root


@pytest.mark.slow
def test_the_real_knowledge_base_builds_strict_and_searchable(tmp_path):
    root = copy_real_knowledge_base(tmp_path)
    result = run_kb("build", root)
    assert result.code == 0, result.out + result.err
    assert "WARNING" not in result.out + result.err
    site = root / "site"

    for page in ("people/lei-jun", "organizations/xiaomi", "products/mi-tv", "sources"):
        assert (site / page / "index.html").is_file(), page

    # The nav holds sections and index pages only: the home page links to the index pages
    # but its nav does not list entity pages (Material copies the nav into every page).
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index("md-nav--primary") : home.index("md-sidebar--secondary")]
    assert 'href="people/"' in nav
    entity_page = (
        r'href="(?:organizations|people|products|quotes|events|relationships)/[a-z0-9-]+/"'
    )
    assert re.findall(entity_page, nav) == []
    # The home page's own text links records (the latest events, the most referred to); the
    # rest of it (header, tabs, nav) does not.
    article = re.search(r"<article.*?</article>", home, re.DOTALL)
    assert article and re.findall(entity_page, article.group(0))
    outside = home[: article.start()] + home[article.end() :]
    assert re.findall(entity_page, outside) == []

    # An entity page reaches what it refers to by links.
    lei_jun = (site / "people" / "lei-jun" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../organizations/xiaomi/"' in lei_jun

    text = search_index_text(site)
    assert "Lei Jun" in text
    assert "always been considering entering the US market" in text  # a quote's words
    assert "backed out of its plan" in text  # an event's description


def test_kb_verify_finds_every_excerpt_of_the_seed_article():
    if not ARTICLE.is_file():
        pytest.skip(f"source article not found at {ARTICLE} (shared/ is not beside the repo)")
    result = run_kb(
        "verify",
        "xiaomi-us-plans-article",
        "../shared/sources/xiaomi-us-market-article.txt",
        cwd=REPO,
    )
    assert result.code == 0, result.out + result.err
    assert result.out.endswith(" found in ../shared/sources/xiaomi-us-market-article.txt.\n")
