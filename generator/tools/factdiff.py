"""What a change does to the facts (`kb diff`): records and fields, not lines of YAML.

Two versions of the knowledge base are compared: git revisions, read with `git ls-tree` and
`git cat-file` (never by checking anything out), or the working tree as it is on disk. Only
files whose content differs are read, with the same loader as `kb check` (load.py), so a file
that does not parse is reported, never a crash.

Records are matched by id (the file name). A record whose file disappeared while another
appeared with the same content, or content at least half the same (as `git diff
--find-renames` judges a move), was renamed. For each record the diff lists:

- fields set, removed and changed, old -> new, at paths as `kb check` shows them
  (`status_history[1].status`);
- citations added and removed, wherever they are (a citation is matched by its whole content,
  so a corrected excerpt shows as one citation removed and one added);
- list items added and removed (status steps of a relationship among them), matched by their
  required fields, so a step whose date changed is a changed field, not a new step.

`format_text` writes it for a terminal, `format_markdown` for a pull request's job summary;
every string from a fact goes through `printable` or the escape module on the way out.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..load import FACT_SUFFIX, FactFile, FileRefused, read_fact_file, read_regular_file
from ..problems import ProblemCollector, plural, printable
from ..render.escape import md_cell, md_text
from ..schema import FieldSpec, KindSchema, SchemaSet

WORKING_TREE = None  # as a revision: the files on disk
RENAME_SIMILARITY = 0.5  # git's default for --find-renames
STATUS_HISTORY = "status_history"
CITATIONS = "citations"


class DiffError(Exception):
    """git could not answer (not a repository, unknown revision); the message says which."""


# Reading two versions.


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=root, input=input, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise DiffError("git is not installed (kb diff reads revisions with git)") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return completed.stdout


def resolve_revision(root: Path, revision: str) -> str:
    """The commit a revision names, or DiffError saying git does not know it."""
    if revision.startswith("-"):
        raise DiffError(f"'{revision}' is not a revision")
    try:
        return (
            _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
            .decode()
            .strip()
        )
    except DiffError:
        raise DiffError(f"'{revision}' is not a revision git knows here") from None


def default_base(root: Path) -> tuple[str, str]:
    """(label, commit): where this branch left `main` (or `origin/main`)."""
    for branch in ("main", "origin/main"):
        try:
            resolve_revision(root, branch)
        except DiffError:
            continue
        base = _git(root, "merge-base", branch, "HEAD").decode().strip()
        return f"{branch} (merge base {base[:7]})", base
    raise DiffError("no branch 'main' or 'origin/main' to compare with: name a BASE revision")


@dataclass
class _Side:
    """One version's fact files: path (relative to the knowledge base root) -> blob id."""

    label: str
    revision: str | None  # a commit, or None for the working tree
    blobs: dict[str, str]


def _is_fact_path(rel: str, folders: set[str]) -> bool:
    parts = rel.split("/")
    return (
        len(parts) == 3
        and parts[0] == "facts"
        and parts[1] in folders
        and parts[2].endswith(FACT_SUFFIX)
        and not parts[2].startswith(".")
    )


def _repository_prefix(root: Path) -> str:
    """Where the knowledge base root sits in its repository ('' at the top)."""
    return _git(root, "rev-parse", "--show-prefix").decode().strip()


def _revision_side(root: Path, label: str, commit: str, folders: set[str]) -> _Side:
    prefix = _repository_prefix(root)
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}facts")
    blobs = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        rel = path[len(prefix) :]
        # Symbolic links (mode 120000) are not fact files; kb check reports them.
        if kind == "blob" and mode != "120000" and _is_fact_path(rel, folders):
            blobs[rel] = blob
    return _Side(label=label, revision=commit, blobs=blobs)


def _blob_id(data: bytes, object_format: str) -> str:
    digest = hashlib.sha256 if object_format == "sha256" else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


