"""Old-format fact files rewritten in the current format (`kb migrate`).

Each shape the format has left behind is one function here, listed in `MIGRATIONS`; `kb check`
names the file and tells the contributor to run `kb migrate` on it. The rewrite goes through
the same round trip as `kb fmt`, so comments are kept and the result is in its layout.

Old shapes:

- `parties` as a plain list of ids (before party roles): each party gets the role its
  organization's own roles suggest for the relationship's type (a carrier is the `carrier` of
  a carrier deal, a government agency the `issuer` of a warning). Where that does not decide
  it, nothing is guessed: the file is left as it is and the parties to place are named.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..load import new_fact_yaml
from ..schema import KindSchema, RoleSet
from .format import FactFormatter

# Which organization roles suggest which party role. A party role not listed takes the
# parties no other role claims (the target of a warning, the entrant of a market entry).
ORGANIZATION_ROLES_FOR_PARTY_ROLE = {
    "carrier": {"carrier"},
    "maker": {"manufacturer", "brand"},
    "retailer": {"retailer"},
    "supplier": {"manufacturer", "brand"},
    "issuer": {"government", "government-agency", "regulator", "legislature"},
}


class MigrationError(Exception):
    """An old shape that cannot be rewritten without a decision only a person can make;
    `where` is the field's place in the file, (line, column) from 1, when known."""

    def __init__(self, message: str, where: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.where = where


@dataclass
class MigrationContext:
    """What a migration may consult besides the file: the organizations' own roles, by id."""

    organization_roles: dict[str, list[str]]


def _roles_by_party(
    parties: list[str], role_set: RoleSet, organization_roles: dict[str, list[str]]
) -> dict[str, list[str]]:
    """The old party list placed in the type's roles, or MigrationError saying what is open."""
    roles = list(role_set.roles)
    catch_all = [role for role in roles if role not in ORGANIZATION_ROLES_FOR_PARTY_ROLE]
    candidates: dict[str, list[str]] = {}
    for party in parties:
        own = set(organization_roles.get(party, ()))
        fitting = [r for r in roles if own & ORGANIZATION_ROLES_FOR_PARTY_ROLE.get(r, set())]
        candidates[party] = fitting or catch_all
    placed: dict[str, str] = {}
    # Parties with one possible role first; then a party that could be either takes the role
    # nobody has yet (Xiaomi, maker and retailer, beside Amazon, a retailer: the supplier).
    for party, fitting in candidates.items():
        if len(fitting) == 1:
            placed[party] = fitting[0]
    for party, fitting in candidates.items():
        if party in placed:
            continue
        free = [role for role in fitting if role not in placed.values()]
        if len(free) == 1:
            placed[party] = free[0]
    unplaced = [party for party in parties if party not in placed]
    if unplaced:
        raise MigrationError(
            f"cannot tell the role of {', '.join(repr(p) for p in unplaced)} from the "
            f"organizations' roles: write parties by hand, as {_example(roles)}"
        )
    empty = [role for role in roles if role not in placed.values()]
    if empty:
        raise MigrationError(
            f"no party fits the role {', '.join(repr(r) for r in empty)}: write parties by "
            f"hand, as {_example(roles)}"
        )
    return {role: [p for p in parties if placed[p] == role] for role in roles}


def _example(roles: list[str]) -> str:
    return "{" + ", ".join(f"{role}: <id>" for role in roles) + "}"


def migrate_parties(tree: Any, schema: KindSchema, context: MigrationContext) -> str | None:
    """`parties: [a, b]` to `parties: {role: a, ...}`; what was done, or None."""
    parties = tree.get("parties") if isinstance(tree, CommentedMap) else None
    spec = schema.fields.get("parties")
    if not isinstance(parties, list) or spec is None or spec.type != "roles":
        return None
    kind_of = tree.get(spec.roles_from)
    role_set = schema.fields[spec.roles_from].value_roles.get(kind_of)
    if role_set is None:
        raise MigrationError(
            f"'{spec.roles_from}' is missing or unknown, so the parties' roles are unknown: "
            "correct it first"
        )
    if not all(isinstance(party, str) for party in parties):
        raise MigrationError("the parties are not all ids: correct them first")
    try:
        by_role = _roles_by_party(list(parties), role_set, context.organization_roles)
    except MigrationError as error:
        line, column = tree.lc.key("parties")
        raise MigrationError(f"parties: {error.message}", (line + 1, column + 1)) from None
    mapping = CommentedMap()
    for role, members in by_role.items():
        if len(members) == 1:
            mapping[role] = members[0]
        else:
            members_seq = CommentedSeq(members)
            members_seq.fa.set_flow_style()
            mapping[role] = members_seq
    # Comments on the old list's line stay with the key (the formatter re-places them).
    tree["parties"] = mapping
    return "parties: " + ", ".join(
        f"{role}: {', '.join(members)}" for role, members in by_role.items()
    )


MIGRATIONS: list[Callable[[Any, KindSchema, MigrationContext], str | None]] = [migrate_parties]


def needs_migration(data: Any, schema: KindSchema) -> bool:
    """Whether loaded data holds an old shape (what `kb check` reports as 'old-format')."""
    if not isinstance(data, dict):
        return False
    spec = schema.fields.get("parties")
    return spec is not None and spec.type == "roles" and isinstance(data.get("parties"), list)


def migrate_text(text: str, schema: KindSchema, context: MigrationContext) -> tuple[str, list[str]]:
    """The file's text in the current format, and what changed (empty: nothing to do).

    Raises MigrationError for a shape that needs a person's decision, and the formatter's
    errors for a result it cannot lay out without changing the data or the comments.
    """
    yaml = new_fact_yaml()
    tree = yaml.load(text)
    done = [change for migrate in MIGRATIONS if (change := migrate(tree, schema, context))]
    if not done:
        return text, []
    out = io.StringIO()
    yaml.dump(tree, out)
    return FactFormatter().format_text(out.getvalue(), schema), done
