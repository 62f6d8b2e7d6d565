"""The rules of stage commands: each checks the invariants, then returns new events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from domain.cluster_commands import expire_label
from domain.commands import (
    CloseStage,
    CorrectStageEvent,
    CriterionSpec,
    ExtendStagePeriod,
    OpenStage,
    ReportedCountSpec,
    ReportStageCount,
    ReviseStageCriteria,
    StageRequirements,
    target_version_of,
)
from domain.corrections import check_correction
from domain.envelope import Envelope, envelope
from domain.errors import (
    DuplicateStage,
    InvalidCommand,
    OutsideStagePeriod,
    StageAlreadyClosed,
    StageNotOpen,
)
from domain.events import (
    EventCorrected,
    LabelExpired,
    StageClosed,
    StageCountReported,
    StageCriteriaRevised,
    StageOpened,
    StagePeriodExtended,
)
from domain.given import Given
from domain.rules import rule
from domain.stage import Stage, project_stage
from domain.values import Criterion, EuropeanLevel, Provenance, ReportedCount, stage_id

# --- commands -------------------------------------------------------------


def _envelope(state: Stage | None, number: int, p: Provenance, effective_on: date) -> Envelope:
    next_version = 1 if state is None else state.version + 1
    return envelope(stage_id(number), next_version, p, effective_on)


def criteria_of(specs: Iterable[CriterionSpec]) -> tuple[Criterion, ...]:
    criteria = tuple(Criterion(**msgspec.structs.asdict(spec)) for spec in specs)
    codes = [c.code for c in criteria]
    if len(codes) != len(set(codes)):
        msg = "criterion codes must be unique within a stage"
        raise InvalidCommand(msg)
    return criteria


def reported_count(spec: ReportedCountSpec) -> ReportedCount:
    return ReportedCount(**msgspec.structs.asdict(spec))


def minimum_european_label(requirements: StageRequirements | None) -> EuropeanLevel | None:
    return None if requirements is None else requirements.minimum_european_label


@rule(OpenStage)
def open_stage(c: OpenStage, given: Given, p: Provenance) -> list[StageOpened]:
    if given.find_stage(c.number) is not None:
        msg = f"stage {c.number} is already open"
        raise DuplicateStage(msg)
    if c.ends_on < c.starts_on:
        msg = f"stage {c.number} would end ({c.ends_on}) before it starts ({c.starts_on})"
        raise InvalidCommand(msg)
    return [
        StageOpened(
            **_envelope(None, c.number, p, c.opened_on or c.starts_on),
            number=c.number,
            title=c.title,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            decided_by=c.decided_by,
            criteria=criteria_of(c.criteria),
            minimum_european_label=minimum_european_label(c.requirements),
            reported_counts=tuple(reported_count(r) for r in c.reported_counts),
        )
    ]


@rule(ReviseStageCriteria)
def revise_criteria(
    c: ReviseStageCriteria, given: Given, p: Provenance
) -> list[StageCriteriaRevised]:
    stage = open_stage_of(given, c.number)
    return [
        StageCriteriaRevised(
            **_envelope(stage, stage.number, p, c.revised_on),
            criteria=criteria_of(c.criteria),
            minimum_european_label=minimum_european_label(c.requirements),
            reason=c.reason or "",
        )
    ]


@rule(ExtendStagePeriod)
def extend_period(c: ExtendStagePeriod, given: Given, p: Provenance) -> list[StagePeriodExtended]:
    stage = open_stage_of(given, c.number)
    if c.ends_on <= stage.ends_on:
        msg = f"stage {stage.number} already runs to {stage.ends_on}"
        raise InvalidCommand(msg)
    return [
        StagePeriodExtended(
            **_envelope(stage, stage.number, p, c.decided_on),
            ends_on=c.ends_on,
            decided_by=c.decided_by or "",
            reason=c.reason or "",
        )
    ]


@rule(ReportStageCount)
def report_count(c: ReportStageCount, given: Given, p: Provenance) -> list[StageCountReported]:
    stage = given.stage(c.number)
    return [
        StageCountReported(
            **_envelope(stage, stage.number, p, c.reported.as_of),
            reported=reported_count(c.reported),
        )
    ]


@rule(CloseStage)
def close_stage(c: CloseStage, given: Given, p: Provenance) -> list[StageClosed | LabelExpired]:
    """Closes the stage and expires every label of it that a cluster still holds."""
    stage = given.stage(c.number)
    if stage.closed_on is not None:
        msg = f"stage {stage.number} was already closed on {stage.closed_on}"
        raise StageAlreadyClosed(msg)
    if c.closed_on < stage.starts_on:
        msg = f"stage {stage.number} cannot close before it starts ({stage.starts_on})"
        raise OutsideStagePeriod(msg)
    closure = StageClosed(**_envelope(stage, stage.number, p, c.closed_on), closed_on=c.closed_on)
    expiries = [
        expiry
        for cluster in given.clusters()
        if (expiry := expire_label(cluster, stage, p, closed_on=c.closed_on)) is not None
    ]
    return [closure, *expiries]


@rule(CorrectStageEvent)
def correct_stage_event(c: CorrectStageEvent, given: Given, p: Provenance) -> list[EventCorrected]:
    """A correction of the stage; it reads the stage's whole history."""
    stage = given.stage(c.number)
    version = target_version_of(c.event_id, stage.id)
    if version is None:
        msg = f"event {c.event_id} is not an event of {stage.id}"
        raise InvalidCommand(msg, field="event_id")
    history = given.history(stage.id)
    check_correction(history, version, c.amended)
    correction = EventCorrected(
        **_envelope(stage, stage.number, p, c.effective_on or p.recorded_at.date()),
        target_version=version,
        reason=c.reason,
        amended=c.amended,
    )
    project_stage(None, [*history, correction])
    return [correction]


def open_stage_of(given: Given, number: int) -> Stage:
    stage = given.stage(number)
    if not stage.is_open:
        msg = f"stage {stage.number} closed on {stage.closed_on}"
        raise StageNotOpen(msg)
    return stage
