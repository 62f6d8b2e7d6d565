"""A stage of the policy (Stage 1, 2005-2008 ... Stage 5, 2023-2026)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from domain.corrections import effective_history
from domain.errors import (
    InvalidCommand,
    NeedsWholeHistory,
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
from domain.values import Criterion, EuropeanLevel, ReportedCount


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