def _working_tree_side(root: Path, folders: set[str]) -> _Side:
    object_format = _git(root, "rev-parse", "--show-object-format").decode().strip()
    blobs = {}
    facts = root / "facts"
    for folder in sorted(folders):
        directory = facts / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob(f"*{FACT_SUFFIX}")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                rel = path.relative_to(root).as_posix()
                try:
                    blobs[rel] = _blob_id(read_regular_file(path), object_format)
                except (FileRefused, OSError) as error:
                    # Not read (a file too large, or swapped for a link or a pipe): never the
                    # id of a blob, so it shows as changed, and reading it says why.
                    blobs[rel] = f"not read: {error}"
    return _Side(label="the working tree", revision=WORKING_TREE, blobs=blobs)


def _read_blobs(root: Path, blob_ids: list[str]) -> dict[str, bytes]:
    """The content of many blobs from one `git cat-file --batch`."""
    if not blob_ids:
        return {}
    output = _git(root, "cat-file", "--batch", input="".join(f"{b}\n" for b in blob_ids).encode())
    contents = {}
    position = 0
    for blob in blob_ids:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].split()
        size = int(header[2])
        start = header_end + 1
        contents[blob] = output[start : start + size]
        position = start + size + 1  # the content is followed by a newline
    return contents


@dataclass
class RecordVersion:
    """A record as one version has it: its file, its data, or why it could not be read."""

    id: str
    rel: str
    schema: KindSchema
    data: dict | None
    problems: list[str]  # headlines of the loader's errors, when data is None
    text: str = ""

    @property
    def label(self) -> str | None:
        field_name = self.schema.label_field
        value = (self.data or {}).get(field_name) if field_name else None
        return value if isinstance(value, str) else None


def _read_versions(
    root: Path, side: _Side, paths: list[str], schemas: SchemaSet, scratch: Path
) -> dict[str, RecordVersion]:
    by_plural = schemas.by_plural
    if side.revision is WORKING_TREE:
        files = {rel: root / rel for rel in paths}
    else:
        contents = _read_blobs(root, [side.blobs[rel] for rel in paths])
        files = {}
        for rel in paths:
            # Parsed from a scratch copy: the loader reads files, and the working tree is
            # never touched.
            copy = scratch / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(contents[side.blobs[rel]])
            files[rel] = copy
    versions = {}
    for rel, path in files.items():
        _, folder, name = rel.split("/")
        fact = FactFile(path=path, rel=rel, folder=folder, id=name[: -len(FACT_SUFFIX)])
        collector = ProblemCollector()
        read_fact_file(fact, collector)
        problems = [p.headline for p in collector.sorted() if p.severity == "error"]
        versions[rel] = RecordVersion(
            id=fact.id,
            rel=rel,
            schema=by_plural[folder],
            data=fact.data,
            problems=problems if fact.data is None else [],
            text=fact.text,
        )
    return versions


# Comparing records.


@dataclass(frozen=True)
class Change:
    """One difference inside a record."""

    what: str  # set, removed, changed, citation-added, citation-removed, item-added,
    #            item-removed, step-added, step-removed, unreadable
    path: str  # field path as kb check shows it; '' for the record itself
    old: Any = None
    new: Any = None


@dataclass
class RecordDiff:
    """How one record differs between the versions."""

    status: str  # added, removed, renamed, changed
    kind: str
    id: str
    rel: str
    old_id: str | None = None
    old_rel: str | None = None
    label: str | None = None
    changes: list[Change] = field(default_factory=list)


@dataclass
class FactDiff:
    """Everything that differs, with the two versions' names."""

    base_label: str
    head_label: str
    records: list[RecordDiff]
    layout_only: list[str]  # files whose text changed but whose facts did not

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "renamed": 0, "changed": 0}
        for record in self.records:
            counts[record.status] += 1
        return counts


