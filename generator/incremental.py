"""Builds after a small change: what changed, which pages it can affect, and only those rendered.

A build remembers (`BuildMemory`, kept in memory by a long-running `kb serve` and on disk under
`.cache/` for the next `kb build`):

- every input file's signature (size, modification and change times, inode) and content hash:
  fact files, content/, templates/, CONTRIBUTING.md and the schema reference;
- every page it wrote, with the signature of the file it left in build/docs/;
- for every page, what it was rendered from, recorded while it rendered (its dependencies);
- the problems the check reported (warnings), to report them again.

Then the next build is one of three:

- nothing changed, inputs or pages: nothing is loaded, checked or rendered; the problems are
  reported as last time ("warm");
- only fact files changed: the facts are checked and modelled as always (every check needs
  the whole knowledge base), but only the pages that depend on a changed record are rendered;
  the others are vouched for, once their files are seen to be as this build left them;
- anything else (a template, content/, no memory, the generator's code): every page renders.

Dependencies are recorded, not predicted: the page renders against a `TrackedKnowledgeBase`,
which notes every record a page reads (`r:<id>`), every list of records referring to a record
(`b:<id>`), every list of a kind (`k:<kind>`) and the timeline (`t`). The render caches of
`render.Site` (links and footnotes built once per folder) note what building an entry read and
note it again for each page that reuses the entry. A record's page also depends on the
records it refers to and those referring to it. A change to record X then affects the pages
that read X, the pages that listed what refers to a record X refers to (now or before), the
index of X's kind, and the timeline if X has dates. tests/test_incremental.py checks, after
random edits, that this gives exactly the pages a full build gives.
"""

from __future__ import annotations

import functools
import os
import secrets
import stat
import sys
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import model
from .cache import (
    RecordCache,
    code_fingerprint,
    content_key,
    read_checked_json,
    write_checked_json,
)
from .load import (
    MAX_FACT_FILE_BYTES,
    FactFile,
    FileRefused,
    read_fact_file,
    read_regular_file,
)
from .model import CitationUse, KnowledgeBase, Record
from .parallel import ForkedWorkers, parallel_jobs
from .pipeline import Project
from .problems import Problem, ProblemCollector
from .render import (
    KIND_ORDER,
    PAGE_KINDS,
    DuplicatePageError,
    Site,
    make_environment,
    render_kind_indexes,
    render_record_pages,
    render_timeline,
)
from .schema import SchemaSet
from .validate import CheckedFacts, CheckedRecord, check_record
from .write import WriteReport

MEMORY_FORMAT = 1
# Where the inputs of pages are: these folders, and build.ROOT_PAGES (single files).
INPUT_FOLDERS = ("facts", "content", "templates")
# Page kinds (render.PAGE_KINDS) that can render a part of their pages; every other kind
# renders all of its pages in every build.
SELECTIVE_KINDS = ("records", "indexes", "timeline")

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def _signature(status: os.stat_result) -> Signature:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def scan_inputs(project: Project) -> dict[str, Signature]:
    """The signature of every file a page can be rendered from, by path from the root.

    Hidden files and folders are left out, as the loader and the build leave them out (an
    editor's swap file is no reason to rebuild). Symbolic links are listed by their own
    signature (the build refuses them anyway).
    """
    from .build import ROOT_PAGES  # here: build.py imports this module

    found: dict[str, Signature] = {}

    def walk(folder: Path, prefix: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}/{entry.name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk(Path(entry.path), rel)
                else:
                    found[rel] = _signature(entry.stat(follow_symlinks=False))
            except OSError:
                found[rel] = (-1, -1, -1, -1)

    for name in INPUT_FOLDERS:
        walk(project.root / name, name)
    for name in ROOT_PAGES:
        try:
            found[name] = _signature(os.lstat(project.root / name))
        except OSError:
            pass
    return found


def scan_outputs(build_dir: Path) -> dict[str, tuple[int, int, int]] | None:
    """(size, mtime_ns, inode) of every file in the build folder; None if it cannot be read."""
    found: dict[str, tuple[int, int, int]] = {}

    def walk(folder: str, prefix: str) -> None:
        for entry in os.scandir(folder):
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, rel + "/")
            else:
                status = entry.stat(follow_symlinks=False)
                found[rel] = (status.st_size, status.st_mtime_ns, status.st_ino)

    try:
        walk(str(build_dir), "")
    except OSError:
        return None
    return found


# Keys of inputs that were not read (see input_key) start with this; content keys are hex.
_NOT_READ = "not read: "


