"""The orchestrator: the one place that knows the order of the stages.

    load -> validate -> model -> render -> write -> mkdocs

NOTE: order matters. Nothing is rendered until every file is loaded and the whole knowledge
base has validated, and nothing is written until every page has rendered (mkdocs'
`commands/build.py` does the same: gather all data first, so every page sees consistent data).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import RecordCache
from .load import FactFile, load_facts
from .model import KnowledgeBase, build_model
from .parallel import ForkedWorkers, parallel_jobs
from .problems import Problem, ProblemCollector
from .schema import SchemaSet, default_schemas
from .validate import CheckedFacts, check_across_files, check_files


@dataclass
class Project:
    """Where a knowledge base's folders are. The generator writes only to `build_dir`/`site_dir`."""

    root: Path
    facts_dir: Path = field(init=False)
    content_dir: Path = field(init=False)
    templates_dir: Path = field(init=False)  # site overrides of the package's templates
    build_dir: Path = field(init=False)  # Markdown the generator renders; mkdocs' docs_dir
    site_dir: Path = field(init=False)  # the HTML site
    cache_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.facts_dir = self.root / "facts"
        self.content_dir = self.root / "content"
        self.templates_dir = self.root / "templates"
        self.build_dir = self.root / "build" / "docs"
        self.site_dir = self.root / "site"
        self.cache_dir = self.root / ".cache"


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above `start` that has a facts/ folder (else `start`)."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / "facts").is_dir():
            return folder
        if folder.name == "facts" and folder.is_dir():
            return folder.parent
    return start


@dataclass
class CheckOutcome:
    """What a check run produced: the problems, and the model when there were no errors."""

    collector: ProblemCollector
    record_count: int
    knowledge_base: KnowledgeBase | None
    # What the model was built from (a long-running build updates it in place after an edit).
    facts: list[FactFile] | None = None
    checked: CheckedFacts | None = None


@contextmanager
def timed(timings: dict[str, float] | None, stage: str) -> Iterator[None]:
    """Add the time the block takes to `timings[stage]` (when timings are wanted: kb bench)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block without Python's cyclic garbage collector.

    A build allocates millions of objects that live until it ends (the data, the model, the
    pages), and the collector re-examines all of them again and again as they accumulate: at
    10,000 records that was a third of the time before the pages (measured by `kb bench`).
    The build makes little cyclic garbage, so the collector runs once, at the end, instead.
    """
    with _collector_off(freeze_after=False):
        yield


@contextmanager
def one_build_process() -> Iterator[None]:
    """Around the build of a process that builds once and then ends (kb build; kb bench's
    measurement of it): the cyclic garbage collector stays off, and what the build made is
    frozen (gc.freeze) when it ends rather than examined.

    `cyclic_gc_paused` switches the collector back on after a build, and its first run then
    goes through every object the build made (1.3 million at 10,000 records, 0.7 s) to find
    next to nothing: they live until the process ends. Frozen, they are never examined, and
    mkdocs, which runs next in kb build, has the collector for its own objects. Not for kb
    serve: a long-running process needs the last build's objects collected once it is done
    with them.
    """
    with _collector_off(freeze_after=True):
        yield


@contextmanager
def _collector_off(freeze_after: bool) -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze_after:
                gc.freeze()
            gc.enable()


def check_project(
    project: Project,
    schemas: SchemaSet | None = None,
    cache: RecordCache | None = None,
    timings: dict[str, float] | None = None,
    memo: dict | None = None,
) -> CheckOutcome:
    """Load and validate every fact; build the model only if no error was found.

    `cache` (a build's cache of parsed files) saves parsing unchanged files again, `memo` (a
    long-running build's) checking them again; `timings` receives the seconds each stage took.
    """
    schemas = schemas or default_schemas()
    collector = ProblemCollector()
    with cyclic_gc_paused():
        with timed(timings, "load"):
            facts = load_facts(project.root, schemas, collector, cache)
        with timed(timings, "validate"):
            checked = check_files(facts, schemas, collector, memo)
        if not collector.failed() and parallel_jobs(len(checked.records), PARALLEL_MIN_RECORDS) > 1:
            knowledge_base = _model_alongside_checks(checked, facts, schemas, collector, timings)
        else:
            with timed(timings, "validate"):
                check_across_files(checked, facts, schemas, collector)
            with timed(timings, "model"):
                knowledge_base = None if collector.failed() else build_model(checked, schemas)
    return CheckOutcome(
        collector=collector,
        record_count=len(facts),
        knowledge_base=knowledge_base,
        facts=facts,
        checked=checked,
    )


# The checks across files run in a forked process while this one builds the model when there
# are at least this many records (and several cores): each takes about a second at 10,000.
PARALLEL_MIN_RECORDS = 2_000


def _model_alongside_checks(
    checked: CheckedFacts,
    facts: list[FactFile],
    schemas: SchemaSet,
    collector: ProblemCollector,
    timings: dict[str, float] | None,
) -> KnowledgeBase | None:
    """The checks across files in a forked worker while this process builds the model; the
    model is kept only if those checks found no error, as if they had run first.

    NOTE: the model is built from records whose references and names are not yet known to be
    sound, and may fail on them: that failure counts only if the checks found nothing.
    """

    def problems_across_files() -> list[Problem]:
        found = ProblemCollector()
        check_across_files(checked, facts, schemas, found)
        return found.problems

    with ForkedWorkers([problems_across_files]) as checks:
        with timed(timings, "model"):
            try:
                knowledge_base, model_error = build_model(checked, schemas), None
            except Exception as error:  # noqa: BLE001 - re-raised below unless explained
                knowledge_base, model_error = None, error
        # Timed as the check's own stage: the time it took beyond the model's.
        with timed(timings, "validate"):
            (problems,) = checks.results()
    collector.extend(problems)
    if collector.failed():
        return None
    if model_error is not None:
        raise model_error
    return knowledge_base
