"""The ledger on a real store: rejected commands write nothing, concurrent writers lose nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest

from domain import cluster_commands as cc
from domain.cluster import project_cluster
from domain.errors import (
    ClusterInactive,
    ClusterNotFound,
    ConcurrencyConflict,
    DuplicateSlug,
    DuplicateStage,
    LabelAlreadyGranted,
    LedgerError,
    MergeIntoSelf,
    NoActiveLabel,
    OutsideStagePeriod,
    StageAlreadyClosed,
    StageNotFound,
    StageNotOpen,
    UnknownCriterion,
)
from domain.values import MemberCounts, cluster_id
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.builders import ADMIN, grant_stage_4, open_stage_4, register


@pytest.fixture
def labelled(ledger: Ledger) -> Ledger:
    open_stage_4(ledger)
    register(ledger, "aerospace-valley")
    register(ledger, "polymeris")
    grant_stage_4(ledger, "aerospace-valley")
    return ledger


def assert_rejected_without_trace(
    ledger: Ledger, error: type[LedgerError], command: Callable[[], object]
) -> None:
    before = ledger.last_position()
    with pytest.raises(error):
        command()
    assert ledger.last_position() == before


def test_granting_twice_for_one_stage_is_rejected_and_writes_nothing(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled, LabelAlreadyGranted, lambda: grant_stage_4(labelled, "aerospace-valley")
    )


def test_granting_outside_the_stage_period_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled,
        OutsideStagePeriod,
        lambda: grant_stage_4(labelled, "polymeris", effective_from=date(2023, 3, 27)),
    )


def test_granting_for_an_unknown_stage_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled, StageNotFound, lambda: grant_stage_4(labelled, "polymeris", stage=9)
    )


def test_granting_after_the_stage_closed_is_rejected(labelled: Ledger) -> None:
    labelled.close_stage(ADMIN, 4, closed_on=date(2022, 12, 31))
    assert_rejected_without_trace(
        labelled, StageNotOpen, lambda: grant_stage_4(labelled, "polymeris")
    )


def test_withdrawing_without_active_label_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled,
        NoActiveLabel,
        lambda: labelled.withdraw_label(
            ADMIN,
            "polymeris",
            decided_on=date(2020, 1, 1),
            effective_on=date(2020, 1, 1),
            decided_by="State",
            reason="criteria not met",
        ),
    )


def test_extending_without_active_label_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled,
        NoActiveLabel,
        lambda: labelled.extend_label(
            ADMIN,
            "polymeris",
            decided_on=date(2020, 1, 1),
            valid_until=date(2022, 1, 1),
            reason="r",
        ),
    )


def test_label_events_on_a_merged_cluster_are_rejected(labelled: Ledger) -> None:
    labelled.merge_cluster(
        ADMIN, "aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31)
    )
    assert_rejected_without_trace(
        labelled,
        ClusterInactive,
        lambda: labelled.report_membership(
            ADMIN, "aerospace-valley", as_of=date(2021, 1, 1), members=MemberCounts(sme=1)
        ),
    )


def test_label_events_on_a_dissolved_cluster_are_rejected(labelled: Ledger) -> None:
    labelled.dissolve_cluster(
        ADMIN, "polymeris", effective_on=date(2020, 9, 11), reason="liquidation"
    )
    assert_rejected_without_trace(
        labelled, ClusterInactive, lambda: grant_stage_4(labelled, "polymeris")
    )


def test_a_review_naming_an_undefined_criterion_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled,
        UnknownCriterion,
        lambda: labelled.review_criteria(
            ADMIN,
            "aerospace-valley",
            stage=4,
            reviewed_on=date(2019, 9, 1),
            reviewer="DGE",
            kind="general evaluation",
            measurements={"turnover": 3.0},
            outcome="compliant",
        ),
    )


def test_closing_a_stage_twice_is_rejected(labelled: Ledger) -> None:
    labelled.close_stage(ADMIN, 4, closed_on=date(2022, 12, 31))
    assert_rejected_without_trace(
        labelled,
        StageAlreadyClosed,
        lambda: labelled.close_stage(ADMIN, 4, closed_on=date(2023, 1, 1)),
    )


def test_opening_a_stage_twice_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(labelled, DuplicateStage, lambda: open_stage_4(labelled))


def test_merging_a_cluster_into_itself_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled,
        MergeIntoSelf,
        lambda: labelled.merge_cluster(
            ADMIN, "polymeris", into="polymeris", effective_on=date(2020, 12, 31)
        ),
    )


def test_registering_a_slug_twice_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(labelled, DuplicateSlug, lambda: register(labelled, "polymeris"))


def test_commands_on_an_unknown_cluster_are_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled, ClusterNotFound, lambda: grant_stage_4(labelled, "no-such-cluster")
    )


def test_a_merger_records_an_event_on_both_clusters_in_one_append(labelled: Ledger) -> None:
    receipt = labelled.merge_cluster(
        ADMIN, "aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31)
    )
    assert [e.type for e in receipt.events] == ["ClusterMerged", "ClusterAbsorbed"]
    assert labelled.get_cluster("aerospace-valley").merged_into == cluster_id("polymeris")
    assert labelled.get_cluster("polymeris").absorbed == (cluster_id("aerospace-valley"),)


def test_a_stage_closure_expires_every_label_still_held_atomically(labelled: Ledger) -> None:
    grant_stage_4(labelled, "polymeris")
    receipt = labelled.close_stage(ADMIN, 4, closed_on=date(2022, 12, 31))
    assert sorted(e.type for e in receipt.events) == ["LabelExpired", "LabelExpired", "StageClosed"]
    assert len({e.position for e in receipt.events}) == 3
    assert labelled.get_cluster("polymeris").labels[0].state == "expired"


class FailOnType:
    """An append hook that fails when a given event type is appended."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def create_tables(self, tx: object) -> None:
        pass

    def on_append(self, tx: object, appended: list, options: object) -> None:  # type: ignore[type-arg]
        if any(a.topic.split("/")[1] == self.type_name for a in appended):
            raise RuntimeError(f"failure while writing {self.type_name}")


