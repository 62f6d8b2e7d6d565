"""The ledger on a real store: rejected commands write nothing, concurrent writers lose nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import msgspec
import pytest

from domain.cluster import project_cluster
from domain.commands import (
    CloseStage,
    DissolveCluster,
    ExtendLabel,
    MergeCluster,
    ReportMembership,
    ReviewCriteria,
    WithdrawLabel,
)
from domain.errors import (
    ClusterInactive,
    ClusterNotFound,
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
from domain.values import cluster_id
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from tests.builders import MEMBERS, grant_stage_4, open_stage_4, register, run


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


CLOSE_STAGE_4 = CloseStage(number=4, closed_on=date(2022, 12, 31))
MERGE_INTO_POLYMERIS = MergeCluster(
    slug="aerospace-valley", into="polymeris", effective_on=date(2020, 12, 31)
)


def membership(sme: int = 1, on: date = date(2019, 12, 31)) -> ReportMembership:
    members = msgspec.structs.replace(MEMBERS, sme=sme)
    return ReportMembership(slug="aerospace-valley", as_of=on, members=members)


def test_granting_after_the_stage_closed_is_rejected(labelled: Ledger) -> None:
    run(labelled, CLOSE_STAGE_4)
    assert_rejected_without_trace(
        labelled, StageNotOpen, lambda: grant_stage_4(labelled, "polymeris")
    )


def test_withdrawing_without_active_label_is_rejected(labelled: Ledger) -> None:
    withdrawal = WithdrawLabel(
        slug="polymeris",
        decided_on=date(2020, 1, 1),
        effective_on=date(2020, 1, 1),
        decided_by="State",
        reason="criteria not met",
    )
    assert_rejected_without_trace(labelled, NoActiveLabel, lambda: run(labelled, withdrawal))


def test_extending_without_active_label_is_rejected(labelled: Ledger) -> None:
    extension = ExtendLabel(
        slug="polymeris", decided_on=date(2020, 1, 1), valid_until=date(2022, 1, 1), reason="r"
    )
    assert_rejected_without_trace(labelled, NoActiveLabel, lambda: run(labelled, extension))


def test_label_events_on_a_merged_cluster_are_rejected(labelled: Ledger) -> None:
    run(labelled, MERGE_INTO_POLYMERIS)
    assert_rejected_without_trace(
        labelled, ClusterInactive, lambda: run(labelled, membership(on=date(2021, 1, 1)))
    )


def test_label_events_on_a_dissolved_cluster_are_rejected(labelled: Ledger) -> None:
    run(
        labelled,
        DissolveCluster(slug="polymeris", effective_on=date(2020, 9, 11), reason="liquidation"),
    )
    assert_rejected_without_trace(
        labelled, ClusterInactive, lambda: grant_stage_4(labelled, "polymeris")
    )


def test_a_review_naming_an_undefined_criterion_is_rejected(labelled: Ledger) -> None:
    review = ReviewCriteria(
        slug="aerospace-valley",
        stage=4,
        reviewed_on=date(2019, 9, 1),
        reviewer="DGE",
        kind="general evaluation",
        measurements={"turnover": 3.0},
        outcome="compliant",
    )
    assert_rejected_without_trace(labelled, UnknownCriterion, lambda: run(labelled, review))


def test_closing_a_stage_twice_is_rejected(labelled: Ledger) -> None:
    run(labelled, CLOSE_STAGE_4)
    again = CloseStage(number=4, closed_on=date(2023, 1, 1))
    assert_rejected_without_trace(labelled, StageAlreadyClosed, lambda: run(labelled, again))


def test_opening_a_stage_twice_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(labelled, DuplicateStage, lambda: open_stage_4(labelled))


def test_merging_a_cluster_into_itself_is_rejected(labelled: Ledger) -> None:
    into_itself = MergeCluster(slug="polymeris", into="polymeris", effective_on=date(2020, 12, 31))
    assert_rejected_without_trace(labelled, MergeIntoSelf, lambda: run(labelled, into_itself))


def test_registering_a_slug_twice_is_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(labelled, DuplicateSlug, lambda: register(labelled, "polymeris"))


def test_commands_on_an_unknown_cluster_are_rejected(labelled: Ledger) -> None:
    assert_rejected_without_trace(
        labelled, ClusterNotFound, lambda: grant_stage_4(labelled, "no-such-cluster")
    )


def test_a_merger_records_an_event_on_both_clusters_in_one_append(labelled: Ledger) -> None:
    receipt = run(labelled, MERGE_INTO_POLYMERIS)
    assert [e.type for e in receipt.events] == ["ClusterMerged", "ClusterAbsorbed"]
    assert labelled.get_cluster("aerospace-valley").merged_into == cluster_id("polymeris")
    assert labelled.get_cluster("polymeris").absorbed == (cluster_id("aerospace-valley"),)


def test_a_stage_closure_expires_every_label_still_held_atomically(labelled: Ledger) -> None:
    grant_stage_4(labelled, "polymeris")
    receipt = run(labelled, CLOSE_STAGE_4)
    assert sorted(e.type for e in receipt.events) == ["LabelExpired", "LabelExpired", "StageClosed"]
    assert len({e.position for e in receipt.events}) == 3
    assert labelled.get_cluster("polymeris").labels[0].state == "expired"


class FailOnType:
    """An append hook that fails when a given event type is appended."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def create_tables(self, tx: object) -> None:
        pass

    def on_append(self, tx: object, appended: list) -> None:  # type: ignore[type-arg]
        if any(a.topic.split("/")[1] == self.type_name for a in appended):
            raise RuntimeError(f"failure while writing {self.type_name}")