def _path(parent: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{parent}[{step}]"
    return f"{parent}.{step}" if parent else step


def _identity_fields(spec: FieldSpec | None) -> list[str]:
    """The fields that say which item of a list of mappings is which: its required scalars."""
    if spec is None or spec.items is None or spec.items.type != "object":
        return []
    return [
        name
        for name, sub in spec.items.fields.items()
        if sub.required and sub.type not in ("list", "object")
    ]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


class _RecordComparer:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def mapping(self, fields: dict[str, FieldSpec] | None, old: dict, new: dict, path: str):
        order = list(fields or {})
        order += [key for key in [*old, *new] if key not in order]
        for key in dict.fromkeys(order):
            if key not in old and key not in new:
                continue
            spec = (fields or {}).get(key)
            here = _path(path, key)
            if key in old and key in new:
                self.value(key, spec, old[key], new[key], here)
                continue
            value = new[key] if key in new else old[key]
            if isinstance(value, list) and (key == CITATIONS or _identity_fields(spec)):
                # A list of items set or removed: each item is a change of its own.
                self.items(key, spec, old.get(key, []), new.get(key, []), here)
            elif key in new:
                self.changes.append(Change("set", here, new=value))
            else:
                self.changes.append(Change("removed", here, old=value))

    def value(self, key: str, spec: FieldSpec | None, old: Any, new: Any, path: str) -> None:
        if _key(old) == _key(new) and type(old) is type(new):
            return
        if isinstance(old, dict) and isinstance(new, dict):
            self.mapping(spec.fields if spec else None, old, new, path)
        elif isinstance(old, list) and isinstance(new, list):
            self.items(key, spec, old, new, path)
        else:
            self.changes.append(Change("changed", path, old=old, new=new))

    def items(self, key: str, spec: FieldSpec | None, old: list, new: list, path: str) -> None:
        """Lists: items matched as the module docstring says, then compared pairwise."""
        identity = _identity_fields(spec)
        if identity and key != CITATIONS:
            keys_old = [_key([_get(item, name) for name in identity]) for item in old]
            keys_new = [_key([_get(item, name) for name in identity]) for item in new]
        else:
            keys_old, keys_new = [_key(v) for v in old], [_key(v) for v in new]
        item_spec = spec.items if spec else None
        matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
        noun = {CITATIONS: "citation", STATUS_HISTORY: "step"}.get(key, "item")
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and identity and key != CITATIONS):
                # Same items (or, for mappings with an identity, items in the same place whose
                # identity changed): compare field by field.
                pairs = min(i2 - i1, j2 - j1)
                for offset in range(pairs):
                    self.value(
                        key, item_spec, old[i1 + offset], new[j1 + offset], _path(path, j1 + offset)
                    )
                i1, j1 = i1 + pairs, j1 + pairs
            for index in range(i1, i2):
                self.changes.append(Change(f"{noun}-removed", _path(path, index), old=old[index]))
            for index in range(j1, j2):
                self.changes.append(Change(f"{noun}-added", _path(path, index), new=new[index]))


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else item


def compare_records(old: RecordVersion | None, new: RecordVersion | None) -> list[Change]:
    """The changes from `old` to `new` (either may be None: the record is added or removed)."""
    changes: list[Change] = []
    for version, side in ((old, "old"), (new, "new")):
        if version is not None and version.data is None:
            problems = "; ".join(version.problems) or "it cannot be read"
            changes.append(Change("unreadable", "", **{side: problems}))
    if any(change.what == "unreadable" for change in changes):
        return changes
    comparer = _RecordComparer()
    if old is not None and new is not None and old.schema.kind != new.schema.kind:
        comparer.changes.append(Change("changed", "(kind)", old.schema.kind, new.schema.kind))
    schema = (new or old).schema
    comparer.mapping(schema.fields, old.data if old else {}, new.data if new else {}, "")
    return comparer.changes


def _similarity(old: RecordVersion, new: RecordVersion) -> float:
    if old.data is not None and old.data == new.data:
        return 1.0
    matcher = difflib.SequenceMatcher(
        None, old.text.splitlines(), new.text.splitlines(), autojunk=False
    )
    return matcher.ratio()


