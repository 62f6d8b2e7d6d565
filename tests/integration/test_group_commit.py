"""Group commit: concurrent appends share transactions but keep their own outcomes."""

from __future__ import annotations

import contextlib
import threading
from datetime import date

from domain import cluster_commands as cc
from domain.errors import ConcurrencyConflict, LedgerError
from domain.values import MemberCounts
from infrastructure.ledger import Ledger
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