def input_key(root: Path, rel: str) -> str:
    """The content key of an input (cache.content_key of its bytes), read as the loader reads
    fact files (load.read_regular_file): never through a link, never waiting on a pipe, and a
    fact file never beyond the size limit. An input that is not read has a key that says why
    (and changes when its size or kind does), so a build still sees it change."""
    limit = MAX_FACT_FILE_BYTES if rel.startswith("facts/") else sys.maxsize
    try:
        return content_key(read_regular_file(root / rel, limit))
    except FileRefused as refused:
        return f"{_NOT_READ}{refused.code} {refused.message}"
    except OSError as error:
        return f"{_NOT_READ}{error.strerror}"


def fact_id(rel: str) -> tuple[str, str] | None:
    """('products', 'mi-tv') for 'facts/products/mi-tv.yaml'; None for anything else."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[0] == "facts" and parts[2].endswith(".yaml"):
        return parts[1], parts[2][: -len(".yaml")]
    return None


def _memory_shape_ok(loaded: Any) -> bool:
    """Whether a build memory read from disk has the shape `BuildMemory.save` writes: anything
    else (damaged, or made by something else) is ignored, and the next build starts afresh."""
    if not isinstance(loaded, dict) or loaded.get("format") != MEMORY_FORMAT:
        return False
    inputs, pages, problems = loaded.get("inputs"), loaded.get("pages"), loaded.get("problems")
    if not (isinstance(inputs, dict) and isinstance(pages, dict) and isinstance(problems, list)):
        return False
    if not isinstance(loaded.get("record_count"), int) or not isinstance(
        loaded.get("generation"), str
    ):
        return False
    for value in inputs.values():
        if not (
            isinstance(value, list)
            and len(value) == 5
            and all(isinstance(part, int) for part in value[:4])
            and isinstance(value[4], str)
        ):
            return False
    for value in pages.values():
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
            return False
        output = value[1]
        if output is not None and not (
            isinstance(output, list)
            and len(output) == 3
            and all(isinstance(part, int) for part in output)
        ):
            return False
    return all(_problem_shape_ok(problem) for problem in problems)


_PROBLEM_FIELDS = {
    "path": (str,),
    "line": (int, type(None)),
    "column": (int, type(None)),
    "field": (str,),
    "message": (str,),
    "code": (str,),
    "severity": (str,),
    "source_line": (str, type(None)),
}


def _problem_shape_ok(problem: Any) -> bool:
    return (
        isinstance(problem, dict)
        and problem.keys() == _PROBLEM_FIELDS.keys()
        and all(isinstance(problem[name], kinds) for name, kinds in _PROBLEM_FIELDS.items())
        and problem["severity"] in ("error", "warning")
    )


# -- recording what a page reads ------------------------------------------------------------


class DependencyLog:
    """What the page being rendered has read so far, in order (entries repeat).

    Record pages are logged record by record: reaching a record logs `r:<id>`, a dependency
    on all of it. Pages that list every record of a kind, or every date (`fields` true: the
    indexes and the timeline), are logged field by field instead: reaching a record logs only
    that it is listed (`m:<id>`), and every field read through `Record.get` or `Record.text`
    logs `f:<id>:<field>`. An edit that leaves what lists a record unchanged (its id, label,
    dates and references) then renders such a page again only if it changed a field the page
    read (see `BuildMemory.affected_pages`).
    """

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.fields = False

    def add(self, entry: str) -> None:
        self.entries.append(entry)

    def records(self, records: Iterable[Record]) -> None:
        prefix = "m:" if self.fields else "r:"
        self.entries.extend(prefix + record.id for record in records)

    def record(self, record_id: str) -> None:
        self.entries.append(("m:" if self.fields else "r:") + record_id)

    def field_read(self, record_id: str, name: object) -> None:
        self.entries.append(f"f:{record_id}:{name}")

    def take(self) -> set[str]:
        taken = set(self.entries)
        self.entries.clear()
        return taken


class _LoggedMapping(Mapping):
    """A read-only view of one of the model's mappings that logs each key looked up."""

    def __init__(self, mapping: Mapping, log: DependencyLog, note):
        self._mapping = mapping
        self._log = log
        self._note = note  # (log, key, value) -> None

    def __getitem__(self, key):
        value = self._mapping[key]
        self._note(self._log, key, value)
        return value

    def get(self, key, default=None):
        value = self._mapping.get(key, default)
        self._note(self._log, key, value)
        return value

    def __iter__(self) -> Iterator:
        self._log.add("*")  # a page that walks a whole mapping depends on everything
        return iter(self._mapping)

    def __len__(self) -> int:
        self._log.add("*")
        return len(self._mapping)


def _note_record(log: DependencyLog, key: str, value: Any) -> None:
    log.record(key)


def _note_kind(log: DependencyLog, key: str, value: Any) -> None:
    log.add(f"k:{key}")


