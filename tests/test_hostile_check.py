"""Hostile input through `kb check`: no fact file can crash the check, run code, exhaust memory
or reach outside facts/, and every one gets a clear report.

Each folder in tests/hostile/ is one class of attack or accident, with `expected.txt`, the
transcript of `kb check` run on it (the same format as tests/errors/):

    $ kb check
    facts/organizations/python-object.yaml:1:7: YAML tag '!!python/object/apply:os.system' ...
    ...
    [exit 1]

A case is `tests/hostile/_base/facts` (one valid source and one organization citing it, so a
report shows only the hostile files' problems) with the case's own `facts/` laid over it. Files
git cannot hold, or should not (links, a pipe, names that are not UTF-8, files of hundreds of
KB), are made by the case's entry in GENERATED below; their folders hold only `expected.txt`.

To regenerate every expected.txt after changing a message on purpose (then review the diff):

    make expected
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.load import MAX_FACT_FILE_BYTES, MAX_NESTING_DEPTH
from generator.pipeline import Project, check_project
from generator.validate import check_url
from tests.conftest import REPO_ROOT, assert_matches_expected

HOSTILE_DIR = Path(__file__).resolve().parent / "hostile"
BASE = HOSTILE_DIR / "_base" / "facts"
EXPECTED = "expected.txt"
# A hang guard only (a healthy run takes about a second): never a timing assertion.
HANG_GUARD_SECONDS = 120
# Address space for one `kb check` of an expansion bomb: Python and ruamel.yaml need about
# 100 MB; expanding the bomb would need tens of GB.
MEMORY_LIMIT_BYTES = 1024**3


def _oversized_file(facts: Path) -> None:
    """A valid record padded with comment lines to one byte over the limit."""
    record = (BASE / "organizations" / "xiaomi.yaml").read_text(encoding="utf-8")
    record = record.replace("Xiaomi", "Oversized")
    padding = MAX_FACT_FILE_BYTES + 1 - len(record.encode())
    comment = ("# padding" + " " * 70 + "\n") * (padding // 80 + 1)
    (facts / "organizations" / "oversized.yaml").write_text(
        record + comment[:padding], encoding="utf-8"
    )
    assert (facts / "organizations" / "oversized.yaml").stat().st_size == MAX_FACT_FILE_BYTES + 1


def _alias_text_bomb(facts: Path) -> None:
    """One 100 KB text aliased 15,000 times: a 160 KB file that expands to 1.5 GB of text."""
    text = "\n".join(
        [
            "name: Bomb",
            "roles: [manufacturer]",
            "note: &big |",
            "  " + "lol " * 25_000,
            "aliases: [" + ", ".join(["*big"] * 15_000) + "]",
            "citations:",
            "  - source: article",
        ]
    )
    (facts / "organizations" / "bomb.yaml").write_text(text + "\n", encoding="utf-8")
    assert (facts / "organizations" / "bomb.yaml").stat().st_size < MAX_FACT_FILE_BYTES


def _links_and_special_files(facts: Path) -> None:
    """Links out of facts/ (to a file, to a folder, to nothing, to itself) and a pipe."""
    outside = facts.parent / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("name: Outside\n", encoding="utf-8")
    organizations = facts / "organizations"
    (organizations / "outside-file.yaml").symlink_to(outside / "secret.yaml")
    (organizations / "dangling.yaml").symlink_to(facts.parent / "nothing-here.yaml")
    (organizations / "loop").symlink_to(organizations)
    (facts / "products").symlink_to(outside, target_is_directory=True)
    os.mkfifo(organizations / "pipe.yaml")  # reading it would block forever


def _ids_differing_in_case_or_unicode(facts: Path) -> None:
    """`Acme` beside `acme`, and `café` written precomposed (NFC) beside decomposed (NFD)."""
    record = (BASE / "organizations" / "xiaomi.yaml").read_text(encoding="utf-8")
    names = {
        "Acme": "Acme Upper",
        "acme": "Acme Lower",
        unicodedata.normalize("NFC", "caf\u00e9"): "Cafe Composed",
        unicodedata.normalize("NFD", "caf\u00e9"): "Cafe Decomposed",
    }
    for stem, name in names.items():
        path = facts / "organizations" / f"{stem}.yaml"
        path.write_text(record.replace("Xiaomi", name), encoding="utf-8")
    assert len(list((facts / "organizations").iterdir())) == 5, "the file system merged names"


def _unprintable_file_names(facts: Path) -> None:
    """File names that would forge report lines, recolour a terminal, or not decode."""
    record = (BASE / "organizations" / "xiaomi.yaml").read_bytes()
    folder = os.fsencode(facts / "organizations")
    for index, name in enumerate(
        [b"new\nline.yaml", b"\x1b[2Jclear-screen.yaml", b"latin1-caf\xe9.yaml"]
    ):
        path = folder + b"/" + name
        with open(path, "wb") as handle:
            handle.write(record.replace(b"Xiaomi", f"Unprintable {index}".encode()))


def _links_to_devices(facts: Path) -> None:
    """Fact files that are links to devices that never end (reading /dev/zero took 5 GB in 15
    seconds) and a named pipe (reading it waits for a writer for ever)."""
    organizations = facts / "organizations"
    (organizations / "zero.yaml").symlink_to("/dev/zero")
    (organizations / "urandom.yaml").symlink_to("/dev/urandom")
    os.mkfifo(organizations / "fifo.yaml")


def _facts_folder_link(facts: Path) -> None:
    """facts/ itself a link to a folder elsewhere (which holds valid facts)."""
    elsewhere = facts.parent / "elsewhere"
    facts.rename(elsewhere)
    facts.symlink_to(elsewhere, target_is_directory=True)


GENERATED: dict[str, Callable[[Path], None]] = {
    "oversized-file": _oversized_file,
    "alias-text-bomb": _alias_text_bomb,
    "links-and-special-files": _links_and_special_files,
    "ids-differing-in-case-or-unicode": _ids_differing_in_case_or_unicode,
    "unprintable-file-names": _unprintable_file_names,
    "links-to-devices": _links_to_devices,
    "facts-folder-link": _facts_folder_link,
}
# Cases of valid input that once broke the site (tests/test_hostile_render.py builds them): their
# report is the all-clear, and their test is what the built pages show.
ACCEPTED = {"characters-outside-the-bmp", "formulas-and-markup-in-exports"}
CASES = sorted(
    path.name
    for path in HOSTILE_DIR.iterdir()
    if not path.name.startswith(("_", ".")) and path.is_dir()
)


def make_case(case: str, where: Path) -> Path:
    """The case as a knowledge base in a scratch folder: base, case files, generated files."""
    root = where / case
    shutil.copytree(BASE, root / "facts")
    if (HOSTILE_DIR / case / "facts").is_dir():
        shutil.copytree(HOSTILE_DIR / case / "facts", root / "facts", dirs_exist_ok=True)
    if case in GENERATED:
        GENERATED[case](root / "facts")
    return root


def run_kb_limited(*args: str, cwd: Path, memory: int | None = None) -> subprocess.CompletedProcess:
    """`kb ARGS` in a subprocess, optionally with its address space capped at `memory` bytes."""
    limit = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory})); "
        if memory
        else ""
    )
    code = f"{limit}import sys; from generator.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(REPO_ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=HANG_GUARD_SECONDS,
    )


def transcript(root: Path, *args: str, memory: int | None = None) -> str:
    """What `kb ARGS` printed and returned, in expected.txt's format; it must not crash."""
    result = run_kb_limited(*args, cwd=root, memory=memory)
    assert result.stderr == "", f"`kb {' '.join(args)}` wrote to stderr:\n{result.stderr}"
    assert result.returncode in (0, 1), f"exit {result.returncode}:\n{result.stdout}"
    assert "Traceback" not in result.stdout
    return f"$ kb {' '.join(args)}\n{result.stdout}[exit {result.returncode}]\n"