def diff_facts(
    root: Path, schemas: SchemaSet, base: tuple[str, str], head: tuple[str, str] | None
) -> FactDiff:
    """Compare the facts at `base` (label, commit) with `head` (label, commit; None: the
    working tree)."""
    folders = set(schemas.by_plural)
    base_side = _revision_side(root, base[0], base[1], folders)
    if head is None:
        head_side = _working_tree_side(root, folders)
    else:
        head_side = _revision_side(root, head[0], head[1], folders)
    differing = sorted(
        rel
        for rel in set(base_side.blobs) | set(head_side.blobs)
        if base_side.blobs.get(rel) != head_side.blobs.get(rel)
    )
    with tempfile.TemporaryDirectory(prefix="kb-diff-") as scratch:
        olds = _read_versions(
            root,
            base_side,
            [r for r in differing if r in base_side.blobs],
            schemas,
            Path(scratch) / "base",
        )
        news = _read_versions(
            root,
            head_side,
            [r for r in differing if r in head_side.blobs],
            schemas,
            Path(scratch) / "head",
        )
    old_by_id = {version.id: version for version in olds.values()}
    new_by_id = {version.id: version for version in news.values()}
    records: list[RecordDiff] = []
    layout_only: list[str] = []

    for record_id in sorted(set(old_by_id) & set(new_by_id)):
        old, new = old_by_id[record_id], new_by_id[record_id]
        changes = compare_records(old, new)
        if not changes:
            layout_only.append(new.rel)
            continue
        records.append(_record_diff("changed", old, new, changes))

    removed = [old_by_id[i] for i in sorted(set(old_by_id) - set(new_by_id))]
    added = [new_by_id[i] for i in sorted(set(new_by_id) - set(old_by_id))]
    # Renames: the most similar pairs first, each file in one pair at most.
    candidates = sorted(
        ((-_similarity(old, new), old.rel, new.rel, old, new) for old in removed for new in added),
        key=lambda candidate: candidate[:3],
    )
    paired_old: set[str] = set()
    paired_new: set[str] = set()
    for negative_similarity, _, _, old, new in candidates:
        if -negative_similarity < RENAME_SIMILARITY:
            break
        if old.rel in paired_old or new.rel in paired_new:
            continue
        paired_old.add(old.rel)
        paired_new.add(new.rel)
        records.append(_record_diff("renamed", old, new, compare_records(old, new)))
    for old in removed:
        if old.rel not in paired_old:
            records.append(_record_diff("removed", old, None, compare_records(old, None)))
    for new in added:
        if new.rel not in paired_new:
            records.append(_record_diff("added", None, new, compare_records(None, new)))
    order = {"added": 0, "renamed": 1, "changed": 2, "removed": 3}
    records.sort(key=lambda record: (order[record.status], record.kind, record.id))
    return FactDiff(base_side.label, head_side.label, records, sorted(layout_only))


def _record_diff(
    status: str, old: RecordVersion | None, new: RecordVersion | None, changes: list[Change]
) -> RecordDiff:
    current = new or old
    if status == "removed":
        changes = [change for change in changes if change.what == "unreadable"]
    return RecordDiff(
        status=status,
        kind=current.schema.kind,
        id=current.id,
        rel=current.rel,
        old_id=old.id if old and status == "renamed" else None,
        old_rel=old.rel if old and status == "renamed" else None,
        label=current.label or (old.label if old else None),
        changes=changes,
    )


# Writing it out.