def _note_citations(log: DependencyLog, key: str, value: list[CitationUse] | None) -> None:
    log.add(f"b:{key}")
    log.records(use.record for use in value or ())
    if log.fields:  # a use carries the citation itself, a part of the citing record's field
        log.entries.extend(f"f:{use.record.id}:{use.path[0]}" for use in value or ())


class TrackedKnowledgeBase(KnowledgeBase):
    """The model as a page sees it while its dependencies are recorded: the same records, and
    every way of reaching a record logs it."""

    def __init__(self, kb: KnowledgeBase, log: DependencyLog):  # not the dataclass __init__
        self._kb = kb
        self._log = log

    @property
    def schemas(self):
        return self._kb.schemas

    @property
    def records(self) -> Mapping[str, Record]:
        return _LoggedMapping(self._kb.records, self._log, _note_record)

    @property
    def by_kind(self) -> Mapping[str, list[Record]]:
        return _LoggedMapping(self._kb.by_kind, self._log, _note_kind)

    @property
    def citations_of_source(self) -> Mapping[str, list[CitationUse]]:
        return _LoggedMapping(self._kb.citations_of_source, self._log, _note_citations)

    @property
    def timeline(self):
        self._log.add("t")
        self._log.records(entry.record for entry in self._kb.timeline)
        if self._log.fields:  # an entry carries what it dates, read from the record's field
            self._log.entries.extend(
                f"f:{entry.record.id}:{entry.path[0]}" for entry in self._kb.timeline
            )
        return self._kb.timeline

    def get(self, record_id: str) -> Record | None:
        self._log.record(record_id)
        return self._kb.get(record_id)

    def __getitem__(self, record_id: str) -> Record:
        self._log.record(record_id)
        return self._kb[record_id]

    def referring(self, record: Record, kind: str, field_name: str | None = None) -> list[Record]:
        found = self._kb.referring(record, kind, field_name)
        self._log.add(f"b:{record.id}")
        self._log.records(found)
        return found


class _ReplayingCache(dict):
    """A render cache (`Site.link_cache`, `Site.note_cache`) that remembers what building each
    entry read, and logs it again for every page that reuses the entry."""

    def __init__(self, log: DependencyLog):
        super().__init__()
        self._log = log
        self._reads: dict[Any, list[str]] = {}
        self._started: dict[Any, int] = {}

    def get(self, key, default=None):
        if key in self:
            self._log.entries.extend(self._reads[key])
            return dict.__getitem__(self, key)
        self._started[key] = len(self._log.entries)  # the entry is built next, on this page
        return default

    def __getitem__(self, key):
        self._log.entries.extend(self._reads[key])
        return dict.__getitem__(self, key)

    def __setitem__(self, key, value) -> None:
        start = self._started.pop(key, len(self._log.entries))
        self._reads[key] = self._log.entries[start:]
        dict.__setitem__(self, key, value)


def record_page_dependencies(record: Record) -> set[str]:
    """What a record's page shows without looking it up: the record, what it refers to, and
    what refers to it."""
    deps = {f"r:{record.id}", f"b:{record.id}"}
    deps.update(f"r:{reference.target}" for reference in record.references)
    deps.update(f"r:{backlink.record.id}" for backlink in record.backlinks)
    return deps


@dataclass
class RenderedPage:
    path: str
    text: str
    kind: str  # the page kind that rendered it (render.PAGE_KINDS)
    deps: Collection[str]  # a set; a sorted list when a forked worker rendered the page


def _tracked_site(
    kb: KnowledgeBase,
    override_dir: Path | None,
    carried: frozenset[str],
    env: jinja2.Environment | None = None,
) -> tuple[Site, DependencyLog]:
    log = DependencyLog()
    site = Site(
        kb=TrackedKnowledgeBase(kb, log),
        env=env or make_environment(override_dir),
        carried=carried,
        link_cache=_ReplayingCache(log),
        note_cache=_ReplayingCache(log),
    )
    return site, log


def _record_pages(site: Site, log: DependencyLog, records: list[Record]) -> list[RenderedPage]:
    rendered = []
    log.take()
    for record, (path, text) in zip(records, render_record_pages(site, records), strict=True):
        deps = log.take() | record_page_dependencies(record)
        rendered.append(RenderedPage(path, text, "records", deps))
    return rendered


# Record pages are rendered by several processes when there are at least this many (and the
# machine has several cores): below it, starting the processes costs more than it saves.
PARALLEL_MIN_PAGES = 2_000


# Between the dependencies of a page a worker sends back: none holds it (they are built from
# ids, which are slugs, kinds and field names).
DEPS_SEPARATOR = "\n"


# The main process's share of the record pages, relative to a worker's, when rendering is
# shared: it also renders the indexes and the timeline while the workers finish (those take
# about a tenth of the time of all record pages), and unpickles what the workers send back.
MAIN_SHARE = 0.85


