"""The label's invariants, checked on pure domain state (no store)."""

from __future__ import annotations

from datetime import date

import pytest

from domain import cluster_commands as cc
from domain import stage as st
from domain.cluster import Cluster, apply_cluster_event, project_cluster
from domain.errors import (
    ClusterInactive,
    DuplicateSlug,
    InvalidCorrection,
    InvalidSlug,
    LabelAlreadyGranted,
    MergeIntoSelf,
    NeedsWholeHistory,
    NoActiveLabel,
    OutsideStagePeriod,
    StageAlreadyClosed,
    StageNotOpen,
    UnknownCriterion,
)
from domain.events import LedgerEvent
from domain.stage import Stage, apply_stage_event
from domain.status import status_on
from domain.values import MemberCounts
from tests.builders import STAGE_4_CRITERIA, provenance

P = provenance()


def stage_4() -> Stage:
    opened = st.open_stage(
        None,
        P,
        number=4,
        title="Stage 4",
        starts_on=date(2019, 1, 1),
        ends_on=date(2022, 12, 31),
        decided_by="Prime Minister",
        criteria=STAGE_4_CRITERIA,
        minimum_european_label="bronze",
    )
    return apply_stage_event(None, opened)


def cluster(slug: str = "aerospace-valley") -> Cluster:
    registered = cc.register_cluster(
        None, P, slug=slug, name="Aerospace Valley", registered_on=date(2005, 7, 12)
    )
    return apply_cluster_event(None, registered)


def then(state: Cluster, *events: LedgerEvent) -> Cluster:
    for event in events:
        state = apply_cluster_event(state, event)
    return state


def granted_history() -> list[LedgerEvent]:
    """A registration and a stage 4 grant, as recorded."""
    registered = cc.register_cluster(
        None, P, slug="aerospace-valley", name="Aerospace Valley", registered_on=date(2005, 7, 12)
    )
    grant = cc.grant_label(
        apply_cluster_event(None, registered),
        stage_4(),
        P,
        decided_on=date(2019, 2, 5),
        decided_by="Prime Minister",
        effective_from=date(2019, 2, 5),
    )
    return [registered, grant]


def correct(history: list[LedgerEvent], **facts: object) -> LedgerEvent:
    labelled = project_cluster(None, history)
    assert labelled is not None
    return cc.correct_cluster_event(
        labelled,
        history,
        P,
        effective_on=date(2019, 3, 1),
        **facts,  # type: ignore[arg-type]
    )


def granted(state: Cluster, stage: Stage, **overrides: object) -> Cluster:
    facts: dict[str, object] = {
        "decided_on": date(2019, 2, 5),
        "decided_by": "Prime Minister",
        "effective_from": date(2019, 2, 5),
    }
    facts.update(overrides)
    return then(state, cc.grant_label(state, stage, P, **facts))  # type: ignore[arg-type]


def test_granting_a_label_twice_for_one_stage_is_rejected() -> None:
    stage = stage_4()
    labelled = granted(cluster(), stage)
    with pytest.raises(LabelAlreadyGranted):
        granted(labelled, stage)


def test_granting_for_a_closed_stage_is_rejected() -> None:
    closed = apply_stage_event(
        stage_4(), st.close_stage(stage_4(), P, closed_on=date(2022, 12, 31))
    )
    with pytest.raises(StageNotOpen):
        granted(cluster(), closed)


def test_granting_with_an_effective_date_outside_the_stage_is_rejected() -> None:
    with pytest.raises(OutsideStagePeriod):
        granted(cluster(), stage_4(), effective_from=date(2018, 12, 31))


def test_withdrawing_without_active_label_is_rejected() -> None:
    with pytest.raises(NoActiveLabel):
        cc.withdraw_label(
            cluster(),
            P,
            decided_on=date(2020, 1, 1),
            effective_on=date(2020, 1, 1),
            decided_by="State",
            reason="criteria not met",
        )


def test_extending_without_active_label_is_rejected() -> None:
    with pytest.raises(NoActiveLabel):
        cc.extend_label(
            cluster(), P, decided_on=date(2020, 1, 1), valid_until=date(2022, 12, 31), reason="r"
        )


def test_label_events_on_a_merged_cluster_are_rejected() -> None:
    source, target = cluster("elastopole"), cluster("polymeris")
    merged, _ = cc.merge_clusters(source, target, P, effective_on=date(2020, 12, 31))
    gone = then(source, merged)
    with pytest.raises(ClusterInactive):
        granted(gone, stage_4(), effective_from=date(2021, 1, 1))
    with pytest.raises(ClusterInactive):
        cc.report_membership(gone, P, as_of=date(2021, 1, 1), members=MemberCounts(sme=3))


def test_label_events_on_a_dissolved_cluster_are_rejected() -> None:
    dissolved = then(
        cluster("novalog"),
        cc.dissolve_cluster(
            cluster("novalog"), P, effective_on=date(2020, 9, 11), reason="liquidation"
        ),
    )
    with pytest.raises(ClusterInactive):
        granted(dissolved, stage_4())


