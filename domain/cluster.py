"""A labelled cluster (pôle de compétitivité): its state and how events evolve it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import msgspec

from domain.corrections import effective_history
from domain.errors import InvalidCommand
from domain.events import (
    ClusterAbsorbed,
    ClusterDissolved,
    ClusterMerged,
    ClusterRegistered,
    ClusterRenamed,
    CriteriaReviewed,
    EuropeanLabelAwarded,
    EventCorrected,
    LabelExpired,
    LabelExtended,
    LabelGranted,
    LabelWithdrawn,
    LedgerEvent,
    MembershipReported,
)
from domain.values import EuropeanLevel, LabelState, MemberCounts, Tier


class LabelRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One grant of the State label for a stage, and what became of it."""

    stage: int
    granted_version: int
    decided_on: date
    decided_by: str
    effective_from: date
    valid_until: date | None
    decision_ref: str | None
    tier: Tier | None
    conditions: tuple[str, ...]
    state: LabelState = "active"
    ended_on: date | None = None
    extensions: int = 0

    @property
    def is_conditional(self) -> bool:
        return bool(self.conditions)


class EuropeanLabel(msgspec.Struct, frozen=True, kw_only=True):
    level: EuropeanLevel
    awarded_on: date
    valid_until: date | None
    issuer: str
    version: int

    def is_valid_on(self, day: date) -> bool:
        return self.awarded_on <= day and (self.valid_until is None or day <= self.valid_until)


class Review(msgspec.Struct, frozen=True, kw_only=True):
    stage: int
    reviewed_on: date
    reviewer: str
    kind: str
    measurements: dict[str, float]
    outcome: str
    classification: str | None
    version: int


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    members: MemberCounts
    private_funding_share: float | None
    european_projects: int | None
    version: int