def test_every_case_is_complete():
    assert len(CASES) >= 15, CASES
    for case in CASES:
        has_files = (HOSTILE_DIR / case / "facts").is_dir() or case in GENERATED
        assert has_files, f"tests/hostile/{case} has no facts/ and no entry in GENERATED"
    assert set(GENERATED) <= set(CASES), "a GENERATED case has no folder in tests/hostile/"


@pytest.mark.parametrize("case", CASES)
def test_hostile_report(case: str, tmp_path: Path):
    """The whole report, exactly, for every hostile case, with memory capped: a bomb that got
    expanded would fail here rather than slow the machine down."""
    root = make_case(case, tmp_path)
    before = snapshot(root)
    actual = transcript(root, "check", memory=MEMORY_LIMIT_BYTES)
    assert snapshot(root) == before, "kb check changed the knowledge base"
    assert_matches_expected(actual, HOSTILE_DIR / case / EXPECTED, f"tests/hostile/{case}")


@pytest.fixture(scope="module")
def problems_by_case(tmp_path_factory) -> dict[str, list]:
    scratch = tmp_path_factory.mktemp("hostile")
    return {
        case: check_project(Project(make_case(case, scratch))).collector.problems for case in CASES
    }


def _codes(problems, path_end: str) -> set[str]:
    return {problem.code for problem in problems if problem.path.endswith(path_end)}


