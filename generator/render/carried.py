"""Pages carried into the build folder as they are, beside the rendered ones: everything in
content/, CONTRIBUTING.md and the schema reference (their links to each other retargeted), and
the vendored browser scripts. Reads only; a symbolic link is refused, never followed.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from ..project import BuildError, Project
from .render import relative_href

# Files from the knowledge base root that become pages, if present (other people write them).
ROOT_PAGES = {
    "CONTRIBUTING.md": "contributing/index.md",
    "schemas/reference.md": "contributing/schema-reference.md",
}
# Browser scripts the site serves itself rather than loading from a CDN (the site must work
# offline and fetch nothing from elsewhere): pinned in vendor.txt, fetched by `make vendor` into
# the .cache/ beside the generator, since they belong to the site's toolchain, not to a
# knowledge base. Page in the build folder -> fetched file.
VENDORED_ASSETS = {
    f"assets/vendor/{name}": Path(__file__).resolve().parents[2] / ".cache/vendor" / name
    for name in ("tablesort.min.js",)
}


def carried_pages(project: Project) -> dict[str, bytes]:
    """Files copied into the build folder as they are: everything in content/ (hidden files
    skipped), CONTRIBUTING.md, the schema reference and the vendored scripts."""
    pages: dict[str, bytes] = {}
    _refuse_link(project, project.content_dir)
    if project.content_dir.is_dir():
        for path in sorted(project.content_dir.rglob("*")):
            relative = path.relative_to(project.content_dir)
            if any(part.startswith(".") for part in relative.parts):
                continue
            _refuse_link(project, path)
            if path.is_file():
                pages[relative.as_posix()] = path.read_bytes()
    for source, page in ROOT_PAGES.items():
        path = project.root / source
        _refuse_link(project, path)
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise BuildError(f"{source}: not UTF-8 text ({error.reason})") from None
            pages[page] = _retarget_root_links(text, source, page)
    for page, fetched in VENDORED_ASSETS.items():
        if not fetched.is_file():
            raise BuildError(
                f"{fetched}: missing; run `make vendor` to fetch it (the site makes its "
                "index tables sortable with it; vendor.txt pins the version)"
            )
        pages[page] = fetched.read_bytes()
    return pages


# A Markdown link or image target: ](target) or ](<target>), with an optional #fragment.
_LINK_TARGET = re.compile(r"\]\(<?(?P<target>[^)\s<>#]+)(?P<fragment>#[^)\s<>]*)?>?")


def _retarget_root_links(text: str, source: str, page: str) -> bytes:
    """Links between the root pages (CONTRIBUTING.md -> schemas/reference.md) work on GitHub;
    in the site those files live elsewhere, so their links to each other are pointed there."""

    def retarget(match: re.Match) -> str:
        target = match["target"]
        if "://" in target or target.startswith("/"):
            return match[0]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        moved = ROOT_PAGES.get(resolved)
        if moved is None:
            return match[0]
        return f"]({relative_href(page, moved)}{match['fragment'] or ''}"

    return _LINK_TARGET.sub(retarget, text).encode("utf-8")


def _refuse_link(project: Project, path: Path) -> None:
    # NOTE: a link is refused, never followed: `content/env.txt -> /proc/self/environ` in a
    # pull request would otherwise publish the build machine's environment (and its secrets).
    if path.is_symlink():
        shown = path.relative_to(project.root).as_posix()
        raise BuildError(
            f"{shown}: symbolic link: pages are real files in the knowledge base "
            "(a link can point anywhere on the machine that builds the site); copy the file in"
        )
