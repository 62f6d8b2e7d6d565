"""The Merkle log: a leaf per event in the event's transaction, proofs from stored nodes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.commands import Command, Context, RegisterCluster
from domain.errors import LedgerError
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger, Pending
from infrastructure.merkle import (
    aligned_block_levels,
    leaf_hash,
    nodes_to_store_after_append,
    root_of_leaves,
    verify_consistency,
    verify_inclusion,
)
from infrastructure.store.hooks import AppendedEvent
from infrastructure.store.sql import Tx
from infrastructure.tamper import (
    consistency_proof_between,
    inclusion_proof_at,
    verify_ledger,
)
from infrastructure.tamper.errors import (
    InvalidProofRequest,
    MerkleLogDamaged,
    PositionBeyondTree,
    TreeSizeBeyondLog,
)
from infrastructure.tamper.leaf import leaf_hashes
from infrastructure.tamper.node_store import NODES_TABLE
from tests.builders import membership, register

RECORDED = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


class FixedClock:
    """Recorded times that depend only on how many commands ran: equal leaves on any store."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> datetime:
        self.ticks += 1
        return RECORDED + timedelta(microseconds=self.ticks)


def cluster_commands(slug: str, count: int, *, first: int = 1) -> list[Command]:
    """The commands of ``count`` events of one cluster: a registration, then reports."""
    commands: list[Command] = []
    for version in range(first, first + count):
        if version == 1:
            commands.append(RegisterCluster(slug=slug, name=slug.title()))
        else:
            commands.append(membership(slug, as_of=date(2023, 12, 31), sme=version))
    return commands


def append(ledger: Ledger, commands: Sequence[Command]) -> None:
    """Executes the commands in one transaction, each with its own idempotency key."""
    if not isinstance(ledger.writer.clock, FixedClock):
        ledger.writer.clock = FixedClock()
    results = ledger.execute_batch(
        [Pending(command=c, context=Context(actor="test-admin")) for c in commands]
    )
    for result in results:
        if isinstance(result, Exception):
            raise result


def fill(ledger: Ledger, count: int, *, batch: int = 50) -> None:
    commands = cluster_commands("aerospace-valley", count)
    for first in range(0, count, batch):
        append(ledger, commands[first : first + batch])


def stored_nodes(ledger: Ledger) -> list[tuple[int, int, bytes]]:
    with ledger.read() as tx:
        tx.execute(f"SELECT level, idx, hash FROM {tx.table('merkle_nodes')} ORDER BY level, idx")
        return [(row[0], row[1], bytes(row[2])) for row in tx.fetchall()]


def stored_rows(ledger: Ledger) -> list[tuple[int, str, int, str, bytes]]:
    with ledger.read() as tx:
        position = "rowid" if tx.dialect == "sqlite" else "notification_id"
        tx.execute(
            f"SELECT {position}, originator_id, originator_version, topic, state "
            f"FROM {ledger.store.events_table(tx)} ORDER BY {position}"
        )
        return [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in tx.fetchall()]


def test_every_appended_event_gets_its_leaf_and_the_nodes_it_completes(ledger: Ledger) -> None:
    fill(ledger, 37, batch=5)
    register(ledger, "polymeris")
    leaves = leaf_hashes(stored_rows(ledger))
    assert len(leaves) == 38
    expected = sorted(nodes_to_store_after_append(0, leaves, {}))
    assert stored_nodes(ledger) == expected


class FailingHook:
    failing = False

    def create_tables(self, tx: Tx) -> None:
        pass

    def on_append(self, tx: Tx, appended: Sequence[AppendedEvent]) -> None:
        if self.failing:
            raise LedgerError("a later hook refused the append")