def test_a_merger_that_fails_part_way_leaves_nothing_behind(labelled: Ledger) -> None:
    labelled.store.hooks.append(FailOnType("ClusterAbsorbed"))
    before = labelled.last_position()
    with pytest.raises(RuntimeError):
        run(labelled, MERGE_INTO_POLYMERIS)
    assert labelled.last_position() == before
    assert labelled.get_cluster("aerospace-valley").merged_into is None
    assert labelled.get_cluster("polymeris").absorbed == ()


def test_a_stage_closure_that_fails_part_way_leaves_nothing_behind(labelled: Ledger) -> None:
    labelled.store.hooks.append(FailOnType("LabelExpired"))
    before = labelled.last_position()
    with pytest.raises(RuntimeError):
        run(labelled, CLOSE_STAGE_4)
    assert labelled.last_position() == before
    assert labelled.get_stage(4).is_open
    assert labelled.get_cluster("aerospace-valley").labels[0].state == "active"


def test_after_a_failed_append_the_next_command_decides_on_the_stored_state(
    labelled: Ledger,
) -> None:
    failing = FailOnType("ClusterMerged")
    labelled.store.hooks.append(failing)
    with pytest.raises(RuntimeError):
        run(labelled, MERGE_INTO_POLYMERIS)
    labelled.store.hooks.remove(failing)
    receipt = run(labelled, membership())
    assert receipt.version == 3


def test_a_command_sees_what_another_process_appended(labelled: Ledger, store_url: str) -> None:
    other = open_ledger(store_url)
    try:
        run(labelled, membership(sme=10))
        run(other, membership(sme=20))
        receipt = run(labelled, membership(sme=30))
    finally:
        other.close()
    assert receipt.version == 5
    reports = labelled.get_cluster("aerospace-valley").memberships
    assert [r.members.sme for r in reports] == [10, 20, 30]


def test_writers_in_two_processes_take_turns_and_lose_nothing(
    labelled: Ledger, store_url: str
) -> None:
    writers = [labelled, open_ledger(store_url)]
    barrier = threading.Barrier(2)
    failures: list[Exception] = []

    def write(ledger: Ledger, sme: int) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                run(ledger, membership(sme=sme))
        except Exception as error:
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=(w, n)) for w, n in zip(writers, (1, 2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writers[1].close()
    assert failures == []
    reports = labelled.get_cluster("aerospace-valley").memberships
    assert sorted(r.members.sme for r in reports) == [1] * 20 + [2] * 20
    assert [r.version for r in reports] == list(range(3, 43))


def test_a_grant_after_another_process_closed_the_stage_is_rejected(
    labelled: Ledger, store_url: str
) -> None:
    """This process last saw the stage open; the closure by another must still refuse it."""
    other = open_ledger(store_url)
    try:
        run(other, CLOSE_STAGE_4)
    finally:
        other.close()
    assert_rejected_without_trace(
        labelled, StageNotOpen, lambda: grant_stage_4(labelled, "polymeris")
    )
    assert labelled.get_cluster("polymeris").labels == ()


def test_positions_are_dense_and_in_commit_order(labelled: Ledger) -> None:
    positions = [n.id for n in labelled.recorder.select_notifications(start=1, limit=100)]
    assert positions == list(range(1, len(positions) + 1))


def test_reloading_a_cluster_gives_the_state_its_events_fold_to(labelled: Ledger) -> None:
    review = ReviewCriteria(
        slug="aerospace-valley",
        stage=4,
        reviewed_on=date(2019, 9, 1),
        reviewer="DGE",
        kind="technical assessment",
        measurements={"members": 830},
        outcome="compliant",
    )
    run(labelled, review)
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