def _shares(records: list[Record], jobs: int) -> list[list[Record]]:
    """`records` split among `jobs` processes, the first (this one) taking MAIN_SHARE of a
    worker's part; each kind is spread evenly, as records come grouped by kind."""
    weights = [MAIN_SHARE] + [1.0] * (jobs - 1)
    shares: list[list[Record]] = [[] for _ in range(jobs)]
    for record in records:
        index = min(range(jobs), key=lambda i: (len(shares[i]) + 1) / weights[i])
        shares[index].append(record)
    return shares


class _RecordPages:
    """Record pages being rendered: this process's share at once, the workers' (if any) in
    forked processes, collected by `finish`. In between, this process renders other pages."""

    def __init__(
        self,
        kb: KnowledgeBase,
        override_dir: Path | None,
        carried: frozenset[str],
        site: Site,
        log: DependencyLog,
        records: list[Record],
    ):
        self.records = records
        self.workers: ForkedWorkers | None = None
        jobs = parallel_jobs(len(records), PARALLEL_MIN_PAGES)
        if jobs <= 1:
            self.pages = _record_pages(site, log, records)
            return

        def render_share(share: list[Record]) -> list[tuple[str, str, str]]:
            """In a forked worker: the share's pages, with what each read, sorted, in one
            string (one string pickles in a fraction of the time of twenty)."""
            worker_site, worker_log = _tracked_site(kb, override_dir, carried)
            return [
                (page.path, page.text, DEPS_SEPARATOR.join(sorted(page.deps)))
                for page in _record_pages(worker_site, worker_log, share)
            ]

        shares = _shares(records, jobs)
        self.workers = ForkedWorkers(
            [functools.partial(render_share, share) for share in shares[1:]]
        )
        try:
            self.pages = _record_pages(site, log, shares[0])
        except BaseException:
            self.close()
            raise

    def finish(self) -> list[RenderedPage]:
        """Every record page, in the order of `records`."""
        if self.workers is None:
            return self.pages
        pages = self.pages
        for share in self.workers.results():
            pages += [
                RenderedPage(path, text, "records", deps.split(DEPS_SEPARATOR) if deps else [])
                for path, text, deps in share
            ]
        by_path = {page.path: page for page in pages}
        return [by_path[record.page] for record in self.records]

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()


def render_tracked(
    kb: KnowledgeBase,
    override_dir: Path | None,
    carried: Iterable[str],
    only: dict[str, Any] | None = None,
    env: jinja2.Environment | None = None,
) -> list[RenderedPage]:
    """Render pages recording what each read: every page, or, with `only`, the record pages
    of only["records"], the indexes of only["indexes"], the timeline if only["timeline"]
    (and every page of the other page kinds, which are few and cheap)."""
    carried = frozenset(carried)
    site, log = _tracked_site(kb, override_dir, carried, env)
    by_kind: dict[str, list[RenderedPage]] = {}
    record_pages: _RecordPages | None = None
    try:
        for kind_name, page_kind in PAGE_KINDS:
            if kind_name == "records":
                records = (
                    [record for kind in KIND_ORDER for record in kb.by_kind.get(kind, [])]
                    if only is None
                    else only["records"]
                )
                # NOTE: workers may still be rendering record pages while the other page
                # kinds render here; they are collected after the loop.
                record_pages = _RecordPages(kb, override_dir, carried, site, log, records)
                continue
            if kind_name == "indexes" and only is not None:
                generated = render_kind_indexes(site, only["indexes"])
            elif kind_name == "timeline" and only is not None:
                generated = render_timeline(site) if only["timeline"] else iter(())
            else:
                generated = page_kind(site)
            log.take()
            # The indexes and the timeline list every record: their reads are logged field by
            # field (see DependencyLog), so that an edit renders them only if they show it.
            log.fields = kind_name in ("indexes", "timeline")
            model.FIELD_READS = log.field_read if log.fields else None
            try:
                by_kind[kind_name] = [
                    RenderedPage(path, text, kind_name, log.take()) for path, text in generated
                ]
            finally:
                log.fields = False
                model.FIELD_READS = None
        if record_pages is not None:
            by_kind["records"] = record_pages.finish()
    finally:
        if record_pages is not None:
            record_pages.close()
    rendered: list[RenderedPage] = []
    seen: set[str] = set()
    for kind_name, _ in PAGE_KINDS:
        for page in by_kind.get(kind_name, ()):
            if page.path in seen or page.path in carried:
                where = "content/" if page.path in carried else "another page kind"
                raise DuplicatePageError(
                    f"page kind '{kind_name}' renders {page.path}, which {where} already supplies"
                )
            seen.add(page.path)
            rendered.append(page)
    return rendered


