"""What a record's page says, read from the golden pages of the fixture knowledge base
(tests/golden/expected/, built from tests/golden/kb/): the line under the title, the infobox,
one note per source with its passages, disagreement shown, one line per relationship and
event, "Referenced by" in words, diagrams drawn from the roles, dates in order."""

from __future__ import annotations

import html
import re

import pytest

from generator.pipeline import Project, check_project
from generator.render.render import PageContext, Site, make_environment
from tests.test_golden import EXPECTED, FIXTURE_KB


def page(path: str) -> str:
    return (EXPECTED / path).read_text(encoding="utf-8")


def text_of(fragment: str) -> str:
    """A fragment of HTML as a reader reads it: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def block(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


@pytest.fixture(scope="module")
def kb():
    outcome = check_project(Project(FIXTURE_KB))
    assert outcome.knowledge_base is not None
    return outcome.knowledge_base


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("organizations/acme-phones.md", "Organization · manufacturer · Freedonia"),
        ("people/ada-example.md", "Person · Chief Executive, Acme Phones"),
        ("products/rocket-phone.md", "Product · smartphone · Acme Phones"),
        ("relationships/rocket-launch-deal.md", "Relationship · carrier launch deal · cancelled"),
        ("organizations/carrier-group.md", "Organization · group · carrier"),
    ],
)
def test_the_line_under_the_title_says_what_the_record_is(path, said):
    text = page(path)
    line = re.search(r'<p class="kb-what">(.*?)</p>', text).group(1)
    assert text_of(re.sub(r"<sup.*?</sup>", "", line)) == said
    # Under the title, after the breadcrumb leading to the kind's index.
    assert text.index('class="kb-crumbs"') < text.index("\n# ") < text.index('class="kb-what"')
    assert re.search(r'<nav class="kb-crumbs"[^>]*><a href="\.\./">', text)


def test_the_infobox_has_no_row_without_a_value_and_one_line_naming_them():
    pocket = page("products/pocket-cam.md")
    infobox = block(pocket, '<dl class="kb-infobox">', "</dl>")
    assert "not recorded" not in infobox
    assert "Announced" not in infobox and "Released" not in infobox
    missing = re.search(r'<p class="kb-missing"[^>]*>Not recorded: (.*?)\.</p>', pocket).group(1)
    assert "announced" in missing and "released" in missing
    # No "Also known as" without aliases; with them, the row is there.
    assert "Also known as" not in page("organizations/bigcell.md")
    assert "<dt data-pagefind-ignore>Also known as</dt><dd>A. Example</dd>" in page(
        "people/ada-example.md"
    )


def test_each_infobox_value_carries_its_own_citation_mark():
    acme = page("organizations/acme-phones.md")
    rows = dict(re.findall(r"<dt[^>]*>(.*?)</dt><dd>(.*?)</dd>", acme))
    for label in ("Roles", "Country", "Market share"):
        assert re.search(r'<sup id="r:\d+"><a class="footnote-ref" href="#fn:\d', rows[label])


def test_disagreeing_sources_are_shown_with_each_value_cited():
    ada = page("people/ada-example.md")
    positions = re.search(r"<dt[^>]*>Positions</dt><dd>(.*?)</dd>", ada).group(1)
    shown = text_of(positions)
    assert shown.startswith(
        "Chief Executive[1] · Chief Executive of the phone business[2] · Chief Operating "
        "Officer[1] (deprecated: An early report, corrected by the same paper the next day.)"
        ": sources differ, Acme Phones (from Mar 2015)"
    )
    assert "<del>Chief Operating Officer</del>" in positions


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(EXPECTED).as_posix() for p in EXPECTED.glob("*/*.md"))
)
def test_one_note_per_source_reused_by_every_mark(kb, path):
    text = page(path)
    notes = re.findall(r'<li id="fn:(\d+)"><a href="([^"#]+)"', text)
    sources = [href for _, href in notes]
    assert len(sources) == len(set(sources)), f"{path}: a source has two notes"
    assert [int(n) for n, _ in notes] == list(range(1, len(notes) + 1))
    for mark, target in re.findall(
        r'<sup id="(r:\d+)"><a class="footnote-ref" href="#([^"]+)"', text
    ):
        number = re.fullmatch(r"fn:(\d+)(?:-\d+)?", target).group(1)
        assert f'id="{target}"' in text and 1 <= int(number) <= len(notes)
        assert f'href="#{mark}"' in text, f"{path}: no way back to {mark}"


def test_a_source_cited_for_several_claims_has_one_note_and_lists_its_passages():
    acme = page("organizations/acme-phones.md")
    assert len(re.findall(r'<li id="fn:\d+">', acme)) == 2  # the article, the wire report
    assert len(re.findall(r'href="#fn:1(?:-\d+)?">\[1\]', acme)) >= 5
    passages = re.findall(r'<li id="fn:1-\d+"><a href="([^"]+)">', acme)
    assert len(passages) >= 5
    for href in passages:
        target, _, anchor = href.partition("#")
        assert target == "../../sources/example-daily-article/"
        assert f'<li id="{anchor}">' in page("sources/example-daily-article.md")


def test_the_source_page_says_once_what_the_source_does_not_give():
    wire = page("sources/wire-report.md")
    assert re.search(r"Not recorded: publisher, author, date of publication, address", wire)
    # Notes elsewhere name what is recorded only.
    for other in EXPECTED.glob("*/*.md"):
        assert "publisher not recorded" not in other.read_text(encoding="utf-8")


def test_a_relationship_is_one_line_with_the_other_party_type_and_status():
    acme = page("organizations/acme-phones.md")
    lines = re.findall(r'<li id="relationship-[^"]+">(.*?)</li>', acme)
    assert [text_of(line) for line in lines] == [
        "Rocket launch at BigCell: carrier launch deal · carrier: BigCell · about Rocket · "
        "cancelled (end 2018 – early 2019)[1]"
    ]
    # the summary's link, the line's and the diagram's label
    assert acme.count("rocket-launch-deal/") == 3


def test_referenced_by_says_how_in_plain_words():
    for path in EXPECTED.glob("*/*.md"):
        text = path.read_text(encoding="utf-8")
        if "## Referenced by" not in text:
            continue
        listing = block(text, "## Referenced by", "</ul>")
        assert not re.search(r"\((event|person|product|quote|relationship|source)\)", listing)
        for phrase in re.findall(r"<li><span data-pagefind-ignore>(.*?)</span>", listing):
            assert re.fullmatch(r"[A-Z][a-z]+( [a-z]+)*", phrase), phrase
    daily = page("organizations/example-daily.md")
    assert "<li><span data-pagefind-ignore>Measured the figures of</span> <a" in daily
    # What a section of the page lists already is not listed again.
    acme = page("organizations/acme-phones.md")
    assert "## Referenced by" not in acme


def _arrows(text: str) -> dict[str, list[tuple[list[str], str]]]:
    """A page's diagram as {side: [(the hrefs at the arrow's other end, its label text)]}."""
    figure = block(text, '<figure class="kb-diagram"', "</figure>")
    arrows: dict[str, list[tuple[list[str], str]]] = {"in": [], "out": [], "partners": []}
    for side, items in re.findall(r'<ul class="kb-map-(in|out)">(.*?)</ul>', figure):
        for item in re.findall(r"<li[^>]*>(.*?)</li>", items):
            ends = re.search(
                r'<span class="kb-ends[^"]*">(.*?)</span>(?:</li>|$|<span class="kb-sr">:)', item
            )
            hrefs = re.findall(r'href="([^"]+)"', ends.group(1))
            label = re.sub(
                r"<[^>]+>",
                "",
                re.search(r'<span class="kb-label">(.*?)</span></span>', item).group(1),
            )
            arrows["partners" if "kb-edge--both" in item else side].append(
                (hrefs, html.unescape(label))
            )
    return arrows


def test_diagrams_run_from_the_actor_to_the_target_and_partners_both_ways():
    corner = _arrows(page("organizations/corner-shop.md"))
    assert any("../freedonia-police/" in ends for ends, _ in corner["in"]), corner
    acme = _arrows(page("organizations/acme-phones.md"))
    assert any(ends == ["../bigcell/"] for ends, _ in acme["partners"]), acme
    # maker -> product, the products it makes sharing one arrow
    assert [label for ends, label in acme["out"] if "../../products/rocket-phone/" in ends] == [
        "makes"
    ]
    assert any(
        ends == ["../../people/ada-example/"] for ends, _ in acme["in"]
    )  # person -> employer


def test_a_relationship_page_draws_its_parties_by_their_roles():
    for path in EXPECTED.glob("relationships/*.md"):
        text = path.read_text(encoding="utf-8")
        if '<figure class="kb-diagram"' not in text:
            continue
        arrows = _arrows(text)
        # The first role's parties point at the relationship; it points at the others.
        labels = {label for _, label in arrows["in"]}
        assert labels or arrows["partners"], path
        for ends, _ in arrows["in"] + arrows["out"] + arrows["partners"]:
            assert ends and all(href.startswith("../") for href in ends), path


def test_a_diagram_has_a_caption_and_links_to_pages_that_exist():
    text = page("organizations/acme-phones.md")
    figure = block(text, '<figure class="kb-diagram"', "</figure>")
    assert "data-pagefind-ignore" in figure.split(">", 1)[0]
    assert "<figcaption>Acme Phones and the records it is directly connected to" in figure
    assert "two-headed arrow joins partners" in figure
    assert '<p class="kb-map-self"><strong>Acme Phones</strong></p>' in figure
    # Each arrow reads as a sentence to a screen reader; the drawn heads are hidden from it.
    assert (
        '<span class="kb-sr">, with </span><span class="kb-ends"><a href="../bigcell/">BigCell</a>'
        in figure
    )
    assert '<span class="kb-head" aria-hidden="true">' in figure
    hrefs = re.findall(r'href="([^"#]+)"', figure)
    assert hrefs
    for href in hrefs:
        target = (EXPECTED / "organizations" / "acme-phones" / href).resolve()
        assert target.with_suffix(".md").is_file() or (target / "index.md").is_file(), href
    # No page has the old script's marks.
    for path in EXPECTED.glob("*/*.md"):
        text = path.read_text(encoding="utf-8")
        assert "mermaid" not in text and "diagram: true" not in text.split("\n---\n")[0], path


def test_lists_are_in_date_order_with_undated_last(kb):
    site = Site(kb=kb, env=make_environment(None))
    context = PageContext(site, "organizations/acme-phones.md")
    ordered = context.in_date_order(
        [
            kb["pocket-cam"],
            kb["acme-statement"],
            kb["bigcell-cancels-rocket"],
            kb["ada-rocket-quote"],
            kb["acme-founded"],
        ]
    )
    # 'until 2015' by its end; the product, undated, last.
    assert [r.id for r in ordered] == [
        "acme-founded",
        "ada-rocket-quote",
        "bigcell-cancels-rocket",
        "acme-statement",
        "pocket-cam",
    ]
    acme = page("organizations/acme-phones.md")
    dates = re.findall(r'<span class="kb-date">(.*?)</span>', block(acme, "## Events", "</ul>"))
    assert dates == ["until 2015", "end 2018 – early 2019"]


def test_a_phone_can_reach_every_section_from_the_top():
    acme = page("organizations/acme-phones.md")
    toc = re.search(r'<nav class="kb-toc"[^>]*>(.*?)</nav>', acme).group(1)
    headings = re.findall(r"^## (.+)$", acme, re.MULTILINE)
    assert re.findall(r">([^<]+)</a>", toc) == headings


def test_a_record_page_says_what_the_marks_of_its_dates_mean_only_when_it_shows_one():
    legend = '<p class="kb-legend"'
    approximate = page("quotes/ada-rocket-quote.md")
    assert "c. Nov 2017" in text_of(approximate)
    assert legend in approximate and "before a date means approximate" in text_of(approximate)
    exact = page("quotes/acme-statement.md")
    assert "c. " not in text_of(exact).replace("c. before", "")
    assert legend not in exact


def _products_index(kb, ids: list[str]) -> str:
    site = Site(kb=kb, env=make_environment(None))
    schema = kb.schemas.kinds["product"]
    return site.render(
        "index_product.md.j2",
        "products/index.md",
        schema=schema,
        records=[kb[record_id] for record_id in ids],
        front={"title": "Products"},
        title="Products",
    )


def test_an_index_leaves_out_a_column_no_record_has_and_says_so(kb):
    # Neither product has an announced or a released date: no column of "not recorded".
    undated = _products_index(kb, ["pocket-cam", "rocket-phone-gold"])
    headings = re.findall(r"<th>(.*?)</th>", undated)
    assert headings == ["Product", "Maker", "Category"]
    assert "Not recorded for any product: announced, released." in text_of(undated)
    assert "not recorded" not in block(undated, "<tbody>", "</tbody>")


def test_an_index_shows_a_missing_value_in_a_shown_column_as_a_dash(kb):
    listed = _products_index(kb, ["rocket-phone", "pocket-cam"])
    assert "Announced" in re.findall(r"<th>(.*?)</th>", listed)
    pocket_cam = next(row for row in listed.splitlines() if "product-pocket-cam" in row)
    assert '<span data-sort="zzzz">–</span>' in pocket_cam
    assert "not recorded" not in block(listed, "<tbody>", "</tbody>")