def test_a_rolled_back_append_leaves_neither_event_nor_leaf(ledger: Ledger) -> None:
    """The leaf is written in the append's transaction: it rolls back with the event."""
    hook = FailingHook()
    ledger.store.add_hook(hook)
    fill(ledger, 3)
    before = stored_nodes(ledger)
    hook.failing = True
    with pytest.raises(LedgerError, match="refused"):
        append(ledger, cluster_commands("aerospace-valley", 2, first=4))
    assert stored_nodes(ledger) == before
    assert ledger.last_position() == 3


def test_an_append_onto_a_leaf_that_already_exists_is_refused_whole(ledger: Ledger) -> None:
    fill(ledger, 4)
    with ledger.write() as tx:
        tx.execute(
            f"INSERT INTO {tx.table('merkle_nodes')} (level, idx, hash) VALUES (?, ?, ?)",
            (0, 4, b"\x00" * 32),
        )
    with pytest.raises(MerkleLogDamaged, match="position 5 already has a leaf"):
        register(ledger, "polymeris")
    assert ledger.last_position() == 4


def test_roots_are_identical_on_sqlite_and_postgresql(tmp_path: Any, postgres_url: str) -> None:
    """The same events with the same timestamps give the same leaves, nodes and root."""
    trees = []
    for url in (f"sqlite:///{tmp_path}/same.db", postgres_url):
        ledger = open_ledger(url)
        try:
            fill(ledger, 77, batch=10)
            report = verify_ledger(ledger)
            trees.append((report.root_hash, stored_nodes(ledger)))
        finally:
            ledger.close()
    (sqlite_root, sqlite_nodes), (postgres_root, postgres_nodes) = trees
    assert sqlite_root == postgres_root
    assert sqlite_nodes == postgres_nodes