def test_a_criteria_review_naming_an_undefined_criterion_is_rejected() -> None:
    with pytest.raises(UnknownCriterion, match="european-projects"):
        cc.review_criteria(
            cluster(),
            stage_4(),
            P,
            reviewed_on=date(2019, 9, 1),
            reviewer="DGE",
            kind="technical assessment",
            measurements={"members": 200, "european-projects": 3},
            outcome="compliant",
        )


def test_closing_a_stage_twice_is_rejected() -> None:
    stage = stage_4()
    closed = apply_stage_event(stage, st.close_stage(stage, P, closed_on=date(2022, 12, 31)))
    with pytest.raises(StageAlreadyClosed):
        st.close_stage(closed, P, closed_on=date(2022, 12, 31))


def test_merging_a_cluster_into_itself_is_rejected() -> None:
    with pytest.raises(MergeIntoSelf):
        cc.merge_clusters(cluster(), cluster(), P, effective_on=date(2020, 1, 1))


def test_registering_a_slug_twice_is_rejected() -> None:
    with pytest.raises(DuplicateSlug):
        cc.register_cluster(
            cluster(), P, slug="aerospace-valley", name="X", registered_on=date(2005, 1, 1)
        )


@pytest.mark.parametrize("slug", ["A", "a", "-ab", "ab-", "a--b", "aé", "x" * 65, "a_b"])
def test_invalid_slugs_are_rejected(slug: str) -> None:
    with pytest.raises(InvalidSlug):
        cc.register_cluster(None, P, slug=slug, name="X", registered_on=date(2005, 1, 1))


def test_a_grant_without_the_required_european_label_is_still_recorded() -> None:
    """Policy requirements never block a decision the State actually took."""
    labelled = granted(cluster(), stage_4())
    assert labelled.active_label is not None
    assert labelled.european_labels == ()


def test_a_conditional_label_past_its_term_reads_as_lapsed() -> None:
    labelled = granted(
        cluster(), stage_4(), valid_until=date(2020, 2, 4), conditions=("merge by end 2019",)
    )
    assert status_on(labelled, date(2019, 6, 1)).status == "conditional"
    assert status_on(labelled, date(2020, 6, 1)).status == "lapsed"


def test_an_extension_lifts_the_conditions_and_moves_the_term() -> None:
    labelled = granted(cluster(), stage_4(), valid_until=date(2020, 2, 4), conditions=("merge",))
    extended = then(
        labelled,
        cc.extend_label(
            labelled,
            P,
            decided_on=date(2020, 1, 15),
            valid_until=date(2022, 12, 31),
            reason="merged",
        ),
    )
    assert status_on(extended, date(2020, 6, 1)).status == "labelled"


def test_a_stage_closure_expires_the_labels_still_held() -> None:
    stage = stage_4()
    labelled = granted(cluster(), stage)
    expiry = cc.expire_label(labelled, stage, P, closed_on=date(2022, 12, 31))
    assert expiry is not None
    assert status_on(then(labelled, expiry), date(2023, 1, 1)).status == "expired"


def test_retracting_a_grant_removes_it_from_the_state_but_not_the_history() -> None:
    history = granted_history()
    correction = correct(history, target_version=2, reason="wrong cluster", amended=None)
    corrected = project_cluster(None, [*history, correction])
    assert corrected is not None
    assert corrected.labels == ()
    assert corrected.version == 3


def test_amending_a_grant_changes_its_terms() -> None:
    history = granted_history()
    correction = correct(
        history, target_version=2, reason="typo", amended={"decided_on": "2019-02-06"}
    )
    corrected = project_cluster(None, [*history, correction])
    assert corrected is not None
    assert corrected.labels[0].decided_on == date(2019, 2, 6)


def test_amending_the_recording_actor_is_rejected() -> None:
    with pytest.raises(InvalidCorrection):
        correct(granted_history(), target_version=2, reason="x", amended={"actor": "someone"})


def test_retracting_the_registration_is_rejected() -> None:
    with pytest.raises(InvalidCorrection):
        correct(granted_history()[:1], target_version=1, reason="x", amended=None)


def test_a_correction_cannot_be_folded_onto_a_state_without_its_history() -> None:
    history = granted_history()
    correction = correct(history, target_version=2, reason="wrong cluster", amended=None)
    labelled = project_cluster(None, history)
    with pytest.raises(NeedsWholeHistory):
        project_cluster(labelled, [correction])
    with pytest.raises(NeedsWholeHistory):
        apply_cluster_event(labelled, correction)


def test_replaying_the_history_rebuilds_the_same_state() -> None:
    history = granted_history()
    state = project_cluster(None, history)
    assert state is not None
    history.append(
        cc.report_membership(
            state, P, as_of=date(2019, 12, 31), members=MemberCounts(sme=120, research=20)
        )
    )
    step_by_step = apply_cluster_event(state, history[-1])
    assert project_cluster(None, history) == step_by_step
