"""Group commit: concurrent appends share transactions but keep their own outcomes."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future
from datetime import date

import msgspec
from eventsourcing.persistence import StoredEvent

from domain import cluster_commands as cc
from domain.errors import ConcurrencyConflict, LedgerError
from domain.values import MemberCounts
from infrastructure.access.idempotency import IdempotencyClaim, WriteResult, find_response
from infrastructure.ledger import Ledger
from infrastructure.store.group_commit import GroupCommitter, PendingAppend, merged_runs
from tests.builders import ADMIN, register


def test_concurrent_appends_all_land_with_dense_positions(ledger: Ledger) -> None:
    slugs = [f"cluster-{n}" for n in range(16)]
    for slug in slugs:
        register(ledger, slug)
    ledger.store.enable_group_commit()
    errors: list[Exception] = []

    def report(slug: str) -> None:
        try:
            for sme in range(5):
                ledger.report_membership(
                    ADMIN, slug, as_of=date(2023, 1, 1), members=MemberCounts(sme=sme)
                )
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=report, args=(s,)) for s in slugs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=1000)]
    assert positions == list(range(1, 16 + 16 * 5 + 1))
    assert all(len(ledger.get_cluster(s).memberships) == 5 for s in slugs)


def test_a_conflicting_append_in_a_batch_fails_alone(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    register(ledger, "polymeris")
    ledger.store.enable_group_commit()
    state = ledger.get_cluster("aerospace-valley")
    p = ledger.provenance(ADMIN)
    racing = [
        cc.report_membership(state, p, as_of=date(2023, 1, 1), members=MemberCounts(sme=n))
        for n in range(8)
    ]
    barrier = threading.Barrier(len(racing) + 1)
    outcomes: list[str] = []

    def append(event: object) -> None:
        barrier.wait()
        try:
            ledger.append([event])  # type: ignore[list-item]
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    def unrelated() -> None:
        barrier.wait()
        ledger.report_membership(
            ADMIN, "polymeris", as_of=date(2023, 1, 1), members=MemberCounts(sme=1)
        )
        outcomes.append("unrelated")

    threads = [threading.Thread(target=append, args=(e,)) for e in racing]
    threads.append(threading.Thread(target=unrelated))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["unrelated", "won"]
    assert len(ledger.get_cluster("aerospace-valley").memberships) == 1
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert positions == list(range(1, 5))


def test_a_rejected_command_under_group_commit_writes_nothing(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    ledger.store.enable_group_commit()
    before = ledger.last_position()
    with contextlib.suppress(LedgerError):
        register(ledger, "aerospace-valley")
    assert ledger.last_position() == before


class GatedWriter:
    """The store's batch writer, held at its first batch until ``open``: whatever is
    appended meanwhile lands in the next batch, together."""

    def __init__(self, ledger: Ledger) -> None:
        self._write = ledger.store._write_batch
        self._gate = threading.Event()
        self.batches: list[list[PendingAppend]] = []

    def __call__(self, batch: list[PendingAppend]) -> None:
        self.batches.append(batch)
        if len(self.batches) == 1:
            self._gate.wait(timeout=10)
        self._write(batch)

    def open(self) -> None:
        self._gate.set()


def gated_group_commit(ledger: Ledger) -> GatedWriter:
    register(ledger, "blocker")
    writer = GatedWriter(ledger)
    ledger.store.group_committer = GroupCommitter(writer)
    return writer


def report_in_threads(ledger: Ledger, writer: GatedWriter, keyed: list[tuple[str, str]]) -> dict:
    """Reports each (slug, key) from its own thread, all queued behind the gate."""
    outcomes: dict[str, object] = {}

    def report(slug: str, key: str) -> None:
        claim = IdempotencyClaim(actor=ADMIN.actor, key=key, fingerprint=f"fp-{key}")
        try:
            outcomes[key] = ledger.report_membership(
                ADMIN, slug, as_of=date(2023, 1, 1), members=MemberCounts(sme=3), idempotency=claim
            )
        except LedgerError as error:
            outcomes[key] = error

    blocker = threading.Thread(target=report, args=("blocker", "first-batch"))
    blocker.start()
    while not writer.batches:
        time.sleep(0.001)
    threads = [threading.Thread(target=report, args=pair) for pair in keyed]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while ledger.store.group_committer._queue.qsize() < len(keyed):  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.001)
    writer.open()
    for thread in [blocker, *threads]:
        thread.join()
    ledger.store.disable_group_commit()
    return outcomes


def test_queued_appends_on_distinct_clusters_are_written_as_one_append(ledger: Ledger) -> None:
    slugs = [f"cluster-{n}" for n in range(8)]
    for slug in slugs:
        register(ledger, slug)
    before = ledger.last_position()
    writer = gated_group_commit(ledger)
    outcomes = report_in_threads(ledger, writer, [(s, f"key-{s}") for s in slugs])
    assert [len(b) for b in writer.batches] == [1, 1]
    assert len(writer.batches[1][0].stored_events) == len(slugs)
    positions = sorted(outcome.last.position for outcome in outcomes.values())  # type: ignore[attr-defined]
    assert positions == list(range(before + 2, before + len(slugs) + 3))
    for slug in slugs:
        stored = find_response(ledger, ADMIN.actor, f"key-{slug}")
        assert stored is not None
        assert stored.fingerprint == f"fp-key-{slug}"
        result = msgspec.json.decode(stored.body, type=WriteResult)
        assert [e.aggregate_id for e in result.events] == [f"cluster:{slug}"]
        assert result.position == outcomes[f"key-{slug}"].last.position  # type: ignore[attr-defined]
        assert len(ledger.get_cluster(slug).memberships) == 1


def test_an_append_failing_inside_a_merged_append_fails_alone(ledger: Ledger) -> None:
    slugs = [f"cluster-{n}" for n in range(6)]
    for slug in slugs:
        register(ledger, slug)
    writer = gated_group_commit(ledger)
    # "first-batch" is the key of the blocked first append: reusing it fails on the
    # idempotency table's primary key, inside the transaction, after the events.
    keyed = [(slugs[1], "key-1"), (slugs[2], "first-batch"), (slugs[3], "key-3")]
    outcomes = report_in_threads(ledger, writer, keyed)
    assert [len(b) for b in writer.batches] == [1, 1, 3]
    assert isinstance(outcomes["first-batch"], ConcurrencyConflict)
    assert not isinstance(outcomes["key-1"], Exception)
    assert not isinstance(outcomes["key-3"], Exception)
    assert len(ledger.get_cluster(slugs[2]).memberships) == 0
    assert len(ledger.get_cluster(slugs[1]).memberships) == 1
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert positions == list(range(1, len(slugs) + 5))  # + blocker, its report, 2 keyed


def pending(written: str, read: dict[str, int] | None = None) -> PendingAppend:
    event = StoredEvent(originator_id=written, originator_version=1, topic="t", state=b"")
    return PendingAppend([event], {"expected_versions": read or {}}, Future())


def test_only_appends_on_disjoint_aggregates_are_merged() -> None:
    a, b, a_again = pending("cluster:a"), pending("cluster:b"), pending("cluster:a")
    reads_b = pending("cluster:c", {"cluster:b": 4})
    others = pending("cluster:d", {"stage:1": 2})
    same_read = pending("cluster:e", {"stage:1": 2})
    other_read = pending("cluster:f", {"stage:1": 3})
    runs = merged_runs([a, b, reads_b, a_again, others, same_read, other_read])
    merged = [[a, b], [reads_b, a_again, others, same_read], [other_read]]
    assert [run.members for run in runs] == merged
