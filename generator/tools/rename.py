"""`kb mv OLD NEW`: rename a record, its file and every reference to it.

References are found as the validator finds them (`CheckedRecord.references`: `ref` fields at
any depth, and `[[OLD]]` / `[[OLD|label]]` links in text), so a field added to the schemas is
covered by itself. Each file is edited in its text, at the places the references are, so its
comments and quoting stay; the edited text is then read again and must hold exactly the data
expected (the old data with the id replaced at those places), or nothing is written; then it
is laid out as `kb fmt` would (a longer id may make a line too long). Nothing is written until
every file has been edited this way.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..load import FACT_SUFFIX, FactFile, FieldPath, format_field_path, new_fact_yaml
from ..model import value_at
from ..pipeline import CheckOutcome, Project, check_project
from ..schema import default_schemas
from ..suggest import did_you_mean
from ..validate import LINK, Reference, bad_id, shown_id
from .format import FactFormatter, FormatError, plain_data

# Problems that leave the references unknown: a file that could not be read may refer to the
# record, and with duplicate ids a reference's target is ambiguous.
UNSAFE_CODES = {"duplicate-id"}


class RenameError(Exception):
    """Why nothing was renamed; the message is shown as it is."""


@dataclass
class PlannedFile:
    """One file's new text, and where it goes (the renamed record's file moves)."""

    fact: FactFile
    text: str
    destination: Path
    references: int


def plan_rename(project: Project, old: str, new: str) -> list[PlannedFile]:
    """Every file to write for the rename, checked; raises RenameError if it cannot be done."""
    bad = bad_id(new)
    if bad is not None:
        raise RenameError(bad[0])
    outcome = check_project(project)
    _refuse_if_unsafe(outcome)
    facts = outcome.facts or []
    by_id = {fact.id: fact for fact in facts}
    if old not in by_id:
        hint = did_you_mean(old, by_id)
        raise RenameError(f"no record '{shown_id(old)}'{hint}")
    if new in by_id:
        raise RenameError(f"'{new}' is already the id of {by_id[new].rel}: choose another id")
    renamed = by_id[old]
    destination = renamed.path.with_name(new + FACT_SUFFIX)
    if destination.exists():
        raise RenameError(f"{destination.relative_to(project.root).as_posix()} exists already")
    references: dict[str, list[Reference]] = {}
    for record in outcome.checked.records if outcome.checked else []:
        found = [reference for reference in record.references if reference.target == old]
        if found:
            references[record.fact.rel] = found
    planned = []
    schemas = default_schemas()
    for fact in facts:
        found = references.get(fact.rel, [])
        if not found and fact is not renamed:
            continue
        text = _edited_text(fact, found, old, new)
        try:  # a longer id may need a line rewrapped: kb fmt's layout, comments kept
            text = FactFormatter().format_text(text, schemas.by_plural[fact.folder])
        except FormatError:
            pass  # a file kb fmt cannot lay out is left as edited (kb fmt says why)
        planned.append(
            PlannedFile(fact, text, destination if fact is renamed else fact.path, len(found))
        )
    return planned


def write_planned(planned: list[PlannedFile]) -> None:
    for item in planned:
        item.destination.write_text(item.text, encoding="utf-8", newline="\n")
        if item.destination != item.fact.path:
            item.fact.path.unlink()


def _refuse_if_unsafe(outcome: CheckOutcome) -> None:
    unreadable = sorted(fact.rel for fact in outcome.facts or [] if fact.data is None)
    unsafe = sorted(
        {problem.path for problem in outcome.collector.problems if problem.code in UNSAFE_CODES}
    )
    if unreadable or unsafe:
        files = ", ".join(unreadable + [path for path in unsafe if path not in unreadable])
        raise RenameError(
            f"the knowledge base has errors that hide references ({files}): fix what "
            "`kb check` reports there first"
        )


def _edited_text(fact: FactFile, references: list[Reference], old: str, new: str) -> str:
    """The file's text with `old` replaced by `new` at each reference, read back to be sure."""
    text = fact.text or ""
    expected = copy.deepcopy(new_fact_yaml().load(text))
    lines = text.split("\n")
    edits: list[tuple[int, int]] = []  # (line index, column index) of each id in a field
    for reference in references:
        if reference.in_text:
            _set(expected, reference.path, _relinked(value_at(expected, reference.path), old, new))
            continue
        _set(expected, reference.path, new)
        shown = format_field_path(reference.path)
        line, column = fact.position(reference.path)
        if line is None or column is None:
            raise RenameError(f"{fact.rel}: cannot find where {shown} is")
        index, start = line - 1, column - 1
        if lines[index][start : start + 1] in ("'", '"'):
            start += 1
        if lines[index][start : start + len(old)] != old:
            raise RenameError(
                f"{fact.rel}:{line}:{column}: {shown} is not written as "
                f"'{old}' there: rename it by hand"
            )
        edits.append((index, start))
    for index, start in sorted(set(edits), reverse=True):  # right to left: columns hold
        lines[index] = lines[index][:start] + new + lines[index][start + len(old) :]
    edited = "\n".join(lines)
    if any(reference.in_text for reference in references):
        edited = _relinked(edited, old, new)
    if plain_data(new_fact_yaml().load(edited)) != plain_data(expected):
        raise RenameError(
            f"{fact.rel}: renaming '{old}' there would change more than the id (a [[link]] "
            "outside a text field, or an unusual layout): rename it by hand"
        )
    return edited


def _relinked(text: str, old: str, new: str) -> str:
    """`text` with each [[old]] and [[old|label]] link pointing at `new`, labels kept."""

    def relink(match: re.Match) -> str:
        if match.group(1).strip() != old:
            return match.group(0)
        label = match.group(2)
        return f"[[{new}|{label}]]" if label is not None else f"[[{new}]]"

    return LINK.sub(relink, text)


def _set(data: Any, path: FieldPath, value: Any) -> None:
    value_at(data, path[:-1])[path[-1]] = value