def test_every_hostile_case_is_caught(problems_by_case):
    """Every case reports a problem for each of its hostile files (BOM and CRLF are warnings:
    they are read correctly, see test_bom_and_crlf_files_read_like_plain_ones)."""
    for case, problems in problems_by_case.items():
        if case in ACCEPTED:
            assert problems == [], f"tests/hostile/{case}: valid input is refused"
            continue
        assert problems, f"tests/hostile/{case}: kb check finds nothing"
        case_facts = HOSTILE_DIR / case / "facts"
        if case_facts.is_dir():
            for path in case_facts.rglob("*"):
                if path.is_file():
                    rel = path.relative_to(HOSTILE_DIR / case).as_posix()
                    hit = [p for p in problems if p.path == rel or rel.startswith(p.path + "/")]
                    assert hit or path.name == "cites-every-source.yaml", f"{case}: {rel}"


@pytest.mark.parametrize(
    ("case", "file", "code"),
    [
        ("yaml-tags", "python-object.yaml", "yaml-tag"),
        ("yaml-tags", "tag-directive.yaml", "yaml-tag"),
        ("yaml-tags", "tagged-mapping.yaml", "yaml-tag"),
        ("merge-keys", "merged.yaml", "yaml-merge-key"),
        ("billion-laughs", "lol.yaml", "yaml-too-large"),
        ("alias-text-bomb", "bomb.yaml", "yaml-too-large"),
        ("deep-nesting", "flow.yaml", "yaml-too-deep"),
        ("deep-nesting", "block.yaml", "yaml-too-deep"),
        ("oversized-file", "oversized.yaml", "file-too-large"),
        ("binary-and-encodings", "logo.yaml", "file-binary"),
        ("binary-and-encodings", "latin1.yaml", "file-encoding"),
        ("binary-and-encodings", "utf16.yaml", "file-encoding"),
        ("binary-and-encodings", "overlong.yaml", "file-encoding"),
        ("links-and-special-files", "outside-file.yaml", "file-symlink"),
        ("links-and-special-files", "facts/products", "file-symlink"),
        ("links-and-special-files", "pipe.yaml", "file-special"),
        ("misplaced-files", "facts/top-level.yaml", "file-misplaced"),
        ("misplaced-files", "nested/nested.yaml", "file-misplaced"),
        ("misplaced-files", "scripts/install.sh", "unknown-kind-folder"),
        ("misplaced-files", "yml-suffix.yml", "file-suffix"),
        ("unprintable-file-names", "clear-screen.yaml", "file-name"),
        ("ids-differing-in-case-or-unicode", "acme.yaml", "duplicate-id"),
        ("invisible-and-control-characters", "escaped.yaml", "invisible-character"),
        ("invisible-and-control-characters", "escaped.yaml", "control-character"),
        ("invisible-and-control-characters", "raw.yaml", "invisible-character"),
        ("bad-urls", "javascript.yaml", "bad-url"),
        ("annotation-spoofing", "newline-key.yaml", "unknown-field"),
        ("annotation-spoofing", "newline-enum.yaml", "unknown-value"),
        ("links-to-devices", "zero.yaml", "file-symlink"),
        ("links-to-devices", "fifo.yaml", "file-special"),
        ("facts-folder-link", "facts", "file-symlink"),
        ("cites-a-number", "numbered.yaml", "wrong-type"),
        ("reserved-ids", "organizations/index.yaml", "reserved-id"),
        ("reserved-ids", "people/index.yaml", "reserved-id"),
        ("invisible-and-look-alike-names", "hangul-filler.yaml", "invisible-name"),
        ("invisible-and-look-alike-names", "braille-blank.yaml", "invisible-name"),
        ("invisible-and-look-alike-names", "dotted-xiaomi.yaml", "duplicate-name"),
        ("invisible-and-look-alike-names", "joined-xiaomi.yaml", "duplicate-name"),
        ("invisible-and-look-alike-names", "filled-xiaomi.yaml", "duplicate-name"),
        ("digits-of-other-scripts", "bengali-year.yaml", "bad-date"),
        ("digits-of-other-scripts", "arabic-indic-date.yaml", "bad-date"),
        ("digits-of-other-scripts", "fullwidth-date.yaml", "bad-date"),
    ],
)
def test_hostile_file_is_refused_for_the_right_reason(problems_by_case, case, file, code):
    assert code in _codes(problems_by_case[case], file), problems_by_case[case]


