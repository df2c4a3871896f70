"""Where a knowledge base's folders are, and the error of a build that cannot go on.

Every stage takes a `Project`; nothing here knows the order of the stages (pipeline.py does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class BuildError(Exception):
    """A build that cannot go on; the message says why, for the person running it."""


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
