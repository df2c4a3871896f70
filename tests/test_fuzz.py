"""Property-based tests (hypothesis): whatever a fact file holds, `kb check` reports it and
never crashes, and whatever text a valid record holds, its page shows it as text.

Bounded and deterministic, so CI runs the same examples every time: the `ci` profile
(tests/conftest.py) derandomizes every test, with no example database and no deadline (the
suite measures nothing about speed), and each test has a fixed number of examples. `make fuzz`
explores further with random seeds; what it finds is replayed from tests/saved_examples/.
The check runs in-process (`check_project`) for speed, plus a few runs of the real command
line; rendering stops at the Markdown, which is converted with Python-Markdown and the
extensions of the project's mkdocs.yml (what mkdocs would do, without its minutes of theme
work).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path

import markdown
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from generator.pipeline import Project, check_project
from generator.problems import format_report
from generator.render.render import make_environment, render_pages
from tests.conftest import REPO_ROOT, run_kb
from tests.hostile_site import PAYLOADS, normalize_space, scan_html
from tests.saved_examples import replays_saved_examples

FUZZ = settings(
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SOURCE = "title: A source\nkind: news-article\n"
ORGANIZATION = "name: Base\nroles: [manufacturer]\ncitations:\n  - source: article\n"


def _check(files: dict[str, bytes]) -> tuple[list, object]:
    """check_project on a knowledge base holding `files` (path under facts/ -> bytes)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in files.items():
            path = root / "facts" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        outcome = check_project(Project(root))
        problems = outcome.collector.sorted()
        # Every report format must print whatever the problems hold.
        for fmt in ("text", "github", "json"):
            report = format_report(problems, fmt, False, outcome.record_count)
            report.encode("utf-8")  # no lone surrogates: printing cannot fail
        return problems, outcome.knowledge_base


def _assert_located(problems: list) -> None:
    for problem in problems:
        assert problem.path.startswith("facts/"), problem
        assert problem.message and problem.code, problem
        assert problem.severity in ("error", "warning")


# --- Random bytes and random YAML never crash the check ---------------------------------------

YAML_PIECES = [
    "name: ",
    "roles: ",
    "citations:\n",
    "  - source: article\n",
    "- ",
    ": ",
    "\n",
    "  ",
    "&a ",
    "*a ",
    "!!python/object:os.system ",
    "!tag ",
    "<<: ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "|\n",
    ">-\n",
    "#",
    "\t",
    "\r\n",
    "\ufeff",
    "\\u202e",
    '"\\ud800"',
    "0x_",
    "1e999",
    ".nan",
    "2018-02-30",
    "[[xiaomi]]",
    "[[",
    "]]",
    "~",
    "null",
    "no",
    "yes",
    "Xiaomi",
    "é",
    "\x00",
    "\x85",
]


@replays_saved_examples
@FUZZ
@given(st.binary(max_size=4000))
@example(b"\xef\xbb\xbf" + ORGANIZATION.encode())
@example(b"\xff\xfe" + "name: x".encode("utf-16-le"))
@example(b"a: &a [*a, *a]\n")
def test_check_never_crashes_on_random_bytes(data: bytes):
    problems, _ = _check(
        {"sources/article.yaml": SOURCE.encode(), "organizations/random.yaml": data}
    )
    _assert_located(problems)


@replays_saved_examples
@FUZZ
@given(st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=8), max_size=60).map("".join))
@example("a: " + "[" * 200 + "]" * 200)
@example("name: &x !!str x\nroles: *x\n<<: {a: 1}\n")
def test_check_never_crashes_on_random_yaml(text: str):
    data = text.encode("utf-8", "surrogatepass")
    problems, _ = _check(
        {"sources/article.yaml": SOURCE.encode(), "organizations/random.yaml": data}
    )
    _assert_located(problems)