def test_yaml_tags_never_run_code(tmp_path: Path):
    """`!!python/object/apply:os.system` would create a file if anything constructed it."""
    root = make_case("yaml-tags", tmp_path)
    result = run_kb_limited("check", cwd=root)
    assert result.returncode == 1
    assert not list(tmp_path.rglob("pwned*")), "a YAML tag ran a command"
    assert (
        result.stdout.count("is not allowed: fact files hold plain values")
        == len(list((root / "facts" / "organizations").glob("*.yaml"))) - 1
    )  # every tagged file but the base organization


@pytest.mark.parametrize("case", ["billion-laughs", "alias-text-bomb"])
def test_expansion_bombs_are_refused_in_bounded_memory(case: str, tmp_path: Path):
    """With the address space capped far below what the expansion needs, the check still
    finishes and names the file: the bomb is never expanded."""
    root = make_case(case, tmp_path)
    result = run_kb_limited("check", cwd=root, memory=MEMORY_LIMIT_BYTES // 2)
    assert result.returncode == 1, result.stderr
    assert "anchors and aliases multiply" in result.stdout
    assert "MemoryError" not in result.stdout + result.stderr


def test_nesting_limit_is_the_documented_one(problems_by_case):
    messages = [p.message for p in problems_by_case["deep-nesting"]]
    assert any(f"nested more than {MAX_NESTING_DEPTH} levels deep" in m for m in messages)


def test_bom_and_crlf_files_read_like_plain_ones(tmp_path: Path):
    """A byte-order mark or Windows line endings are a warning, and the data is exactly what the
    same file saved plainly (UTF-8, LF) holds: no stray BOM in a name, no \\r in a text."""
    root = make_case("bom-and-crlf", tmp_path / "hostile")
    plain = tmp_path / "plain"
    shutil.copytree(root, plain)
    for path in (plain / "facts" / "organizations").glob("*.yaml"):
        raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        path.write_bytes(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    hostile_outcome = check_project(Project(root))
    plain_outcome = check_project(Project(plain))
    assert plain_outcome.collector.problems == []
    assert {p.severity for p in hostile_outcome.collector.problems} == {"warning"}
    assert hostile_outcome.knowledge_base is not None
    for record_id, record in plain_outcome.knowledge_base.records.items():
        assert hostile_outcome.knowledge_base[record_id].data == record.data, record_id
    bom = hostile_outcome.knowledge_base["bom-crlf"].data
    assert bom["name"] == "Both Mobile"
    assert bom["summary"] == "First line of the summary.\nSecond line, after a line break.\n"
    assert bom["note"] == "A folded note on two lines."


def test_reports_stay_printable_whatever_the_facts_hold(tmp_path: Path):
    """Escape sequences, bidi overrides and zero-width characters in values or file names are
    shown as \\uXXXX in every report format, never sent raw to a terminal or CI log."""
    for case in ("invisible-and-control-characters", "unprintable-file-names"):
        root = make_case(case, tmp_path)
        for fmt in ("text", "github", "json"):
            result = run_kb_limited("check", "--format", fmt, cwd=root)
            assert result.returncode == 1 and result.stderr == ""
            for line in result.stdout.splitlines():
                shown = {ch for ch in line if unicodedata.category(ch)[0] == "C"}
                assert not shown, f"{case} --format {fmt}: raw {shown!r} in {line!r}"
            if fmt == "json":
                report = json.loads(result.stdout)
                assert report["errors"] >= 3
                if case == "invisible-and-control-characters":
                    lines = [p["source_line"] or "" for p in report["problems"]]
                    assert any("\u202e" in line for line in lines)  # JSON keeps the data exact


# --- Only regular files are read, on every path --------------------------------------------


def test_a_fact_file_is_read_only_if_it_is_a_regular_file_within_the_limit(tmp_path: Path):
    """load.read_regular_file, the one way a fact file is read: a link (to /dev/zero), a pipe
    and an oversized file are refused without waiting or reading them."""
    from generator.load import FileRefused, read_regular_file

    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "big.yaml").write_bytes(b"#" * (MAX_FACT_FILE_BYTES + 1))
    (tmp_path / "fine.yaml").write_bytes(b"name: Fine\n")
    for name, code in [
        ("zero.yaml", "file-symlink"),
        ("pipe.yaml", "file-special"),
        ("big.yaml", "file-too-large"),
    ]:
        with pytest.raises(FileRefused) as refused:
            read_regular_file(tmp_path / name)
        assert refused.value.code == code, name
    assert read_regular_file(tmp_path / "fine.yaml") == b"name: Fine\n"


def _base_kb(where: Path) -> Path:
    """A knowledge base of tests/hostile/_base alone (valid)."""
    shutil.copytree(BASE, where / "kb" / "facts")
    return where / "kb"


def _swap_in_hostile_files(root: Path) -> None:
    """After a build: a fact file replaced by a pipe, a link to /dev/zero and a file over the
    size limit added (what a rebuild reads before validation must refuse them all)."""
    organizations = root / "facts" / "organizations"
    (organizations / "xiaomi.yaml").unlink()
    os.mkfifo(organizations / "xiaomi.yaml")
    (organizations / "zero.yaml").symlink_to("/dev/zero")
    (organizations / "big.yaml").write_bytes(b"#" * (MAX_FACT_FILE_BYTES + 1))


def test_a_rebuild_reads_only_regular_files(tmp_path: Path):
    """`kb build` after a build compares the inputs with the last build's before validating
    them: a pipe or a link to a device there is refused too (it hung, or took 5 GB)."""
    root = _base_kb(tmp_path)
    assert run_kb_limited("build", "--markdown-only", cwd=root).returncode == 0
    _swap_in_hostile_files(root)
    result = run_kb_limited("build", "--markdown-only", cwd=root, memory=MEMORY_LIMIT_BYTES)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "facts/organizations/xiaomi.yaml: not a regular file" in result.stdout
    assert "facts/organizations/zero.yaml: symbolic link" in result.stdout
    assert "facts/organizations/big.yaml: file is 262,145 bytes" in result.stdout


def test_kb_serve_reads_only_regular_files_after_an_edit(tmp_path: Path):
    """kb serve's build after an edit of fact files (pipeline.ServeBuilds): a file swapped
    for a pipe or a link is refused there too, never read, never waited on."""
    from generator.pipeline import ServeBuilds

    root = _base_kb(tmp_path)
    builds = ServeBuilds(Project(root))
    assert builds.build().ok
    _swap_in_hostile_files(root)
    changed = [root / "facts" / "organizations" / name for name in ("xiaomi.yaml", "zero.yaml")]

    def hang(signum, frame):
        raise TimeoutError("reading a pipe or a device blocked")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_GUARD_SECONDS)  # a hang guard only, never a timing assertion
    try:
        result = builds.build(changed)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not result.ok
    codes = {(p.path, p.code) for p in result.check.collector.problems}
    assert ("facts/organizations/xiaomi.yaml", "file-special") in codes
    assert ("facts/organizations/zero.yaml", "file-symlink") in codes