class BuildPages(Mapping):
    """Every page of a build, by path: the ones it rendered, and the ones it kept as they were
    in build/docs/ (read from there when asked for)."""

    def __init__(self, fresh: Mapping[str, str | bytes], kept: Iterable[str], build_dir: Path):
        self.fresh = fresh
        self.kept = set(kept) - set(fresh)
        self.build_dir = build_dir

    def __getitem__(self, path: str) -> str | bytes:
        if path in self.fresh:
            return self.fresh[path]
        if path in self.kept:
            return (self.build_dir / path).read_bytes()
        raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.fresh.keys() | self.kept))

    def __len__(self) -> int:
        return len(self.fresh) + len(self.kept)


# -- what a build remembers -----------------------------------------------------------------


@dataclass
class PageMemory:
    kind: str  # the page kind that rendered it
    deps: list[str] | None  # None until read from disk: a build with no change needs none
    output: tuple[int, int, int] | None = None  # size, mtime_ns, inode of the file written


@dataclass
class WarmResult:
    """A build that found nothing changed: what the last one reported, and its pages."""

    problems: list[Problem]
    record_count: int
    page_paths: list[str]


@dataclass
class BuildMemory:
    """What the last build of one knowledge base read and wrote (see the module docstring)."""

    project: Project
    inputs: dict[str, list] = field(default_factory=dict)  # rel -> [*signature, content key]
    pages: dict[str, PageMemory] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    record_count: int = 0
    known: bool = False  # whether a previous build's memory was found
    generation: str = ""  # names one saved memory: its two files carry the same
    records: RecordCache | None = None
    # Pass-1 results of the validator by (file, content hash): kept in this process only.
    checked: dict = field(default_factory=dict)
    # Filled by `changes()`:
    scanned: dict[str, list] = field(default_factory=dict)
    changed_inputs: set[str] = field(default_factory=set)
    outputs: dict[str, tuple[int, int, int]] | None = None
    # Why the last render was not selective, and how many pages it rendered (reports, tests).
    full_render_reason: str | None = None
    rendered_count: int = 0
    # Kept in this process only (kb serve), from the last build that rendered: the model and
    # what it was built from, to update in place after an edit (build.build_after_edit), the
    # template environment, and which pages read what (`readers`, built when first needed).
    live: Any = None
    env: jinja2.Environment | None = None
    readers: dict[str, set[str]] | None = None
    applied_in_place: bool = False  # whether the last build was an edit applied in place

    @property
    def path(self) -> Path:
        return self.project.cache_dir / f"build-{code_fingerprint()}.json"

    @property
    def deps_path(self) -> Path:
        """The pages' dependencies, in a file of their own: most of the memory by size, and
        not needed when nothing changed."""
        return self.project.cache_dir / f"deps-{code_fingerprint()}.json"

    # Opening and saving -------------------------------------------------------------------

    @classmethod
    def open(cls, project: Project) -> BuildMemory:
        """The memory of the last build: this process's (kb serve), else the one on disk."""
        memory = _OPEN.get(project.root)
        if memory is not None:
            return memory
        memory = cls(project=project, records=RecordCache(project.cache_dir))
        loaded = read_checked_json(memory.path)
        if _memory_shape_ok(loaded):
            try:
                memory.inputs = {rel: list(value) for rel, value in loaded["inputs"].items()}
                memory.pages = {
                    path: PageMemory(kind=kind, deps=None, output=tuple(output) if output else None)
                    for path, (kind, output) in loaded["pages"].items()
                }
                memory.problems = list(loaded["problems"])
                memory.record_count = int(loaded["record_count"])
                memory.generation = str(loaded["generation"])
                memory.known = True
            except (KeyError, TypeError, ValueError, AttributeError):
                memory.inputs, memory.pages, memory.problems = {}, {}, []
        _OPEN[project.root] = memory
        return memory

    def load_dependencies(self) -> bool:
        """Read the pages' dependencies if they are not in memory; False if they are missing
        or belong to another build (then every page must render)."""
        if all(page.deps is not None for page in self.pages.values()):
            return True
        loaded = read_checked_json(self.deps_path)
        if not isinstance(loaded, dict) or loaded.get("generation") != self.generation:
            return False
        deps = loaded.get("deps")
        if not isinstance(deps, dict) or any(path not in deps for path in self.pages):
            return False
        listed = [deps[path] for path in self.pages]
        if not all(
            isinstance(dep, list) and all(isinstance(d, str) for d in dep) for dep in listed
        ):
            return False  # of another shape: never used, every page renders
        for page, dep in zip(self.pages.values(), listed, strict=True):
            page.deps = list(dep)
        return True

    def save(self) -> None:
        # NOTE: dependencies first: a build file is never saved without its dependencies.
        self.generation = secrets.token_hex(8)
        saved = write_checked_json(
            self.deps_path,
            {
                "generation": self.generation,
                # Sorted already: as rendered (_remember_rendered) or as saved before.
                "deps": {path: page.deps or [] for path, page in self.pages.items()},
            },
        )
        if saved:
            write_checked_json(
                self.path,
                {
                    "format": MEMORY_FORMAT,
                    "generation": self.generation,
                    "inputs": self.inputs,
                    "pages": {
                        path: [page.kind, list(page.output) if page.output else None]
                        for path, page in sorted(self.pages.items())
                    },
                    "problems": self.problems,
                    "record_count": self.record_count,
                },
            )
        for pattern in ("build-*.json", "deps-*.json"):
            for stale in self.project.cache_dir.glob(pattern):
                if stale not in (self.path, self.deps_path):
                    stale.unlink(missing_ok=True)

    # What changed ---------------------------------------------------------------------------

    def changes(self) -> set[str]:
        """Scan the inputs: which files changed (by content) since the last build.

        NOTE: called before anything is read, so that a file saved while the build runs is
        seen as changed by the next one (it may have been read before or after the save).
        """
        current = scan_inputs(self.project)
        scanned: dict[str, list] = {}
        for rel, signature in current.items():
            old = self.inputs.get(rel)
            if old is not None and tuple(old[:4]) == signature:
                scanned[rel] = [*signature, old[4]]
                continue
            if not self.known:  # nothing to compare with: hashing would be wasted
                scanned[rel] = [*signature, "unknown"]
                continue
            scanned[rel] = [*signature, input_key(self.project.root, rel)]
        self.scanned = scanned
        old_keys = {rel: value[4] for rel, value in self.inputs.items()}
        new_keys = {rel: value[4] for rel, value in scanned.items()}
        self.changed_inputs = {
            rel
            for rel in old_keys.keys() | new_keys.keys()
            if old_keys.get(rel) != new_keys.get(rel)
        }
        self.outputs = scan_outputs(self.project.build_dir)
        return self.changed_inputs

    def pages_intact(self, paths: Iterable[str]) -> set[str]:
        """Of `paths`, those whose file in build/docs/ is as the last build left it."""
        outputs = self.outputs or {}
        return {
            path
            for path in paths
            if (page := self.pages.get(path)) is not None
            and page.output is not None
            and outputs.get(path) == page.output
        }

    def warm_result(self) -> WarmResult | None:
        """If nothing changed since the last build, inputs or pages: what it reported.

        Scans the inputs and pages (`changes`) whatever the answer."""
        changed = self.changes()
        if not self.known or changed or self.outputs is None:
            return None
        if set(self.outputs) != set(self.pages) or self.pages_intact(self.pages) != set(self.pages):
            return None
        return WarmResult(
            problems=[Problem(**problem) for problem in self.problems],
            record_count=self.record_count,
            page_paths=sorted(self.pages),
        )

    # Rendering ----------------------------------------------------------------------------

    def _readers(self) -> dict[str, set[str]]:
        """Which pages read each dependency; `x:<id>` gathers the pages that read any field
        of a record."""
        if self.readers is None:
            readers: dict[str, set[str]] = defaultdict(set)
            for path, page in self.pages.items():
                _add_reader(readers, path, page.deps)
            self.readers = readers
        return self.readers

    def affected_pages(
        self, kb: KnowledgeBase, edited_fields: dict[str, set[str]] | None = None
    ) -> set[str] | None:
        """The remembered pages a change can affect; None when every page must render.

        `edited_fields` (from build.build_after_edit) says that only these records changed,
        each only in these top-level fields, and that what lists them did not (their ids,
        labels, dates and references are as they were): then a page that read them field by
        field is affected only if it read one of those fields.
        """
        if not self.known:
            self.full_render_reason = "no earlier build remembered"
            return None
        if not self.load_dependencies():
            self.full_render_reason = "what the pages were rendered from is not remembered"
            return None
        outside_facts = sorted(rel for rel in self.changed_inputs if not rel.startswith("facts/"))
        if outside_facts:
            self.full_render_reason = f"{outside_facts[0]} changed"
            return None
        self.full_render_reason = None
        readers = self._readers()
        affected: set[str] = set(readers.get("*", ()))
        if edited_fields is not None:
            for record_id, names in edited_fields.items():
                affected |= readers.get(f"r:{record_id}", set())
                for name in names:
                    affected |= readers.get(f"f:{record_id}:{name}", set())
            return affected
        # Other files in facts/ (a README, a stray) are no record: the check reports them.
        for folder, record_id in filter(None, map(fact_id, self.changed_inputs)):
            affected |= readers.get(f"r:{record_id}", set())
            affected |= readers.get(f"m:{record_id}", set())
            affected |= readers.get(f"x:{record_id}", set())
            schema = kb.schemas.by_plural.get(folder)
            if schema is not None:
                affected |= readers.get(f"k:{schema.kind}", set())
            record = kb.get(record_id)
            if record is None:
                continue
            for reference in record.references:
                affected |= readers.get(f"b:{reference.target}", set())
            if record.dates and record.kind != "source":
                affected |= readers.get("t", set())
        return affected

    def render(
        self,
        kb: KnowledgeBase,
        override_dir: Path | None,
        carried: Mapping[str, Any],
        edited_fields: dict[str, set[str]] | None = None,
    ) -> tuple[dict[str, str], set[str]]:
        """The pages this build must render, rendered; and the remembered pages it keeps."""
        affected = self.affected_pages(kb, edited_fields)
        # The environment (its compiled templates) is reused unless a template may have changed.
        if self.env is None or any(not rel.startswith("facts/") for rel in self.changed_inputs):
            self.env = make_environment(override_dir)
        if affected is None:
            rendered = render_tracked(kb, override_dir, carried, env=self.env)
            self._remember_rendered(rendered, keep=set())
            return {page.path: page.text for page in rendered}, set()
        all_records = [record for kind in KIND_ORDER for record in kb.by_kind.get(kind, [])]
        # A remembered page whose file someone changed or deleted is rendered again too.
        intact = self.pages_intact(self.pages)
        stale = set(self.pages) - intact
        redo = affected | stale

        def needed(path: str, kind: str) -> bool:
            page = self.pages.get(path)
            return path in redo or page is None or page.kind != kind

        index_paths = {kind: f"{kb.schemas.kinds[kind].plural}/index.md" for kind in KIND_ORDER}
        only = {
            "records": [record for record in all_records if needed(record.page, "records")],
            "indexes": [kind for kind in KIND_ORDER if needed(index_paths[kind], "indexes")],
            "timeline": needed("timeline.md", "timeline"),
        }
        rendered = render_tracked(kb, override_dir, carried, only=only, env=self.env)
        produced = {page.path for page in rendered}
        # Kept: what this build would render the same, and finds on disk as it was left.
        expected = {record.page for record in all_records} | set(index_paths.values())
        expected.add("timeline.md")
        keep = {
            path
            for path, page in self.pages.items()
            if path in intact
            and path not in produced
            and page.kind in SELECTIVE_KINDS
            and path in expected
        }
        self._remember_rendered(rendered, keep)
        return {page.path: page.text for page in rendered}, keep

    def _remember_rendered(self, rendered: list[RenderedPage], keep: set[str]) -> None:
        self.rendered_count = len(rendered)
        pages = {path: self.pages[path] for path in keep}
        for page in rendered:
            pages[page.path] = PageMemory(kind=page.kind, deps=sorted(page.deps))
        readers = self.readers
        if readers is not None and len(rendered) * 4 < len(pages):
            # A few pages rendered again: update who reads what, rather than start over.
            for path, page in self.pages.items():
                if path not in keep:
                    _add_reader(readers, path, page.deps or (), remove=True)
            for page in rendered:
                _add_reader(readers, page.path, pages[page.path].deps)
        else:
            self.readers = None
        self.pages = pages

    def remember(
        self,
        report: WriteReport,
        problems: list[Problem],
        record_count: int,
        outputs: dict[str, tuple[int, int, int]] | None = None,
    ) -> None:
        """After the pages are written: their files' signatures, the inputs, the problems.

        `outputs` (after an edit applied in place) are the build folder's files as known
        without listing it: only the files just written were looked at again."""
        if outputs is None:
            outputs = scan_outputs(self.project.build_dir) or {}
        for path in list(self.pages):
            if path in outputs:
                self.pages[path].output = outputs[path]
        # Carried pages (content/) have no dependencies but are files of the build too.
        for path in set(outputs) - set(self.pages):
            if path in report.written or path in report.unchanged:
                self.pages[path] = PageMemory(kind="carried", deps=[], output=outputs[path])
        self.inputs = self.scanned
        self.problems = [problem.__dict__ for problem in problems]
        self.record_count = record_count
        self.known = True
        self.save()