def show_value(value: Any) -> str:
    """A value as it reads in YAML, on one line: strings quoted, so spaces and types show."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(show_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {show_value(item)}" for key, item in value.items()) + "}"
    return str(value)


def show_citation(citation: Any) -> str:
    """'source, locator: "excerpt" (via other)': how a citation reads in a diff."""
    if not isinstance(citation, dict):
        return show_value(citation)
    text = str(citation.get("source", "?"))
    if citation.get("locator") is not None:
        text += f", {citation['locator']}"
    if citation.get("excerpt") is not None:
        text += f": {show_value(citation['excerpt'])}"
    if citation.get("via") is not None:
        text += f" (via {citation['via']})"
    rest = {k: v for k, v in citation.items() if k not in ("source", "locator", "excerpt", "via")}
    if rest:
        text += " " + show_value(rest)
    return text


def show_step(step: Any) -> str:
    """'cancelled, 2018-11 (+1 citation)': how a status step reads in a diff."""
    if not isinstance(step, dict):
        return show_value(step)
    text = str(step.get("status", "?"))
    if step.get("date") is not None:
        text += f", {step['date']}"
    cited = step.get(CITATIONS)
    if isinstance(cited, list) and cited:
        text += f" ({plural(len(cited), 'citation')})"
    return text


# How each kind of change reads: its sign and line in text, its name in Markdown.
_DESCRIPTIONS = {
    "set": ("+", "{path}: {new}", "set"),
    "removed": ("-", "{path}: {old}", "removed"),
    "changed": ("~", "{path}: {old} → {new}", "changed"),
    "citation-added": ("+", "citation {path}: {new}", "citation added"),
    "citation-removed": ("-", "citation {path}: {old}", "citation removed"),
    "step-added": ("+", "status step {path}: {new}", "status step added"),
    "step-removed": ("-", "status step {path}: {old}", "status step removed"),
    "item-added": ("+", "{path}: {new}", "item added"),
    "item-removed": ("-", "{path}: {old}", "item removed"),
    "unreadable": ("!", "", "does not parse"),
}


def _shown_parts(change: Change) -> tuple[str, str]:
    if change.what.startswith("citation"):
        return show_citation(change.old), show_citation(change.new)
    if change.what.startswith("step"):
        return show_step(change.old), show_step(change.new)
    return show_value(change.old), show_value(change.new)


def describe_change(change: Change) -> str:
    """One change as a line of text: '~ status_history[1].status: "planned" → "cancelled"'."""
    if change.what == "unreadable":
        problem = change.new if change.new is not None else change.old
        side = "new" if change.new is not None else "old"
        return f"! the {side} version does not parse: {problem}"
    sign, template, _ = _DESCRIPTIONS[change.what]
    old, new = _shown_parts(change)
    return f"{sign} " + template.format(path=change.path, old=old, new=new)


def _headline(record: RecordDiff) -> str:
    label = f" {json.dumps(record.label, ensure_ascii=False)}" if record.label else ""
    if record.status == "renamed":
        return (
            f"renamed {record.kind} {record.old_id} → {record.id}{label} "
            f"({record.old_rel} → {record.rel})"
        )
    return f"{record.status} {record.kind} {record.id}{label} ({record.rel})"


def summary_line(diff: FactDiff) -> str:
    parts = [f"{count} {status}" for status, count in diff.counts().items() if count]
    if not parts:
        return "No fact changes."
    records = sum(diff.counts().values())
    noun = "record differs" if records == 1 else "records differ"
    return f"{records} {noun}: {', '.join(parts)}."


def format_text(diff: FactDiff) -> str:
    lines = [f"Facts in {diff.base_label} → {diff.head_label}", summary_line(diff)]
    for record in diff.records:
        lines.append("")
        lines.append(_headline(record))
        lines.extend(f"  {describe_change(change)}" for change in record.changes)
    if diff.layout_only:
        lines.append("")
        lines.append("Layout or comments only (no fact changed): " + ", ".join(diff.layout_only))
    return printable("\n".join(lines))


def format_markdown(diff: FactDiff) -> str:
    """For a pull request: a heading, one section per record with a table of its changes.
    Every value is escaped (md_text, md_cell): a pull request's data cannot add markup here."""
    heading = f"{diff.base_label} → {diff.head_label}: {summary_line(diff)}"
    lines = ["## Fact changes", "", md_text(heading), ""]
    for record in diff.records:
        headline = _headline(record)
        lines.append(f"### {md_text(headline[:1].upper() + headline[1:])}")
        lines.append("")
        if record.changes:
            lines.append("| Change | Field | Before | After |")
            lines.append("| --- | --- | --- | --- |")
            for change in record.changes:
                old, new = _shown_parts(change)
                if change.what == "unreadable":
                    old = change.old or ""
                    new = change.new or ""
                if change.old is None and change.what != "changed":
                    old = ""
                if change.new is None and change.what != "changed":
                    new = ""
                lines.append(
                    f"| {md_cell(_DESCRIPTIONS[change.what][2])} | {md_cell(change.path)} "
                    f"| {md_cell(old)} | {md_cell(new)} |"
                )
            lines.append("")
    if diff.layout_only:
        lines.append(
            "Layout or comments only (no fact changed): "
            + ", ".join(md_text(rel) for rel in diff.layout_only)
        )
    return printable("\n".join(lines).rstrip("\n"))