def test_an_unreadable_fact_file_is_a_located_problem(tmp_path: Path, monkeypatch):
    """A file the check may not read (chmod 000) is reported, not a traceback. Tests run as
    root, who reads any file: the refusal is simulated where the file is opened."""
    import generator.load

    root = _base_kb(tmp_path)
    locked = root / "facts" / "organizations" / "xiaomi.yaml"
    real_open = os.open

    def refusing_open(path, flags, *args):
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(generator.load.os, "open", refusing_open)
    problems = check_project(Project(root)).collector.problems
    assert [(p.path, p.code, p.message) for p in problems if p.path.endswith("xiaomi.yaml")] == [
        (
            "facts/organizations/xiaomi.yaml",
            "file-unreadable",
            "cannot be read (Permission denied): make it readable (chmod a+r) or delete it",
        )
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_an_unreadable_fact_file_is_reported_by_kb_check(tmp_path: Path):
    root = _base_kb(tmp_path)
    locked = root / "facts" / "organizations" / "xiaomi.yaml"
    locked.chmod(0)
    try:
        result = run_kb_limited("check", cwd=root)
    finally:
        locked.chmod(0o644)
    assert result.returncode == 1 and result.stderr == ""
    assert "facts/organizations/xiaomi.yaml: cannot be read (Permission denied)" in result.stdout


def test_a_linked_facts_folder_is_refused_by_every_command(tmp_path: Path):
    """facts/ as a link: kb check, kb build, kb fmt and kb new refuse it, and nothing is
    written where it points."""
    root = make_case("facts-folder-link", tmp_path)
    elsewhere = root / "elsewhere"
    (elsewhere / "organizations" / "xiaomi.yaml").write_text(
        "name:   Xiaomi\nroles: [ manufacturer ]\ncitations:\n  - source: article\n"
    )
    before = snapshot(elsewhere)
    for args in (
        ("check",),
        ("build", "--markdown-only"),
        ("fmt",),
        ("fmt", "facts/organizations/xiaomi.yaml"),
        ("new", "organization", "new-org", "--set", "name=New"),
    ):
        result = run_kb_limited(*args, cwd=root)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "facts: symbolic link: facts/ must be the knowledge base's own folder" in (
            result.stdout + result.stderr
        ), args
        assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(elsewhere) == before
    assert not (root / "build").exists()


def test_the_reserved_ids_are_the_pages_the_site_makes_in_kind_folders():
    """Every page the generator makes in a kind's folder, other than a record's page, has a
    name in validate.RESERVED_IDS, so no record can take it (`index` once stopped a build)."""
    from generator.render.render import render_pages
    from generator.validate import RESERVED_IDS

    kb = check_project(Project(REPO_ROOT / "tests" / "golden" / "kb")).knowledge_base
    assert kb is not None
    record_pages = {record.page for record in kb.records.values()}
    plurals = set(kb.schemas.by_plural)
    made = {
        path.rsplit("/", 1)[1].removesuffix(".md")
        for path in render_pages(kb)
        if path.count("/") == 1 and path.split("/")[0] in plurals and path not in record_pages
    }
    assert made and made <= set(RESERVED_IDS), made


def test_kb_new_refuses_a_reserved_id(tmp_path: Path):
    root = _base_kb(tmp_path)
    result = run_kb_limited("new", "organization", "index", "--set", "name=Index", cwd=root)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "kb new: 'index' cannot be an id: organizations/index is the index of the kind"
    )
    assert not (root / "facts" / "organizations" / "index.yaml").exists()