def _add_reader(
    readers: dict[str, set[str]], path: str, deps: Iterable[str], remove: bool = False
) -> None:
    for dep in deps:
        keys = (dep, "x:" + dep[2:].rpartition(":")[0]) if dep.startswith("f:") else (dep,)
        for key in keys:
            if remove:
                readers.get(key, set()).discard(path)
            else:
                readers[key].add(path)


_OPEN: dict[Path, BuildMemory] = {}


# -- an edit applied in place (kb serve) ------------------------------------------------------


@dataclass
class LiveState:
    """The last good build of a long-running process: the model and what it was built from."""

    facts: list[FactFile]
    checked: CheckedFacts
    kb: KnowledgeBase
    problems: list[Problem]


@dataclass
class AppliedEdits:
    """Fact files edited in place: the updated check and model, and what changed."""

    problems: list[Problem]
    record_count: int
    kb: KnowledgeBase
    scanned: dict[str, list]  # the inputs' signatures and content keys, as `changes` gives
    changed_inputs: set[str]
    edited_fields: dict[str, set[str]]  # record id -> top-level fields whose value changed


def _lists_alike(old: CheckedRecord, new: CheckedRecord, record: Record) -> bool:
    """Whether an edit leaves everything other records and lists see of a record as it was:
    its id, its names, label and dates, its references (and so every backlink, every list's
    order, and every check of pass 2 that involves another record)."""
    old_data, new_data = old.fact.data, new.fact.data
    label_field = new.schema.label_field
    return (
        old.id == new.id
        and old.kind == new.kind
        and old.references == new.references
        and old.dates == new.dates
        and all(
            old_data.get(name) == new_data.get(name)
            for name in ("name", "aliases", label_field or "name")
        )
        and len(old_data.get("status_history") or ()) == len(new_data.get("status_history") or ())
        and model._label(new.schema, new_data) == record.label
    )


