"""The data for machines (generator/export/ and render/json_ld.py), on fixture knowledge bases.

- every published JSON document matches the JSON Schema published beside it, and a document
  that stops matching fails (so the schema tests can fail);
- a record's document holds every claim of the fact file, with its rank and its sources;
- all.json is every record's document, in one file; the kind lists and the index agree;
- the CSV reads back with the csv module, one row per record, and no cell can run as a formula;
- the JSON-LD of every record page parses as JSON-LD (rdflib) into the schema.org types;
- the Atom feed lists the last changes from git, the same bytes for the same history, and has
  no entries (with a note) without a repository;
- hostile text (tests/hostile/formulas-and-markup-in-exports) is data in every export;
- nothing is written when the facts have errors; a page may not take an export's path.

Determinism of the whole build folder, exports included, is tests/test_golden.py's (the golden
tree holds the exports of tests/golden/kb).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
import rdflib

from generator.export.feed import FEED_ENTRIES, NO_HISTORY_DATE
from generator.export.tables import neutralize
from generator.pipeline import BuildError, Project, build_markdown, build_site
from tests.conftest import REPO_ROOT
from tests.hostile_site import json_ld_problems
from tests.test_hostile_check import make_case

GOLDEN_KB = REPO_ROOT / "tests" / "golden" / "kb"
API = Path("api") / "v1"
ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = rdflib.Namespace("https://schema.org/")
SCHEMA_TYPES = {
    "organization": "Organization",
    "person": "Person",
    "product": "Product",
    "quote": "Quotation",
    "event": "Event",
    "source": "CreativeWork",
}
JSON_LD_SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def build(root: Path) -> Path:
    """`kb build --markdown-only` in this process; the build folder."""
    result = build_markdown(Project(root))
    assert result.ok, result.check.collector.problems
    return root / "build" / "docs"


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("exports") / "kb"
    shutil.copytree(GOLDEN_KB, root)
    return build(root)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return build(make_case("formulas-and-markup-in-exports", tmp_path_factory.mktemp("hostile")))


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def validators(docs: Path) -> dict[str, jsonschema.protocols.Validator]:
    out = {}
    for name in ("record", "list", "all", "index"):
        schema = read_json(docs / API / "schema" / f"{name}.schema.json")
        jsonschema.Draft202012Validator.check_schema(schema)
        out[name] = jsonschema.Draft202012Validator(schema)
    return out


def published_documents(docs: Path) -> list[tuple[str, Path]]:
    """(schema name, path) for every JSON document under api/v1/ but the schemas."""
    found = []
    for path in sorted((docs / API).rglob("*.json")):
        relative = path.relative_to(docs / API)
        if relative.parts[0] == "schema":
            continue
        if len(relative.parts) == 2:
            found.append(("record", path))
        elif path.name in ("all.json", "index.json"):
            found.append((path.stem, path))
        else:
            found.append(("list", path))
    return found


def schema_errors(validator, document) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


# --- JSON and its schema ------------------------------------------------------------------


@pytest.mark.parametrize("which", ["golden", "hostile"])
def test_every_published_document_matches_the_published_schema(which, request):
    docs = request.getfixturevalue(which)
    checks = validators(docs)
    documents = published_documents(docs)
    assert {name for name, _ in documents} == {"record", "list", "all", "index"}
    for name, path in documents:
        errors = schema_errors(checks[name], read_json(path))
        assert not errors, (path.relative_to(docs).as_posix(), errors[:5])


BREAKAGES = {
    "a field of the document removed": lambda d: d.pop("claims"),
    "a field added": lambda d: d.update(extra=1),
    "a value of the wrong type": lambda d: d["values"].update(name=["Acme"]),
    "an unknown field in the values": lambda d: d["values"].update(colour="red"),
    "an enum value the schema lacks": lambda d: d["values"].update(roles=["wizard"]),
    "a claim's rank unknown": lambda d: d["claims"]["/country"][0].update(rank="best"),
    "a claim without its citations": lambda d: d["claims"]["/country"][0].pop("citations"),
    "a claim at a path no key fact has": lambda d: d["claims"].update({"/name": []}),
    "a citation without its source": lambda d: d["values"]["citations"][0].pop("source"),
    "a reference without its page": lambda d: d["references"][0].pop("page"),
    "the kind of another record": lambda d: d.update(kind="person"),
    "a page URL elsewhere": lambda d: d.update(page="people/acme-phones/"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_document_that_stops_matching_fails_validation(golden, breakage):
    checks = validators(golden)
    document = read_json(golden / API / "organizations" / "acme-phones.json")
    assert schema_errors(checks["record"], document) == []
    broken = copy.deepcopy(document)
    BREAKAGES[breakage](broken)
    assert schema_errors(checks["record"], broken), breakage
    everything = read_json(golden / API / "all.json")
    index = next(i for i, d in enumerate(everything["records"]) if d["id"] == "acme-phones")
    everything["records"][index] = broken
    assert schema_errors(checks["all"], everything), breakage


def test_a_record_holds_every_claim_with_its_rank_and_sources(golden):
    person = read_json(golden / API / "people" / "ada-example.json")
    assert person["name"] == "Ada Example" and person["page"] == "people/ada-example/"
    titles = person["claims"]["/positions/0/title"]
    assert [(c["value"], c["rank"]) for c in titles] == [
        ("Chief Executive", "preferred"),
        ("Chief Executive of the phone business", "normal"),
        ("Chief Operating Officer", "deprecated"),
    ]
    assert titles[2]["reason"] == "An early report, corrected by the same paper the next day."
    assert titles[1]["citations"] == [
        {
            "source": "wire-report",
            "excerpt": "head of Acme's phone business",
            "via": "example-daily-article",
        }
    ]
    # The value shown is the preferred claim's; a bare value rests on the record's citations.
    assert person["values"]["positions"][0]["title"] == "Chief Executive"
    assert person["claims"]["/positions/1/title"] == [
        {"value": "Board member", "rank": "normal", "citations": None}
    ]
    # Dates as written, whatever YAML made of them (2017 is a number in the fact file).
    assert person["values"]["positions"][1]["from"] == "2012"
    organization = read_json(golden / API / "organizations" / "acme-phones.json")
    assert organization["values"]["market_shares"][0]["date"] == "2017"
    assert organization["claims"]["/country"][0]["citations"][0]["source"] == (
        "example-daily-article"
    )
    # Every source cited is among the resolved references, with its page and document.
    referenced = {r["id"]: r for r in person["references"]}
    assert referenced["wire-report"] == {
        "id": "wire-report",
        "kind": "source",
        "name": "Wire report on the Rocket",
        "page": "sources/wire-report/",
        "json": "api/v1/sources/wire-report.json",
    }
    assert {"acme-phones", "bigcell", "example-daily-article"} <= referenced.keys()
    assert person["citation_count"] == 4


def test_all_json_is_every_record_document_and_the_lists_agree(golden):
    everything = read_json(golden / API / "all.json")
    index = read_json(golden / API / "index.json")
    documents = {
        path.relative_to(golden).as_posix(): read_json(path)
        for name, path in published_documents(golden)
        if name == "record"
    }
    assert len(everything["records"]) == len(documents) == sum(index["counts"].values())
    for record in everything["records"]:
        assert documents[record["json"]] == record
    for plural, endpoint in index["endpoints"]["kinds"].items():
        listed = read_json(golden / endpoint["list"])
        assert listed["count"] == endpoint["count"] == index["counts"][plural]
        assert [r["json"] for r in listed["records"]] == [
            r["json"] for r in everything["records"] if r["kind"] == endpoint["kind"]
        ]
        assert (golden / endpoint["csv"]).is_file()
    assert (golden / index["endpoints"]["feed"]).is_file()


# --- CSV ----------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "no byte-order mark: a spreadsheet may not read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_one_row_per_record_and_reads_back(golden):
    everything = read_json(golden / API / "all.json")
    for path in sorted((golden / API).glob("*.csv")):
        rows = read_csv(path)
        expected = [r for r in everything["records"] if r["json"].split("/")[2] == path.stem]
        assert [row["id"] for row in rows] == [r["id"] for r in expected], path.name
        for row, record in zip(rows, expected, strict=True):
            assert row["page"] == record["page"] and row["json"] == record["json"]
            assert int(row["citation_count"]) == record["citation_count"]
    organizations = {row["id"]: row for row in read_csv(golden / API / "organizations.csv")}
    acme = organizations["acme-phones"]
    assert acme["name"] == "Acme Phones"
    assert acme["aliases"] == "Acme; Acme Phones Ltd."
    assert acme["country"] == "Freedonia"
    assert acme["summary"].startswith("Fictional maker of the Rocket and the Pocket Cam.")
    assert acme["market_shares"].startswith("value: 0.5, unit: percent, of: share of")
    relationships = {row["id"]: row for row in read_csv(golden / API / "relationships.csv")}
    assert relationships["police-warning"]["parties"] == (
        "issuer: freedonia-police; target: corner-shop, bigcell"
    )


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_neutralized(cell, shown):
    assert neutralize(cell) == shown


def test_hostile_text_is_data_in_json_and_csv(hostile):
    maker = read_json(hostile / API / "organizations" / "formula-maker.json")
    assert maker["name"] == '=HYPERLINK("https://evil.example/x","click")'
    assert "</script><script>window.__pwned=1</script>" in maker["values"]["aliases"]
    assert maker["values"]["summary"].startswith("</script><script>window.__pwned=1</script> &")
    rows = {
        row["id"]: row for path in sorted((hostile / API).glob("*.csv")) for row in read_csv(path)
    }
    assert rows["formula-maker"]["name"] == "'" + maker["name"]
    assert rows["formula-maker"]["country"] == "'=1+1"
    assert rows["formula-maker"]["aliases"].startswith("'+1+2; -2+3; @SUM(A1:A9)")
    assert rows["plus-person"]["name"] == "'+Plus Person"
    assert rows["plus-person"]["positions"] == "organization: formula-maker, title: -Chief"
    for row in rows.values():
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (row["id"], column)
    person = read_json(hostile / API / "people" / "plus-person.json")
    assert [c["value"] for c in person["claims"]["/positions/0/title"]] == ["-Chief", "=Chief"]


# --- JSON-LD ------------------------------------------------------------------------------


def json_ld_of(page: Path) -> str:
    scripts = JSON_LD_SCRIPT.findall(page.read_text(encoding="utf-8"))
    assert len(scripts) == 1, page
    return scripts[0]


def parse_json_ld(text: str, page_url: str) -> rdflib.Graph:
    """The JSON-LD as RDF. schema.org's context is its vocabulary (fetched it would need the
    network): the same terms, as @vocab."""
    document = json.loads(text)
    assert document["@context"] == "https://schema.org"
    document["@context"] = {"@vocab": "https://schema.org/"}
    graph = rdflib.Graph()
    with warnings.catch_warnings():
        # rdflib 7.6's JSON-LD parser uses its own deprecated ConjunctiveGraph internally.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
        graph.parse(data=json.dumps(document), format="json-ld", base=page_url)
    return graph


@pytest.mark.parametrize("which", ["golden", "hostile"])
def test_every_record_page_carries_json_ld_that_parses(which, request):
    docs = request.getfixturevalue(which)
    everything = read_json(docs / API / "all.json")
    for record in everything["records"]:
        page = docs / f"{record['page'].rstrip('/')}.md"
        text = json_ld_of(page)
        assert json_ld_problems(text) == [], page
        graph = parse_json_ld(text, f"https://site.invalid/{record['page']}")
        pages = list(graph.subjects(rdflib.RDF.type, SCHEMA.WebPage))
        assert len(pages) == 1, page
        if record["kind"] == "relationship":
            continue
        about = graph.value(pages[0], SCHEMA.about)
        expected = SCHEMA[SCHEMA_TYPES[record["kind"]]]
        assert (about, rdflib.RDF.type, expected) in graph, page
        if record["kind"] != "quote":
            assert str(graph.value(about, SCHEMA.name)) == record["name"], page
        # The sources the record cites, as creative works.
        cited = {
            str(graph.value(work, SCHEMA.name)) for work in graph.objects(pages[0], SCHEMA.citation)
        }
        for work in cited:
            assert work, page
        sources = {r["name"] for r in record["references"] if r["kind"] == "source"}
        if record["kind"] != "source":
            assert cited == sources, page
        # Every page links to its JSON document.
        href = f'href="../../{record["json"]}"'
        assert href in page.read_text(encoding="utf-8"), page


def test_json_ld_holds_the_hostile_text_as_text(hostile):
    text = json_ld_of(hostile / "quotes" / "script-quote.md")
    assert "<" not in text and ">" not in text and "&" not in text
    graph = parse_json_ld(text, "https://site.invalid/quotes/script-quote/")
    words = {str(o) for o in graph.objects(None, SCHEMA.text)}
    assert words == {'</script><img src=x onerror="window.__pwned=1"> said <b>so</b> & more'}
    names = {str(o) for o in graph.objects(None, SCHEMA.name)}
    assert '=HYPERLINK("https://evil.example/x","click")' in names


# --- The feed -----------------------------------------------------------------------------


def git(root: Path, *args: str, date: str = "2020-01-01T00:00:00+00:00") -> None:
    env = {
        "GIT_AUTHOR_NAME": "A Contributor",
        "GIT_AUTHOR_EMAIL": "contributor@example.com",
        "GIT_COMMITTER_NAME": "A Contributor",
        "GIT_COMMITTER_EMAIL": "contributor@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_SYSTEM": "/dev/null",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def feed_entries(docs: Path) -> tuple[ElementTree.Element, list[dict[str, str]]]:
    feed = ElementTree.fromstring((docs / "feed.xml").read_bytes())
    entries = [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "href": entry.find(f"{ATOM}link").get("href"),
            "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "id": entry.findtext(f"{ATOM}id"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]
    return feed, entries


@pytest.fixture
def history(tmp_path) -> Path:
    """The golden knowledge base in a git repository of its own, with three commits."""
    root = tmp_path / "kb"
    shutil.copytree(GOLDEN_KB, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "The golden facts", date="2020-01-01T00:00:00+00:00")
    acme = root / "facts" / "organizations" / "acme-phones.yaml"
    acme.write_text(acme.read_text().replace("Fictional maker", "A fictional maker"))
    extra = root / "facts" / "organizations" / "extra-shop.yaml"
    shop = root / "facts" / "organizations" / "corner-shop.yaml"
    extra.write_text(shop.read_text().replace("Corner Shop", "Extra Shop"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Acme's summary <b>reworded</b> & more; Extra Shop")
    extra.unlink()
    shop.write_text(shop.read_text() + "note: A note.\n")
    git(root, "commit", "-q", "-am", "Extra Shop removed", date="2021-06-30T12:00:00+02:00")
    return root


def test_the_feed_lists_the_last_changes_from_git(history):
    docs = build(history)
    feed, entries = feed_entries(docs)
    assert feed.findtext(f"{ATOM}updated") == "2021-06-30T12:00:00+02:00"
    titles = [entry["title"] for entry in entries]
    # Newest first; within a commit, in the order of the files' paths.
    assert titles[:4] == [
        "Organization changed: Corner Shop",
        "Organization removed: extra-shop",
        "Organization changed: Acme Phones",
        "Organization added: extra-shop",
    ]
    assert len(entries) == min(FEED_ENTRIES, 4 + len(list((history / "facts").rglob("*.yaml"))))
    by_title = {entry["title"]: entry for entry in entries}
    changed = by_title["Organization changed: Acme Phones"]
    assert changed["href"] == "organizations/acme-phones/"
    assert changed["updated"] == "2020-01-01T00:00:00+00:00"
    assert changed["author"] == "A Contributor"
    assert changed["summary"].endswith("Acme's summary <b>reworded</b> & more; Extra Shop")
    assert by_title["Organization removed: extra-shop"]["href"] == "organizations/"
    assert "example.com" not in (docs / "feed.xml").read_text()  # no e-mail address
    assert all(entry["id"].startswith("urn:uuid:") for entry in entries)
    assert len({entry["id"] for entry in entries}) == len(entries)
    first = (docs / "feed.xml").read_bytes()
    shutil.rmtree(history / "build")
    assert (build(history) / "feed.xml").read_bytes() == first, "same history, other bytes"


def test_without_a_repository_the_feed_is_empty_and_the_build_says_so(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(GOLDEN_KB, root)
    result = build_markdown(Project(root))
    assert result.ok
    feed, entries = feed_entries(root / "build" / "docs")
    assert entries == [] and feed.findtext(f"{ATOM}updated") == NO_HISTORY_DATE
    assert len(result.notes) == 1 and "feed.xml: no entries" in result.notes[0]


def test_a_record_page_says_when_its_facts_last_changed_and_where_to_edit_them(history):
    """From the same history: each record page's front matter has the day git last saw its fact
    file change, and the built page says it, with a link to edit the file where mkdocs.yml
    names the repository (extra.edit_facts)."""
    docs = build(history)

    def front(page: str) -> str:
        return (docs / page).read_text(encoding="utf-8").split("\n---\n", 1)[0]

    assert 'updated: "2021-06-30"' in front("organizations/corner-shop.md")
    assert 'updated: "2020-01-01"' in front("organizations/acme-phones.md")
    assert 'fact_file: "facts/organizations/acme-phones.yaml"' in front(
        "organizations/acme-phones.md"
    )
    config = (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    edit = "https://forge.example/atlas/edit/main/"
    (history / "mkdocs.yml").write_text(
        config + f"extra:\n  edit_facts: {edit}\n", encoding="utf-8"
    )
    shutil.copytree(REPO_ROOT / "overrides", history / "overrides")  # the theme it names
    assert build_site(Project(history), echo=False).site_dir is not None
    page = (history / "site" / "organizations" / "corner-shop" / "index.html").read_text()
    assert '<time datetime="2021-06-30">2021-06-30</time>' in page
    assert f'<a href="{edit}facts/organizations/corner-shop.yaml">Edit this record</a>' in page


def test_without_history_a_record_page_has_no_date_and_no_edit_link_unless_configured(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(GOLDEN_KB, root)
    docs = build(root)
    assert "updated:" not in (docs / "organizations" / "acme-phones.md").read_text()


def test_every_page_head_links_the_feed():
    main = (REPO_ROOT / "overrides" / "main.html").read_text(encoding="utf-8")
    assert "application/atom+xml" in main and "'feed.xml' | url" in main


# --- What is written, and when ------------------------------------------------------------


def test_nothing_is_exported_when_the_facts_have_errors(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(GOLDEN_KB, root)
    acme = root / "facts" / "organizations" / "acme-phones.yaml"
    acme.write_text(acme.read_text().replace("roles: [manufacturer]", "roles: [wizard]"))
    result = build_markdown(Project(root))
    assert not result.ok
    assert not (root / "build").exists()


def test_a_page_may_not_take_an_exported_path(tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(GOLDEN_KB, root)
    (root / "content" / "api" / "v1").mkdir(parents=True)
    (root / "content" / "api" / "v1" / "all.json").write_text("{}")
    with pytest.raises(BuildError, match="api/v1/all.json"):
        build_markdown(Project(root))
    assert not (root / "build").exists()