# --- A damaged or forged cache --------------------------------------------------------------


def test_nothing_in_the_cache_folder_reaches_the_site(tmp_path: Path):
    """The build keeps no parsed data between runs (the cache was removed: with the fast path
    it saved under 1% of the build), so a .cache/ committed in a pull request, forged, damaged
    or nested to crash a JSON reader, cannot publish what the YAML does not say."""
    root = _base_kb(tmp_path)
    page = root / "build" / "docs" / "organizations" / "xiaomi.md"
    assert run_kb_limited("build", "--markdown-only", cwd=root).returncode == 0
    before = page.read_text()
    cache = root / ".cache"
    forged = before.replace("Xiaomi", "Forged")
    for name in ("records-0.json", "build-0.json", "deps-0.json", "records.json"):
        (cache / name).write_text('{"format": 1, "records": {"x": "Forged"}}\n' + forged)
    (cache / "nested.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (cache / "junk.json").write_bytes(b"\x00\xff not json")
    page.unlink()
    result = run_kb_limited("build", "--markdown-only", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert page.read_text() == before and "Forged" not in before


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _annotation_spoofing_outputs(tmp_path: Path) -> dict[str, str]:
    """What every command that shows fact data prints, in each of its formats, for
    tests/hostile/annotation-spoofing (and the file names of unprintable-file-names)."""
    root = make_case("annotation-spoofing", tmp_path)
    outputs = {}
    for fmt in ("text", "github", "json"):
        outputs[f"check --format {fmt}"] = run_kb_limited("check", "--format", fmt, cwd=root).stdout
    build = run_kb_limited("build", "--markdown-only", cwd=root)
    outputs["build"] = build.stdout + build.stderr
    fmt_diff = run_kb_limited("fmt", "--check", "--diff", cwd=root)
    outputs["fmt --check --diff"] = fmt_diff.stdout + fmt_diff.stderr
    # kb diff: the hostile values as they were committed, against a change to each of them.
    _git(root, "init", "--quiet", "--initial-branch=main")
    _git(root, "add", "facts")
    _git(root, "commit", "--quiet", "-m", "hostile values")
    organizations = root / "facts" / "organizations"
    for path in organizations.glob("newline-*.yaml"):
        path.write_text(
            f"name: Changed {path.stem}\nroles: [carrier]\ncitations:\n  - source: article\n"
        )
    escapes = organizations / "terminal-escapes.yaml"
    escapes.write_text(escapes.read_text().replace("  ::warning", "  changed ::warning"))
    for fmt in ("text", "markdown"):
        diff = run_kb_limited("diff", "HEAD", "--format", fmt, cwd=root)
        assert diff.returncode == 0, diff.stdout + diff.stderr
        outputs[f"diff --format {fmt}"] = diff.stdout + diff.stderr
    assert "forged by a value" in outputs["diff --format text"]
    assert "forged by a literal block" in outputs["diff --format text"]
    names = make_case("unprintable-file-names", tmp_path / "names")
    for fmt in ("text", "github"):
        outputs[f"names check --format {fmt}"] = run_kb_limited(
            "check", "--format", fmt, cwd=names
        ).stdout
    outputs["names fmt --check --diff"] = run_kb_limited(
        "fmt", "--check", "--diff", cwd=names
    ).stdout
    return outputs


# A GitHub Actions annotation as `kb check --format github` writes it, on a fact file.
_OWN_ANNOTATION = re.compile(
    r"::(error|warning) file=facts/[^,\s]+(,line=\d+(,col=\d+)?)?,title=[a-z-]+::"
)


def test_no_output_can_forge_an_annotation_or_a_terminal_escape(tmp_path: Path):
    """Keys and values with line breaks and `::error file=...::`, literal blocks of workflow
    commands, terminal escapes: every command and format shows them, escaped, and no line
    of any output is a GitHub Actions workflow command but the check's own annotations."""
    outputs = _annotation_spoofing_outputs(tmp_path)
    for command, output in outputs.items():
        assert "forged" in output or "names" in command, command
        for line in output.splitlines():
            shown = {ch for ch in line if unicodedata.category(ch)[0] == "C"}
            assert not shown, f"kb {command}: raw {shown!r} in {line!r}"
            command_line = line.lstrip().startswith("::")
            if command.endswith("--format github") and command_line:
                assert _OWN_ANNOTATION.match(line), f"kb {command}: forged {line!r}"
            else:
                assert not command_line, f"kb {command}: a workflow command: {line!r}"
    github = outputs["check --format github"].splitlines()
    assert len([line for line in github if line.startswith("::")]) == 3
    assert "\\u000a::error file=README.md" in outputs["check --format text"]


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under root: file bytes' hash, link target, or folder/pipe marker."""
    state: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        key = os.fsencode(path.relative_to(root)).hex()
        if path.is_symlink():
            state[key] = ("link", os.readlink(path))
        elif path.is_dir():
            state[key] = "folder"
        elif path.is_file():
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[key] = "special"
    return state


# --- URLs -------------------------------------------------------------------------------------

GOOD_URLS = [
    "https://example.com",
    "https://example.com/report?id=1&lang=en#part-2",
    "http://example.com/only-http-exists",
    "https://web.archive.org/web/2018/https://example.com/report",
    "https://de.example.org/wiki/M%C3%BCller",
    "https://sub-domain.example.co.uk:8443/path_with_underscores",
]
BAD_URLS = {
    "javascript:alert(1)": "'javascript:' URLs are not allowed",
    "JaVaScRiPt:alert(1)": "'javascript:' URLs are not allowed",
    "JAVASCRIPT:alert(1)": "'javascript:' URLs are not allowed",
    "data:text/html,<script>alert(1)</script>": "'data:' URLs are not allowed",
    "vbscript:msgbox(1)": "'vbscript:' URLs are not allowed",
    "file:///etc/passwd": "'file:' URLs are not allowed",
    "ftp://example.com/x": "'ftp:' URLs are not allowed",
    "mailto:someone@example.com": "'mailto:' URLs are not allowed",
    "//evil.example/x": "protocol-relative URL",
    "example.com/x": "a URL without a scheme is not allowed",
    "/relative/path": "a URL without a scheme is not allowed",
    "https://": "the URL has no host name",
    "https:///x": "the URL has no host name",
    "https:/example.com": "the URL has no host name",
    "https://localhost/x": "the URL has no host name",
    " https://example.com": "no spaces or control characters",
    "https://example.com/a b": "no spaces or control characters",
    "java\tscript:alert(1)": "no spaces or control characters",
    "java\nscript:alert(1)": "no spaces or control characters",
    "javascript\x00:alert(1)": "no spaces or control characters",
    "https://example.com/\x85": "no spaces or control characters",
    "\x01https://example.com": "no spaces or control characters",
    "https://example.com/\u202efdp.exe": "invisible character U+202E (right-to-left override)",
    "https://example.com/\u200b": "invisible character U+200B (zero width space)",
    'https://example.com/"onmouseover="alert(1)': "'\"' cannot appear in a URL as is",
    "https://example.com/<script>": "'<' cannot appear in a URL as is",
    "https://example.com\\@evil.example": "'\\' cannot appear in a URL as is",
    "https://example.com/`x`": "'`' cannot appear in a URL as is",
    "https://user:pass@example.com": "URLs with a user name or password are not allowed",
    "https://example.com@evil.example": "URLs with a user name or password are not allowed",
    "https://ex\u0430mple.com": "the host name has characters other than ASCII letters",
    "https://example.com:99999/": "malformed URL",
    "https://[::1/": "malformed URL",
}


@pytest.mark.parametrize("url", GOOD_URLS)
def test_web_addresses_are_accepted(url: str):
    assert check_url(url) is None


@pytest.mark.parametrize(("url", "reason"), BAD_URLS.items(), ids=[repr(u) for u in BAD_URLS])
def test_hostile_urls_are_refused(url: str, reason: str):
    message = check_url(url)
    assert message is not None, f"{url!r} was accepted"
    assert reason in message, message


# --- The documented limits ------------------------------------------------------------------


def test_contributing_documents_the_limits_the_loader_enforces():
    """CONTRIBUTING.md's security section states the limits as the code has them."""
    from generator.load import MAX_TEXT_PER_FILE, MAX_VALUES_PER_FILE

    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    start, end = text.index("<!-- security:start -->"), text.index("<!-- security:end -->")
    section = " ".join(text[start:end].split())
    assert f"{MAX_FACT_FILE_BYTES:,} bytes" in section
    assert "MAX_FACT_FILE_BYTES" in section
    assert f"{MAX_NESTING_DEPTH} levels" in section
    assert f"{MAX_VALUES_PER_FILE:,} values" in section
    assert f"{MAX_TEXT_PER_FILE:,} characters" in section


def test_contributing_lists_every_hostile_case():
    """The security section names each class of hostile input that tests/hostile/ holds."""
    text = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    start, end = text.index("<!-- security:start -->"), text.index("<!-- security:end -->")
    section = text[start:end]
    missing = [case for case in CASES if f"`{case}`" not in section]
    assert not missing, f"CONTRIBUTING.md's security section does not name {missing}"