class Cluster(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    version: int
    slug: str
    name: str
    regions: tuple[str, ...]
    themes: tuple[str, ...]
    website: str | None
    founded_on: date | None
    registered_on: date
    former_names: tuple[str, ...] = ()
    merged_into: str | None = None
    merged_on: date | None = None
    dissolved_on: date | None = None
    absorbed: tuple[str, ...] = ()
    labels: tuple[LabelRecord, ...] = ()
    european_labels: tuple[EuropeanLabel, ...] = ()
    reviews: tuple[Review, ...] = ()
    memberships: tuple[Membership, ...] = ()
    history: tuple[LedgerEvent, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.merged_into is None and self.dissolved_on is None

    @property
    def active_label(self) -> LabelRecord | None:
        return next((lb for lb in reversed(self.labels) if lb.state == "active"), None)

    def label_for_stage(self, stage: int) -> LabelRecord | None:
        """The stage's grant that was not withdrawn, if any."""
        return next(
            (lb for lb in reversed(self.labels) if lb.stage == stage and lb.state != "withdrawn"),
            None,
        )


# --- replay ---------------------------------------------------------------


def project_cluster(state: Cluster | None, events: Iterable[LedgerEvent]) -> Cluster | None:
    for event in events:
        state = apply_cluster_event(state, event)
    return state


def apply_cluster_event(state: Cluster | None, event: LedgerEvent) -> Cluster:
    """Applies one recorded event; a correction refolds the corrected history."""
    if isinstance(event, EventCorrected):
        assert state is not None
        history = (*state.history, event)
        rebuilt = fold_cluster(effective_history(history))
        return msgspec.structs.replace(rebuilt, version=event.originator_version, history=history)
    state = evolve_cluster(state, event)
    return msgspec.structs.replace(
        state, version=event.originator_version, history=(*state.history, event)
    )


def fold_cluster(events: Iterable[LedgerEvent]) -> Cluster:
    state: Cluster | None = None
    for event in events:
        state = evolve_cluster(state, event)
    if state is None:
        msg = "a cluster's registration cannot be retracted"
        raise InvalidCommand(msg)
    return state


def evolve_cluster(state: Cluster | None, event: LedgerEvent) -> Cluster:
    if isinstance(event, ClusterRegistered):
        return Cluster(
            id=event.originator_id,
            version=event.originator_version,
            slug=event.slug,
            name=event.name,
            regions=event.regions,
            themes=event.themes,
            website=event.website,
            founded_on=event.founded_on,
            registered_on=event.effective_on,
        )
    assert state is not None, f"{type(event).__name__} before ClusterRegistered"
    handler = _HANDLERS.get(type(event))
    return state if handler is None else handler(state, event)


def _renamed(state: Cluster, e: ClusterRenamed) -> Cluster:
    return msgspec.structs.replace(
        state, name=e.name, former_names=(*state.former_names, state.name)
    )


def _merged(state: Cluster, e: ClusterMerged) -> Cluster:
    return msgspec.structs.replace(
        _end_active_label(state, "merged", e.effective_on),
        merged_into=e.into,
        merged_on=e.effective_on,
    )


def _absorbed(state: Cluster, e: ClusterAbsorbed) -> Cluster:
    return msgspec.structs.replace(state, absorbed=(*state.absorbed, e.absorbed))


def _dissolved(state: Cluster, e: ClusterDissolved) -> Cluster:
    return msgspec.structs.replace(
        _end_active_label(state, "dissolved", e.effective_on), dissolved_on=e.effective_on
    )


def _granted(state: Cluster, e: LabelGranted) -> Cluster:
    record = LabelRecord(
        stage=e.stage,
        granted_version=e.originator_version,
        decided_on=e.decided_on,
        decided_by=e.decided_by,
        effective_from=e.effective_from,
        valid_until=e.valid_until,
        decision_ref=e.decision_ref,
        tier=e.tier,
        conditions=e.conditions,
    )
    return msgspec.structs.replace(state, labels=(*state.labels, record))


def _extended(state: Cluster, e: LabelExtended) -> Cluster:
    return _replace_label(
        state,
        e.stage,
        lambda lb: msgspec.structs.replace(
            lb, valid_until=e.valid_until, conditions=e.conditions, extensions=lb.extensions + 1
        ),
    )


def _withdrawn(state: Cluster, e: LabelWithdrawn) -> Cluster:
    return _replace_label(
        state,
        e.stage,
        lambda lb: msgspec.structs.replace(lb, state="withdrawn", ended_on=e.effective_on),
    )


def _expired(state: Cluster, e: LabelExpired) -> Cluster:
    return _replace_label(
        state,
        e.stage,
        lambda lb: msgspec.structs.replace(lb, state="expired", ended_on=e.effective_on),
    )


def _reviewed(state: Cluster, e: CriteriaReviewed) -> Cluster:
    review = Review(
        stage=e.stage,
        reviewed_on=e.reviewed_on,
        reviewer=e.reviewer,
        kind=e.kind,
        measurements=e.measurements,
        outcome=e.outcome,
        classification=e.classification,
        version=e.originator_version,
    )
    return msgspec.structs.replace(state, reviews=(*state.reviews, review))


def _awarded(state: Cluster, e: EuropeanLabelAwarded) -> Cluster:
    award = EuropeanLabel(
        level=e.level,
        awarded_on=e.awarded_on,
        valid_until=e.valid_until,
        issuer=e.issuer,
        version=e.originator_version,
    )
    return msgspec.structs.replace(state, european_labels=(*state.european_labels, award))


def _reported(state: Cluster, e: MembershipReported) -> Cluster:
    report = Membership(
        as_of=e.as_of,
        members=e.members,
        private_funding_share=e.private_funding_share,
        european_projects=e.european_projects,
        version=e.originator_version,
    )
    return msgspec.structs.replace(state, memberships=(*state.memberships, report))


def _replace_label(
    state: Cluster, stage: int, change: Callable[[LabelRecord], LabelRecord]
) -> Cluster:
    labels = list(state.labels)
    for index in range(len(labels) - 1, -1, -1):
        if labels[index].stage == stage and labels[index].state == "active":
            labels[index] = change(labels[index])
            break
    return msgspec.structs.replace(state, labels=tuple(labels))


def _end_active_label(state: Cluster, how: LabelState, on: date) -> Cluster:
    active = state.active_label
    if active is None:
        return state
    return _replace_label(
        state, active.stage, lambda lb: msgspec.structs.replace(lb, state=how, ended_on=on)
    )


_HANDLERS: dict[type[LedgerEvent], Callable[[Cluster, Any], Cluster]] = {
    ClusterRenamed: _renamed,
    ClusterMerged: _merged,
    ClusterAbsorbed: _absorbed,
    ClusterDissolved: _dissolved,
    LabelGranted: _granted,
    LabelExtended: _extended,
    LabelWithdrawn: _withdrawn,
    LabelExpired: _expired,
    CriteriaReviewed: _reviewed,
    EuropeanLabelAwarded: _awarded,
    MembershipReported: _reported,
}
