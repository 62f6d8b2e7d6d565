"""A stage of the policy (Stage 1, 2005-2008 ... Stage 5, 2023-2026)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import msgspec

from domain.corrections import check_correction, effective_history
from domain.envelope import Envelope, envelope
from domain.errors import (
    DuplicateStage,
    InvalidCommand,
    NeedsWholeHistory,
    OutsideStagePeriod,
    StageAlreadyClosed,
    StageNotOpen,
)
from domain.events import (
    EventCorrected,
    LedgerEvent,
    StageClosed,
    StageCountReported,
    StageCriteriaRevised,
    StageOpened,
    StagePeriodExtended,
)
from domain.values import Criterion, EuropeanLevel, Provenance, ReportedCount, stage_id


class Stage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    version: int
    number: int
    title: str
    starts_on: date
    ends_on: date
    decided_by: str
    criteria: tuple[Criterion, ...]
    minimum_european_label: EuropeanLevel | None
    reported_counts: tuple[ReportedCount, ...]
    closed_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def criterion(self, code: str) -> Criterion | None:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        return None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


# --- replay ---------------------------------------------------------------


def project_stage(state: Stage | None, events: Iterable[LedgerEvent]) -> Stage | None:
    """Folds events onto a stage; a correction refolds the history, so needs all of it."""
    from_state = state is not None
    history: list[LedgerEvent] = []
    for event in events:
        history.append(event)
        if isinstance(event, EventCorrected):
            if from_state:
                raise NeedsWholeHistory(event.originator_id)
            state = fold_stage(effective_history(history))
        else:
            state = evolve_stage(state, event)
    if state is None or not history:
        return state
    return msgspec.structs.replace(state, version=history[-1].originator_version)


def apply_stage_event(state: Stage | None, event: LedgerEvent) -> Stage:
    """Applies one recorded event that is not a correction."""
    if isinstance(event, EventCorrected):
        raise NeedsWholeHistory(event.originator_id)
    return msgspec.structs.replace(evolve_stage(state, event), version=event.originator_version)


def fold_stage(events: Iterable[LedgerEvent]) -> Stage:
    state: Stage | None = None
    for event in events:
        state = evolve_stage(state, event)
    if state is None:
        msg = "a stage's history cannot be retracted entirely"
        raise InvalidCommand(msg)
    return state


def evolve_stage(state: Stage | None, event: LedgerEvent) -> Stage:
    if isinstance(event, StageOpened):
        return Stage(
            id=event.originator_id,
            version=event.originator_version,
            number=event.number,
            title=event.title,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            decided_by=event.decided_by,
            criteria=event.criteria,
            minimum_european_label=event.minimum_european_label,
            reported_counts=event.reported_counts,
        )
    assert state is not None, f"{type(event).__name__} before StageOpened"
    replace = msgspec.structs.replace
    if isinstance(event, StageCriteriaRevised):
        return replace(
            state, criteria=event.criteria, minimum_european_label=event.minimum_european_label
        )
    if isinstance(event, StagePeriodExtended):
        return replace(state, ends_on=event.ends_on)
    if isinstance(event, StageCountReported):
        return replace(state, reported_counts=(*state.reported_counts, event.reported))
    if isinstance(event, StageClosed):
        return replace(state, closed_on=event.closed_on)
    return state


# --- commands -------------------------------------------------------------


def _envelope(state: Stage | None, number: int, p: Provenance, effective_on: date) -> Envelope:
    next_version = 1 if state is None else state.version + 1
    return envelope(stage_id(number), next_version, p, effective_on)


def open_stage(  # noqa: PLR0913 - a stage opening carries this many facts
    existing: Stage | None,
    p: Provenance,
    *,
    number: int,
    title: str,
    starts_on: date,
    ends_on: date,
    decided_by: str,
    criteria: tuple[Criterion, ...] = (),
    minimum_european_label: EuropeanLevel | None = None,
    reported_counts: tuple[ReportedCount, ...] = (),
    opened_on: date | None = None,
) -> StageOpened:
    if existing is not None:
        msg = f"stage {number} is already open"
        raise DuplicateStage(msg)
    if number < 1:
        msg = "stage numbers start at 1"
        raise InvalidCommand(msg)
    if ends_on < starts_on:
        msg = f"stage {number} would end ({ends_on}) before it starts ({starts_on})"
        raise InvalidCommand(msg)
    check_unique_codes(criteria)
    return StageOpened(
        **_envelope(None, number, p, opened_on or starts_on),
        number=number,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        decided_by=decided_by,
        criteria=criteria,
        minimum_european_label=minimum_european_label,
        reported_counts=reported_counts,
    )


def check_unique_codes(criteria: tuple[Criterion, ...]) -> None:
    codes = [c.code for c in criteria]
    if len(codes) != len(set(codes)):
        msg = "criterion codes must be unique within a stage"
        raise InvalidCommand(msg)


def revise_criteria(
    stage: Stage,
    p: Provenance,
    *,
    criteria: tuple[Criterion, ...],
    minimum_european_label: EuropeanLevel | None,
    revised_on: date,
    reason: str = "",
) -> StageCriteriaRevised:
    check_open(stage)
    check_unique_codes(criteria)
    return StageCriteriaRevised(
        **_envelope(stage, stage.number, p, revised_on),
        criteria=criteria,
        minimum_european_label=minimum_european_label,
        reason=reason,
    )


def extend_period(
    stage: Stage,
    p: Provenance,
    *,
    ends_on: date,
    decided_on: date,
    decided_by: str = "",
    reason: str = "",
) -> StagePeriodExtended:
    check_open(stage)
    if ends_on <= stage.ends_on:
        msg = f"stage {stage.number} already runs to {stage.ends_on}"
        raise InvalidCommand(msg)
    return StagePeriodExtended(
        **_envelope(stage, stage.number, p, decided_on),
        ends_on=ends_on,
        decided_by=decided_by,
        reason=reason,
    )


def report_count(stage: Stage, p: Provenance, *, reported: ReportedCount) -> StageCountReported:
    return StageCountReported(
        **_envelope(stage, stage.number, p, reported.as_of),
        reported=reported,
    )


def close_stage(stage: Stage, p: Provenance, *, closed_on: date) -> StageClosed:
    if stage.closed_on is not None:
        msg = f"stage {stage.number} was already closed on {stage.closed_on}"
        raise StageAlreadyClosed(msg)
    if closed_on < stage.starts_on:
        msg = f"stage {stage.number} cannot close before it starts ({stage.starts_on})"
        raise OutsideStagePeriod(msg)
    return StageClosed(
        **_envelope(stage, stage.number, p, closed_on),
        closed_on=closed_on,
    )


def correct_stage_event(
    stage: Stage,
    history: Sequence[LedgerEvent],
    p: Provenance,
    *,
    target_version: int,
    reason: str,
    amended: dict[str, object] | None,
    effective_on: date,
) -> EventCorrected:
    """A correction of the stage, whose ``history`` is every event it has so far."""
    check_correction(history, target_version, amended)
    correction = EventCorrected(
        **_envelope(stage, stage.number, p, effective_on),
        target_version=target_version,
        reason=reason,
        amended=amended,
    )
    project_stage(None, [*history, correction])
    return correction


def check_open(stage: Stage) -> None:
    if not stage.is_open:
        msg = f"stage {stage.number} closed on {stage.closed_on}"
        raise StageNotOpen(msg)