def apply_edits(
    memory: BuildMemory, changed: Iterable[Path], schemas: SchemaSet
) -> AppliedEdits | None:
    """Bring the last build's model up to date with edited fact files, touching nothing else.

    `changed` are the files a watcher saw change (kb serve knows them: no scan is needed).
    None, and nothing updated, unless every one of them is a known fact file, still valid on
    its own, whose edit leaves what other records and lists see of it as it was, and whose
    file had no problem from the checks across records; then a build of everything follows.
    """
    live: LiveState | None = memory.live
    if live is None or not memory.known:
        return None
    root = memory.project.root
    scanned: dict[str, list] = {}
    edited: list[str] = []
    for path in changed:
        try:
            rel = Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            return None
        if any(part.startswith(".") for part in rel.split("/")):
            continue  # hidden: never an input (an editor's swap file)
        old = memory.inputs.get(rel)
        if old is None:
            if not os.path.lexists(path):
                continue  # a file that came and went (an editor's temporary file)
            return None
        if fact_id(rel) is None:
            return None
        try:
            status = os.lstat(root / rel)
            if not stat.S_ISREG(status.st_mode):
                return None
            signature = _signature(status)
            if tuple(old[:4]) == signature:
                continue
            key = input_key(root, rel)
        except OSError:
            return None
        if key.startswith(_NOT_READ):
            return None  # a link, a pipe, a file too large: the full check reports it
        scanned[rel] = [*signature, key]
        if key != old[4]:
            edited.append(rel)
    by_rel = {fact.rel: index for index, fact in enumerate(live.facts)}
    checked_by_rel = {record.fact.rel: index for index, record in enumerate(live.checked.records)}
    updates = []
    for rel in sorted(edited):
        if rel not in by_rel or rel not in checked_by_rel:
            return None
        old_fact = live.facts[by_rel[rel]]
        old_checked = live.checked.records[checked_by_rel[rel]]
        remembered = memory.checked.get((rel, old_fact.digest))
        if remembered is None:
            return None
        if sum(1 for problem in live.problems if problem.path == rel) != len(remembered[1]):
            return None  # the file had a problem from pass 2, which only a full check redoes
        fact = FactFile(path=old_fact.path, rel=rel, folder=old_fact.folder, id=old_fact.id)
        collector = ProblemCollector()
        read_fact_file(fact, collector, memory.records)
        new_checked = check_record(fact, schemas, collector) if fact.data is not None else None
        record = live.kb.records.get(fact.id)
        if (
            new_checked is None
            or collector.failed()
            or record is None
            or record.fact_path != rel
            or not _lists_alike(old_checked, new_checked, record)
        ):
            return None
        updates.append((rel, old_fact, fact, new_checked, record, collector.problems))
    # Every edit qualifies: only now is anything changed.
    edited_fields: dict[str, set[str]] = {}
    for rel, old_fact, fact, new_checked, record, problems in updates:
        old_data = record.data
        model.update_record(live.kb, record, new_checked)
        edited_fields[record.id] = {
            name
            for name in old_data.keys() | fact.data.keys()
            if old_data.get(name) != fact.data.get(name)
        }
        live.facts[by_rel[rel]] = fact
        live.checked.records[checked_by_rel[rel]] = new_checked
        del memory.checked[(rel, old_fact.digest)]
        memory.checked[(rel, fact.digest)] = (new_checked, problems)
        live.problems = [problem for problem in live.problems if problem.path != rel] + problems
    return AppliedEdits(
        problems=list(live.problems),
        record_count=len(live.facts),
        kb=live.kb,
        scanned={**memory.inputs, **scanned},
        changed_inputs=set(edited),
        edited_fields=edited_fields,
    )