def test_a_merger_that_fails_part_way_leaves_nothing_behind(labelled: Ledger) -> None:
    labelled.store.hooks.append(FailOnType("ClusterAbsorbed"))
    before = labelled.last_position()
    with pytest.raises(RuntimeError):
        labelled.merge_cluster(
            ADMIN, "aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31)
        )
    assert labelled.last_position() == before
    assert labelled.get_cluster("aerospace-valley").merged_into is None
    assert labelled.get_cluster("polymeris").absorbed == ()


def test_a_stage_closure_that_fails_part_way_leaves_nothing_behind(labelled: Ledger) -> None:
    labelled.store.hooks.append(FailOnType("LabelExpired"))
    before = labelled.last_position()
    with pytest.raises(RuntimeError):
        labelled.close_stage(ADMIN, 4, closed_on=date(2022, 12, 31))
    assert labelled.last_position() == before
    assert labelled.get_stage(4).is_open
    assert labelled.get_cluster("aerospace-valley").labels[0].state == "active"


def test_a_stale_writer_gets_a_conflict_and_nothing_is_lost(
    labelled: Ledger, store_url: str
) -> None:
    other = open_ledger(store_url)
    try:
        mine = labelled.get_cluster("aerospace-valley")
        theirs = other.get_cluster("aerospace-valley")
        first = cc.report_membership(
            mine, labelled.provenance(ADMIN), as_of=date(2019, 12, 31), members=MemberCounts(sme=10)
        )
        second = cc.report_membership(
            theirs, other.provenance(ADMIN), as_of=date(2019, 12, 31), members=MemberCounts(sme=20)
        )
        labelled.append([first])
        with pytest.raises(ConcurrencyConflict):
            other.append([second])
    finally:
        other.close()
    reports = labelled.get_cluster("aerospace-valley").memberships
    assert [r.members.sme for r in reports] == [10]


def test_two_concurrent_writers_to_one_cluster_exactly_one_wins(
    labelled: Ledger, store_url: str
) -> None:
    writers = [labelled, open_ledger(store_url)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(ledger: Ledger, sme: int) -> None:
        state = ledger.get_cluster("aerospace-valley")
        event = cc.report_membership(
            state, ledger.provenance(ADMIN), as_of=date(2019, 12, 31), members=MemberCounts(sme=sme)
        )
        barrier.wait()
        try:
            ledger.append([event])
            outcomes.append("won")
        except ConcurrencyConflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=write, args=(w, n)) for w, n in zip(writers, (1, 2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writers[1].close()
    assert sorted(outcomes) == ["conflict", "won"]
    assert len(labelled.get_cluster("aerospace-valley").memberships) == 1


def test_a_grant_racing_a_stage_closure_is_rejected(labelled: Ledger, store_url: str) -> None:
    """The grant read the stage open; the closure committed first; the grant must not land."""
    other = open_ledger(store_url)
    try:
        cluster = other.get_cluster("polymeris")
        stage = other.get_stage(4)
        grant = cc.grant_label(
            cluster,
            stage,
            other.provenance(ADMIN),
            decided_on=date(2019, 2, 5),
            decided_by="PM",
            effective_from=date(2019, 2, 5),
        )
        labelled.close_stage(ADMIN, 4, closed_on=date(2022, 12, 31))
        with pytest.raises(ConcurrencyConflict):
            other.append([grant], read=[stage])
    finally:
        other.close()
    assert labelled.get_cluster("polymeris").labels == ()


def test_positions_are_dense_and_in_commit_order(labelled: Ledger) -> None:
    positions = [n.id for n in labelled.recorder.select_notifications(start=1, limit=100)]
    assert positions == list(range(1, len(positions) + 1))


def test_reloading_a_cluster_gives_the_state_its_events_fold_to(labelled: Ledger) -> None:
    labelled.review_criteria(
        ADMIN,
        "aerospace-valley",
        stage=4,
        reviewed_on=date(2019, 9, 1),
        reviewer="DGE",
        kind="technical assessment",
        measurements={"members": 830},
        outcome="compliant",
    )
    events = [p.event for p in labelled.positioned_events(cluster_id("aerospace-valley"))]
    assert project_cluster(None, events) == labelled.get_cluster("aerospace-valley")


def test_several_processes_can_open_a_new_ledger_at_once(store_url: str) -> None:
    """Opening creates the tables; concurrent first opens must not trip over each other."""
    errors: list[Exception] = []
    opened: list[Ledger] = []

    def open_one() -> None:
        try:
            opened.append(open_ledger(store_url))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for ledger in opened:
        ledger.close()
    assert errors == []
    assert len(opened) == 4