@replays_saved_examples
@settings(max_examples=6)
@given(st.binary(min_size=1, max_size=600))
@example(b"name: !!python/object/apply:os.system ['touch pwned']\n")
def test_kb_check_command_never_prints_a_traceback(data: bytes):
    """The real command line on random bytes: exit 0 or 1, a report, nothing on stderr."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "facts" / "organizations").mkdir(parents=True)
        (root / "facts" / "organizations" / "random.yaml").write_bytes(data)
        result = run_kb("check", cwd=root, timeout=120)
        assert result.code in (0, 1), result
        assert result.err == "" and "Traceback" not in result.out
        assert not list(root.rglob("pwned"))


# --- Random records: checked, and when valid, rendered as text ------------------------------

# Text a contributor could type: letters, digits, punctuation and symbols of every script, plus
# the characters Markdown, HTML, Jinja and YAML give meaning to, plus the hostile payloads.
# (Control and invisible characters are validation errors: the check tests above cover them.)
SPECIALS = list("<>&\"'`*_[]()!#|{}%\\-+=:;.~^$@/?\n ")
text_strategy = st.lists(
    st.sampled_from(SPECIALS)
    | st.sampled_from(PAYLOADS)
    | st.sampled_from(["&lt;", "&#60;", "&amp;", "{{", "{%", "---", "[^1]", "{:", "-->"])
    | st.characters(categories=["L", "N", "P", "S", "Zs"]),
    min_size=1,
    max_size=40,
).map("".join)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a YAML double-quoted scalar


def _record_files(texts: dict[str, str]) -> dict[str, bytes]:
    one_line = {key: " ".join(value.split()) or "x" for key, value in texts.items()}
    files = {
        "sources/article.yaml": (
            f"title: {_quoted('Source ' + one_line['title'])}\nkind: news-article\n"
            f"summary: {_quoted(texts['source_summary'])}\n"
        ),
        "organizations/random-org.yaml": (
            f"name: {_quoted('Org ' + one_line['name'])}\n"
            f"aliases: [{_quoted('Alias ' + one_line['alias'])}]\n"
            "roles: [manufacturer]\n"
            f"country: {_quoted(one_line['country'])}\n"
            f"summary: {_quoted(texts['summary'] + ' [[random-person]]')}\n"
            f"note: {_quoted(texts['note'])}\n"
            "citations:\n  - source: article\n"
            f"    excerpt: {_quoted(texts['excerpt'])}\n"
            f"    locator: {_quoted(one_line['locator'])}\n"
        ),
        "people/random-person.yaml": (
            f"name: {_quoted('Person ' + one_line['person'])}\n"
            "positions:\n  - organization: random-org\n"
            f"    title: {_quoted(one_line['position'])}\n"
            "citations:\n  - source: article\n"
        ),
        "quotes/random-quote.yaml": (
            f"text: {_quoted(texts['quote'])}\nspeaker: random-person\n"
            f"context: {_quoted(texts['context'])}\n"
            "citations:\n  - source: article\n"
        ),
    }
    return {name: text.encode("utf-8") for name, text in files.items()}


FIELDS = [
    "title",
    "source_summary",
    "name",
    "alias",
    "country",
    "summary",
    "note",
    "excerpt",
    "locator",
    "person",
    "position",
    "quote",
    "context",
]
records_strategy = st.fixed_dictionaries({name: text_strategy for name in FIELDS})


@cache
def _markdown_converter() -> markdown.Markdown:
    """Python-Markdown with the extensions and settings of the project's mkdocs.yml."""
    from mkdocs.config import load_config

    with tempfile.TemporaryDirectory() as docs:
        config = load_config(str(REPO_ROOT / "mkdocs.yml"), docs_dir=docs)
        return markdown.Markdown(
            extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
        )


@cache
def _templates():
    return make_environment(None)  # compiled once: templates do not change between examples


def _to_html(page: str) -> str:
    if page.startswith("---\n"):
        page = page[4:].partition("\n---\n")[2]
    return _markdown_converter().reset().convert(page)


def _structure(html: str) -> Counter:
    """What markup a page has: each tag with its attribute names (not their values), counted;
    paragraphs only as a tag (multi-line text may make more of them)."""
    from html.parser import HTMLParser

    found: Counter = Counter()

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag != "p":
                found[(tag, tuple(sorted(name for name, _ in attrs)))] += 1
            elif attrs:
                found[("p with attributes", tuple(sorted(name for name, _ in attrs)))] += 1

    Collector().feed(html)
    return found


PAGES = ["organizations/random-org.md", "people/random-person.md", "quotes/random-quote.md"]


@cache
def _benign_structure() -> dict[str, Counter]:
    files = _record_files({name: "plain words" for name in FIELDS})
    _, kb = _check(files)
    assert kb is not None
    pages = render_pages(kb, env=_templates())
    return {path: _structure(_to_html(pages[path])) for path in PAGES}


@replays_saved_examples
@settings(
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(records_strategy)
@example({name: payload for name, payload in zip(FIELDS, PAYLOADS, strict=False)})
def test_rendered_pages_keep_every_fact_string_as_text(texts: dict[str, str]):
    """A valid record's pages, converted as mkdocs would, have exactly the markup the same
    pages have with plain words in every field: no tag, attribute, link or image more; and
    every string shows as the text it is."""
    problems, kb = _check(_record_files(texts))
    _assert_located(problems)
    if kb is None:  # e.g. "[[" typed at random: a link that does not resolve is an error
        assert any(problem.severity == "error" for problem in problems)
        event("refused by the check")
        return
    event("rendered")
    pages = render_pages(kb, env=_templates())
    benign = _benign_structure()
    for path in PAGES:
        html = _to_html(pages[path])
        assert _structure(html) == benign[path], path
        scan = scan_html(html)
        assert not scan.problems(), (path, scan.problems())
    shown = scan_html(_to_html(pages["organizations/random-org.md"])).text
    for name in ("name", "country", "summary", "note", "excerpt"):
        assert normalize_space(texts[name]) in shown, (name, texts[name])