def test_concurrent_group_committed_appends_keep_one_consistent_tree(ledger: Ledger) -> None:
    slugs = [f"cluster-{n}" for n in range(8)]
    ledger.enable_group_commit()

    def write(slug: str) -> None:
        for command in cluster_commands(slug, 6):
            ledger.execute(command, Context(actor="test-admin"))

    threads = [threading.Thread(target=write, args=(slug,)) for slug in slugs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_ledger(ledger)
    assert report.ok, report.summary()
    assert report.tree_size == 48
    leaves = leaf_hashes(stored_rows(ledger))
    assert report.root_hash == root_of_leaves(leaves).hex()


def test_inclusion_and_consistency_proofs_from_stored_nodes_verify(ledger: Ledger) -> None:
    fill(ledger, 300)
    leaves = leaf_hashes(stored_rows(ledger))

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        size = data.draw(st.integers(1, 300), label="size")
        position = data.draw(st.integers(1, size), label="position")
        first = data.draw(st.integers(0, size), label="first")
        inclusion = inclusion_proof_at(ledger, position, size)
        path = [bytes.fromhex(h) for h in inclusion.path]
        root = bytes.fromhex(inclusion.root_hash)
        assert root == root_of_leaves(leaves[:size])
        assert bytes.fromhex(inclusion.leaf_hash) == leaves[position - 1]
        assert verify_inclusion(leaves[position - 1], position - 1, size, path, root)
        consistency = consistency_proof_between(ledger, first, size)
        first_root = bytes.fromhex(consistency.first_root)
        assert first_root == root_of_leaves(leaves[:first])
        c_path = [bytes.fromhex(h) for h in consistency.path]
        assert verify_consistency(first, size, first_root, root, c_path)
        for flipped in _one_hash_flipped(data, path):
            assert not verify_inclusion(leaves[position - 1], position - 1, size, flipped, root)
        for flipped in _one_hash_flipped(data, c_path):
            assert not verify_consistency(first, size, first_root, root, flipped)

    check()


def _one_hash_flipped(data: st.DataObject, path: list[bytes]) -> list[list[bytes]]:
    if not path:
        return []
    entry = data.draw(st.integers(0, len(path) - 1), label="entry")
    bit = data.draw(st.integers(0, 255), label="bit")
    damaged = bytearray(path[entry])
    damaged[bit // 8] ^= 1 << (bit % 8)
    return [[*path[:entry], bytes(damaged), *path[entry + 1 :]]]


def test_proofs_default_to_the_current_tree(ledger: Ledger) -> None:
    fill(ledger, 10)
    assert inclusion_proof_at(ledger, 3).tree_size == 10
    assert consistency_proof_between(ledger, 4).second == 10


def test_proofs_at_the_current_tree_equal_proofs_at_its_given_size(ledger: Ledger) -> None:
    """Read in one statement with the tree size, a proof is the one asked at that size."""
    for size in (37, 38, 64, 65):
        append(ledger, cluster_commands(f"grown-to-{size}", size - ledger.last_position()))
        for position in (1, 2, size // 2, size - 1, size):
            assert inclusion_proof_at(ledger, position) == inclusion_proof_at(
                ledger, position, size
            )
        for first in (0, 1, size // 3, size - 1, size):
            assert consistency_proof_between(ledger, first) == consistency_proof_between(
                ledger, first, size
            )


def test_proofs_at_the_current_tree_name_a_missing_node_as_damage(ledger: Ledger) -> None:
    fill(ledger, 20)
    with ledger.write() as tx:
        tx.execute(f"DELETE FROM {tx.table(NODES_TABLE)} WHERE level = 1 AND idx = 3")
    with pytest.raises(MerkleLogDamaged, match="tree size 20 are missing"):
        inclusion_proof_at(ledger, 5)
    with pytest.raises(MerkleLogDamaged, match="tree size 20 are missing"):
        consistency_proof_between(ledger, 6)
    with pytest.raises(PositionBeyondTree):
        inclusion_proof_at(ledger, 21)
    with pytest.raises(InvalidProofRequest):
        consistency_proof_between(ledger, 21)


def test_proof_requests_beyond_the_log_are_named_errors(ledger: Ledger) -> None:
    fill(ledger, 10)
    with pytest.raises(TreeSizeBeyondLog, match="tree size 11 is beyond the log"):
        inclusion_proof_at(ledger, 3, 11)
    with pytest.raises(PositionBeyondTree):
        inclusion_proof_at(ledger, 8, 7)
    with pytest.raises(PositionBeyondTree):
        inclusion_proof_at(ledger, 0, 7)
    with pytest.raises(TreeSizeBeyondLog):
        consistency_proof_between(ledger, 3, 12)
    with pytest.raises(InvalidProofRequest):
        consistency_proof_between(ledger, 8, 7)


def test_proofs_need_no_event_rows_only_stored_nodes(ledger: Ledger) -> None:
    """Proofs come from the node table in O(log n) reads, never by rehashing the events."""
    fill(ledger, 40)
    before = inclusion_proof_at(ledger, 17, 33)
    with ledger.write() as tx:
        tx.execute(f"ALTER TABLE {ledger.store.events_table(tx)} RENAME TO hidden_events")
    assert inclusion_proof_at(ledger, 17, 33) == before
    assert consistency_proof_between(ledger, 9, 40).path


@given(start_block=st.integers(0, 40), bits=st.integers(0, 6), data=st.data())
def test_level_by_level_hashing_of_an_aligned_block_gives_the_stored_nodes(
    start_block: int, bits: int, data: st.DataObject
) -> None:
    width = 1 << bits
    start = start_block * width
    length = data.draw(st.integers(1, width), label="length")
    leaves = [leaf_hash(str(i).encode()) for i in range(start + length)]
    every = {(lv, ix): h for lv, ix, h in nodes_to_store_after_append(0, leaves, {})}
    levels = aligned_block_levels(leaves[start:])
    for level, hashes in enumerate(levels):
        for offset, digest in enumerate(hashes):
            assert every[(level, (start >> level) + offset)] == digest
    complete = sum(1 for (lv, ix) in every if ix << lv >= start)
    assert sum(len(h) for h in levels) == complete
