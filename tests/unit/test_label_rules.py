"""The label's rules, decided in memory: given commands, when one more runs, then these events
or this error (no store involved)."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from domain.cluster import apply_cluster_event, project_cluster
from domain.commands import (
    CloseStage,
    CorrectClusterEvent,
    DissolveCluster,
    ExtendLabel,
    MergeCluster,
    ReportMembership,
    ReviewCriteria,
    WithdrawLabel,
)
from domain.errors import (
    ClusterInactive,
    DuplicateSlug,
    InvalidCommand,
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
from domain.events import LabelExpired, LabelGranted, StageClosed
from domain.status import status_on
from domain.values import cluster_id
from tests.builders import MEMBERS, Story, registration, stage_4_grant, stage_4_opening

AV = "aerospace-valley"
CLOSE_STAGE_4 = CloseStage(number=4, closed_on=date(2022, 12, 31))


def labelled_story(**grant: object) -> Story:
    """Stage 4 open, Aerospace Valley registered and labelled for it."""
    return Story().given(stage_4_opening(), registration(AV), stage_4_grant(AV, **grant))


def membership(slug: str = AV, on: date = date(2019, 12, 31)) -> ReportMembership:
    return ReportMembership(slug=slug, as_of=on, members=MEMBERS)


def correction(**facts: object) -> CorrectClusterEvent:
    return CorrectClusterEvent(
        slug=AV, event_id=f"cluster:{AV}@2", effective_on=date(2019, 3, 1), **facts  # type: ignore[arg-type]
    )


def test_a_grant_records_the_label_for_the_stage() -> None:
    story = Story().given(stage_4_opening(), registration(AV))
    (granted,) = story.when(stage_4_grant(AV))
    assert isinstance(granted, LabelGranted)
    assert (granted.stage, granted.valid_until) == (4, date(2022, 12, 31))
    assert granted.originator_version == 2


def test_granting_a_label_twice_for_one_stage_is_rejected() -> None:
    with pytest.raises(LabelAlreadyGranted):
        labelled_story().when(stage_4_grant(AV))


def test_granting_for_a_closed_stage_is_rejected() -> None:
    story = Story().given(stage_4_opening(), registration(AV), CLOSE_STAGE_4)
    with pytest.raises(StageNotOpen):
        story.when(stage_4_grant(AV))


def test_granting_with_an_effective_date_outside_the_stage_is_rejected() -> None:
    story = Story().given(stage_4_opening(), registration(AV))
    with pytest.raises(OutsideStagePeriod):
        story.when(stage_4_grant(AV, effective_from=date(2018, 12, 31)))


def test_withdrawing_without_active_label_is_rejected() -> None:
    story = Story().given(registration(AV))
    with pytest.raises(NoActiveLabel):
        story.when(
            WithdrawLabel(
                slug=AV,
                decided_on=date(2020, 1, 1),
                effective_on=date(2020, 1, 1),
                decided_by="State",
                reason="criteria not met",
            )
        )


def test_extending_without_active_label_is_rejected() -> None:
    story = Story().given(registration(AV))
    with pytest.raises(NoActiveLabel):
        story.when(
            ExtendLabel(
                slug=AV, decided_on=date(2020, 1, 1), valid_until=date(2022, 12, 31), reason="r"
            )
        )


def test_label_events_on_a_merged_cluster_are_rejected() -> None:
    story = Story().given(
        stage_4_opening(),
        registration("elastopole"),
        registration("polymeris"),
        MergeCluster(slug="elastopole", into="polymeris", effective_on=date(2020, 12, 31)),
    )
    with pytest.raises(ClusterInactive):
        story.when(stage_4_grant("elastopole", effective_from=date(2021, 1, 1)))
    with pytest.raises(ClusterInactive):
        story.when(membership("elastopole", on=date(2021, 1, 1)))


def test_label_events_on_a_dissolved_cluster_are_rejected() -> None:
    story = Story().given(
        stage_4_opening(),
        registration("novalog"),
        DissolveCluster(slug="novalog", effective_on=date(2020, 9, 11), reason="liquidation"),
    )
    with pytest.raises(ClusterInactive):
        story.when(stage_4_grant("novalog"))


def test_a_criteria_review_naming_an_undefined_criterion_is_rejected() -> None:
    story = Story().given(stage_4_opening(), registration(AV))
    with pytest.raises(UnknownCriterion, match="european-projects"):
        story.when(
            ReviewCriteria(
                slug=AV,
                stage=4,
                reviewed_on=date(2019, 9, 1),
                reviewer="DGE",
                kind="technical assessment",
                measurements={"members": 200, "european-projects": 3},
                outcome="compliant",
            )
        )


def test_closing_a_stage_twice_is_rejected() -> None:
    story = Story().given(stage_4_opening(), CLOSE_STAGE_4)
    with pytest.raises(StageAlreadyClosed):
        story.when(CLOSE_STAGE_4)


def test_merging_a_cluster_into_itself_is_rejected() -> None:
    story = Story().given(registration(AV))
    with pytest.raises(MergeIntoSelf):
        story.when(MergeCluster(slug=AV, into=AV, effective_on=date(2020, 1, 1)))


def test_registering_a_slug_twice_is_rejected() -> None:
    with pytest.raises(DuplicateSlug):
        Story().given(registration(AV)).when(registration(AV, "X"))


@pytest.mark.parametrize("slug", ["A", "a", "-ab", "ab-", "a--b", "aé", "x" * 65, "a_b"])
def test_invalid_slugs_are_rejected(slug: str) -> None:
    with pytest.raises(InvalidSlug):
        Story().when(registration(slug, "X"))


@pytest.mark.parametrize("slug", ["A", "a", "-ab", "ab-", "a--b", "aé", "x" * 65, "a_b"])
def test_invalid_slugs_do_not_even_decode_as_commands(slug: str) -> None:
    body = msgspec.json.encode({"slug": slug, "name": "X"})
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=type(registration(AV)))


def test_a_grant_without_the_required_european_label_is_still_recorded() -> None:
    """Policy requirements never block a decision the State actually took."""
    labelled = labelled_story().cluster(AV)
    assert labelled.active_label is not None
    assert labelled.european_labels == ()


def test_a_conditional_label_past_its_term_reads_as_lapsed() -> None:
    labelled = labelled_story(
        valid_until=date(2020, 2, 4), conditions=("merge by end 2019",)
    ).cluster(AV)
    assert status_on(labelled, date(2019, 6, 1)).status == "conditional"
    assert status_on(labelled, date(2020, 6, 1)).status == "lapsed"


def test_an_extension_lifts_the_conditions_and_moves_the_term() -> None:
    story = labelled_story(valid_until=date(2020, 2, 4), conditions=("merge",))
    story.when(
        ExtendLabel(
            slug=AV, decided_on=date(2020, 1, 15), valid_until=date(2022, 12, 31), reason="merged"
        )
    )
    assert status_on(story.cluster(AV), date(2020, 6, 1)).status == "labelled"


def test_a_stage_closure_expires_the_labels_still_held() -> None:
    story = labelled_story()
    closure, expiry = story.when(CLOSE_STAGE_4)
    assert isinstance(closure, StageClosed)
    assert isinstance(expiry, LabelExpired)
    assert expiry.originator_id == cluster_id(AV)
    assert status_on(story.cluster(AV), date(2023, 1, 1)).status == "expired"


def test_retracting_a_grant_removes_it_from_the_state_but_not_the_history() -> None:
    story = labelled_story()
    story.when(correction(reason="wrong cluster"))
    corrected = story.cluster(AV)
    assert corrected.labels == ()
    assert corrected.version == 3
    assert len(story.history(cluster_id(AV))) == 3


def test_amending_a_grant_changes_its_terms() -> None:
    story = labelled_story()
    story.when(correction(reason="typo", amended={"decided_on": "2019-02-06"}))
    assert story.cluster(AV).labels[0].decided_on == date(2019, 2, 6)


def test_a_correction_must_name_an_event_of_its_own_cluster() -> None:
    story = labelled_story().given(registration("polymeris"))
    with pytest.raises(InvalidCommand):
        story.when(
            CorrectClusterEvent(slug="polymeris", event_id=f"cluster:{AV}@2", reason="wrong")
        )


def test_amending_the_recording_actor_is_rejected() -> None:
    with pytest.raises(InvalidCorrection):
        labelled_story().when(correction(reason="x", amended={"actor": "someone"}))


def test_retracting_the_registration_is_rejected() -> None:
    story = Story().given(registration(AV))
    with pytest.raises(InvalidCorrection):
        story.when(CorrectClusterEvent(slug=AV, event_id=f"cluster:{AV}@1", reason="x"))


def test_a_correction_cannot_be_folded_onto_a_state_without_its_history() -> None:
    story = labelled_story()
    labelled = story.cluster(AV)
    (retraction,) = story.when(correction(reason="wrong cluster"))
    with pytest.raises(NeedsWholeHistory):
        project_cluster(labelled, [retraction])
    with pytest.raises(NeedsWholeHistory):
        apply_cluster_event(labelled, retraction)


def test_replaying_the_history_rebuilds_the_same_state() -> None:
    story = labelled_story()
    story.when(membership())
    assert project_cluster(None, story.history(cluster_id(AV))) == story.cluster(AV)
