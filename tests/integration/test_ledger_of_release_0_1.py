"""A ledger written by release 0.1 (main at 31377de, before commands were data) opens,
verifies and replays as before, and takes new commands on top.

``tests/data/release-0.1.db.gz`` was written by that release: the sourced seed (406
events), two tokens, a keyed membership report over HTTP, a correction of Polymeris'
registration and a checkpoint signed at tree size 410 (store format 1, upgraded by
``db upgrade``). On PostgreSQL the same stored rows are copied, as they are, into a fresh
schema.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.commands import Context
from domain.errors import IdempotencyKeyReused
from infrastructure.admin.database import upgrade_store
from infrastructure.composition import open_ledger
from infrastructure.history.rows import history_rows
from infrastructure.history.seeding import SeedRefused, recorded_keys, seed_history
from infrastructure.ledger import Ledger
from infrastructure.tamper import verify_ledger
from infrastructure.tamper.checkpoints import list_checkpoints
from infrastructure.tamper.keys import parse_verifier_key
from infrastructure.tamper.notes import parse_checkpoint
from tests.builders import membership

FIXTURE = Path(__file__).parent.parent / "data" / "release-0.1.db.gz"
ROOT_AT_410 = "1b0ed5dab08b0d890507168cd9c39da8a5fabd245406eb1ec028fb43175c97da"
PUBLIC_KEY = "label-ledger.test/release-0.1+2337a0df+Ad+P+yrKUaUu7XCAWeYAgOGUh8eIPgxtYmyPXg1S92qL"
ADMIN_SECRET = "llt_tQQTnLpEaUpp6uBb6SUbkuWXmTGzILhBCpkWHo0yj0g"
# Tables whose rows are the record (events, tree, checkpoints, idempotency claims); read
# models and snapshots are derived and rebuilt on open.
COPIED = {
    "merkle_nodes": ("level", "idx", "hash"),
    "signed_checkpoints": None,
    "idempotency_keys": ("actor", "key", "fingerprint", "status", "response"),
}


def unpacked(folder: Path) -> Path:
    path = folder / "release-0.1.db"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return path


def copy_to_postgres(source: Path, url: str) -> None:
    """The release's stored rows, copied as they are into a new PostgreSQL ledger."""
    ledger = open_ledger(url)
    old = sqlite3.connect(source)
    try:
        with ledger.write() as tx:
            events = old.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events ORDER BY rowid"
            ).fetchall()
            tx.executemany(
                f"INSERT INTO {tx.table('ledger_events')} "
                "(notification_id, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                events,
            )
            for table, columns in COPIED.items():
                names = columns or tuple(
                    row[1] for row in old.execute(f"PRAGMA table_info({table})")
                )
                rows = old.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall()
                marks = ", ".join("?" * len(names))
                tx.executemany(
                    f"INSERT INTO {tx.table(table)} ({', '.join(names)}) VALUES ({marks})", rows
                )
            tx.execute(f"UPDATE {tx.table('projection_tracking')} SET position = 0")
    finally:
        old.close()
        ledger.close()


@pytest.fixture
def release_ledger(store_url: str, tmp_path: Path) -> Iterator[Ledger]:
    source = unpacked(tmp_path)
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{source}"
        upgrade_store(url)  # store format 1 -> 2, explicitly, as `label-ledger db upgrade`
    else:
        copy_to_postgres(source, store_url)
        url = store_url
    ledger = open_ledger(url)  # catches the read models up where they are behind
    try:
        yield ledger
    finally:
        ledger.close()


def test_it_verifies_to_the_root_its_checkpoint_signed(release_ledger: Ledger) -> None:
    report = verify_ledger(release_ledger)
    assert report.ok, report.summary()
    (checkpoint,) = list_checkpoints(release_ledger)
    assert (checkpoint.tree_size, checkpoint.root_hash) == (410, ROOT_AT_410)
    assert parse_checkpoint(checkpoint.note).is_signed_by(parse_verifier_key(PUBLIC_KEY))


def test_its_clusters_and_stages_replay_with_their_corrections(release_ledger: Ledger) -> None:
    assert len(release_ledger.cluster_slugs()) == 87
    polymeris = release_ledger.get_cluster("polymeris")
    assert (polymeris.version, polymeris.name) == (6, "Polymeris")
    assert polymeris.memberships[-1].members.total == 39
    assert release_ledger.get_stage(5).number == 5


def test_seeding_it_with_todays_facts_is_refused_whole(release_ledger: Ledger) -> None:
    """Facts found since (stage-2 grants, say) fall in stages it closed: the seed names the
    first it cannot take and appends nothing, rather than half a history."""
    with pytest.raises(SeedRefused, match="stage 2 closed"):
        seed_history(release_ledger)
    assert release_ledger.last_position() == 410


def test_seeding_it_with_its_own_facts_appends_nothing(release_ledger: Ledger) -> None:
    recorded = [row for row in history_rows() if row.key in recorded_keys(release_ledger)]
    assert len(recorded) == 297
    report = seed_history(release_ledger, recorded)
    assert (report.appended, report.skipped, release_ledger.last_position()) == (0, 297, 410)


def test_its_tokens_still_authorise(release_ledger: Ledger) -> None:
    caller = release_ledger.caller(ADMIN_SECRET)
    assert caller is not None
    assert (caller.name, caller.role) == ("dge", "admin")


def test_new_commands_append_after_it_and_the_tree_stays_consistent(
    release_ledger: Ledger,
) -> None:
    receipt = release_ledger.execute(
        membership("polymeris", as_of=date(2025, 12, 31), sme=40), Context(actor="dge")
    )
    assert (receipt.position, receipt.version) == (411, 7)
    report = verify_ledger(release_ledger)
    assert report.ok, report.summary()
    assert report.tree_size == 411


def test_a_key_it_recorded_is_still_claimed_and_never_executes_twice(
    release_ledger: Ledger,
) -> None:
    """Release 0.1 fingerprinted the HTTP request, this one the command: a retry of that
    request is refused rather than recorded a second time."""
    retry = membership(
        "polymeris", as_of=date(2024, 12, 31), very_small=10, sme=20, intermediate_large=5,
        research=3, other=1,
    )
    with pytest.raises(IdempotencyKeyReused):
        release_ledger.execute(
            retry, Context(actor="dge", idempotency_key="release-0.1-review")
        )
    assert release_ledger.last_position() == 410
