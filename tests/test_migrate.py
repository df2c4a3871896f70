"""`kb migrate`: every old shape of a fact file rewritten in the current format, comments kept.

The broken fixture tests/errors/old-format holds the command-line transcript (check, migrate,
check again); these tests hold each shape to its exact result.
"""

from __future__ import annotations

import pytest

from generator.load import new_fact_yaml
from generator.schema import default_schemas
from generator.tools.migrate import MigrationContext, MigrationError, migrate_text, needs_migration
from tests.conftest import run_kb

RELATIONSHIP = default_schemas().kinds["relationship"]
CONTEXT = MigrationContext(
    organization_roles={
        "fbi": ["government-agency"],
        "cia": ["government-agency"],
        "us-government": ["government"],
        "huawei": ["manufacturer"],
        "zte": ["manufacturer"],
        "xiaomi": ["manufacturer", "retailer"],
        "amazon": ["retailer"],
        "att": ["carrier"],
        "us-carriers": ["carrier"],
    }
)
TAIL = "status_history:\n  - status: active\ncitations:\n  - source: article\n"


def migrated(head: str) -> tuple[str, list[str]]:
    return migrate_text(head + TAIL, RELATIONSHIP, CONTEXT)


@pytest.mark.parametrize(
    ("head", "parties"),
    [
        # A flow list, the issuer first only because the type says so.
        (
            "title: Warning\ntype: government-warning\nparties: [huawei, fbi, cia, zte]\n",
            "parties:\n  issuer: [fbi, cia]\n  target: [huawei, zte]\n",
        ),
        # A block list; one party per role is written as a plain id.
        (
            "title: Launch\ntype: carrier-launch-deal\nparties:\n  - huawei\n  - att\n",
            "parties:\n  carrier: att\n  maker: huawei\n",
        ),
        # A group of carriers is a carrier too.
        (
            "title: ZTE\ntype: carrier-partnership\nparties: [zte, us-carriers]\n",
            "parties:\n  carrier: us-carriers\n  maker: zte\n",
        ),
        # Xiaomi is a maker and a retailer: beside Amazon, the retailer, it is the supplier.
        (
            "title: Amazon\ntype: retail-distribution\nparties: [xiaomi, amazon]\n",
            "parties:\n  retailer: amazon\n  supplier: xiaomi\n",
        ),
        # A government bans; the company is the target (the role that takes the rest).
        (
            "title: Ban\ntype: government-ban\nparties: [us-government, huawei]\n",
            "parties:\n  issuer: us-government\n  target: huawei\n",
        ),
        # One party, one role.
        (
            "title: Entry\ntype: market-entry\nparties: [xiaomi]\n",
            "parties:\n  entrant: xiaomi\n",
        ),
    ],
)
def test_each_old_party_list_gets_its_roles(head: str, parties: str):
    text, done = migrated(head)
    assert done and done[0].startswith("parties: ")
    assert parties in text
    data = new_fact_yaml().load(text)
    assert not needs_migration(data, RELATIONSHIP)


def test_comments_are_kept():
    head = (
        "title: Warning  # our words\n"
        "type: government-warning\n"
        "# The heads of the agencies, against two makers.\n"
        "parties: [fbi, huawei]  # as the article lists them\n"
    )
    text, _ = migrated(head)
    assert "# The heads of the agencies, against two makers.\nparties:" in text
    assert "# as the article lists them" in text
    assert "title: Warning  # our words\n" in text


def test_a_file_in_the_current_format_is_left_alone():
    head = "title: Entry\ntype: market-entry\nparties:\n  entrant: xiaomi\n"
    text, done = migrated(head)
    assert done == []
    assert text == head + TAIL


def test_migrating_twice_changes_nothing_more():
    once, _ = migrated("title: Ban\ntype: government-ban\nparties: [us-government, huawei]\n")
    twice, done = migrate_text(once, RELATIONSHIP, CONTEXT)
    assert done == [] and twice == once


@pytest.mark.parametrize(
    ("head", "message"),
    [
        # Two makers in a carrier deal: nobody is the carrier, and nothing is guessed.
        (
            "title: Two makers\ntype: carrier-partnership\nparties: [huawei, zte]\n",
            "parties: no party fits the role 'carrier'",
        ),
        # An organization we know nothing of, where no role takes the rest.
        (
            "title: Unknown\ntype: carrier-launch-deal\nparties: [att, nobody]\n",
            "parties: cannot tell the role of 'nobody'",
        ),
        ("title: No type\nparties: [att, huawei]\n", "'type' is missing or unknown"),
    ],
)
def test_what_needs_a_person_is_refused_with_the_reason(head: str, message: str):
    with pytest.raises(MigrationError) as raised:
        migrated(head)
    assert message in raised.value.message


def test_a_linked_facts_folder_is_refused(tmp_path):
    # kb migrate rewrites files: through a linked facts/ it could rewrite them anywhere.
    elsewhere = tmp_path / "elsewhere" / "relationships"
    elsewhere.mkdir(parents=True)
    old = "title: Entry\ntype: market-entry\nparties: [xiaomi]\n" + TAIL
    (elsewhere / "entry.yaml").write_text(old, encoding="utf-8")
    root = tmp_path / "kb"
    root.mkdir()
    (root / "facts").symlink_to(tmp_path / "elsewhere")
    result = run_kb("migrate", cwd=root)
    assert result.code == 1
    assert result.out.startswith("facts: ")
    assert (elsewhere / "entry.yaml").read_text(encoding="utf-8") == old
