"""A labelled cluster (pôle de compétitivité): its state and how events evolve it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import msgspec

from domain.corrections import effective_history
from domain.errors import InvalidCommand, NeedsWholeHistory
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


class LabelRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False):
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


class EuropeanLabel(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    level: EuropeanLevel
    awarded_on: date
    valid_until: date | None
    issuer: str
    version: int

    def is_valid_on(self, day: date) -> bool:
        return self.awarded_on <= day and (self.valid_until is None or day <= self.valid_until)


class Review(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    stage: int
    reviewed_on: date
    reviewer: str
    kind: str
    measurements: dict[str, float]
    outcome: str
    classification: str | None
    version: int


class Membership(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    as_of: date
    members: MemberCounts
    private_funding_share: float | None
    european_projects: int | None
    version: int


class Cluster(msgspec.Struct, frozen=True, kw_only=True, gc=False):
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
#
# Events are applied to a copy-on-write draft and frozen once at the end: a fold
# of n events copies each collection once, not once per event.


class Draft:
    """A cluster being evolved: untouched fields are read from the frozen base.

    A fold (``many=True``) appends to lists it owns and freezes once; a single event
    appends by extending the base's tuple, which copies it once instead of twice.
    """

    __slots__ = ("base", "changes", "many")

    def __init__(self, base: Cluster, *, many: bool = True) -> None:
        self.base = base
        self.changes: dict[str, Any] = {}
        self.many = many

    def __getitem__(self, name: str) -> Any:
        if name in self.changes:
            return self.changes[name]
        return getattr(self.base, name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.changes[name] = value

    def append(self, name: str, item: Any) -> None:
        if self.many:
            self.items(name).append(item)
        else:
            self.changes[name] = (*self[name], item)

    def items(self, name: str) -> list[Any]:
        """A collection field as a list that this draft owns and may change."""
        current = self.changes.get(name)
        if not isinstance(current, list):
            current = self.changes[name] = list(self[name])
        return current

    def freeze(self) -> Cluster:
        if not self.changes:
            return self.base
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in self.changes.items()}
        return msgspec.structs.replace(self.base, **frozen)


def project_cluster(state: Cluster | None, events: Iterable[LedgerEvent]) -> Cluster | None:
    """Folds recorded events onto a cluster.

    A correction refolds the corrected history, so a fold that meets one must start
    from the registration (``state`` None): the state does not carry its events.
    """
    history: list[LedgerEvent] = []
    draft = None if state is None else Draft(state)
    for event in events:
        history.append(event)
        if isinstance(event, EventCorrected):
            if state is not None:
                raise NeedsWholeHistory(event.originator_id)
            draft = Draft(fold_cluster(effective_history(history)))
        else:
            draft = _evolve_draft(draft, event)
    if draft is None or not history:
        return state
    draft["version"] = history[-1].originator_version
    return draft.freeze()


def apply_cluster_event(state: Cluster | None, event: LedgerEvent) -> Cluster:
    """Applies one recorded event that is not a correction."""
    if isinstance(event, EventCorrected):
        raise NeedsWholeHistory(event.originator_id)
    draft = _evolve_draft(None if state is None else Draft(state, many=False), event)
    draft["version"] = event.originator_version
    return draft.freeze()


def fold_cluster(events: Iterable[LedgerEvent]) -> Cluster:
    """The state an (already corrected) history leads to, without the history itself."""
    draft: Draft | None = None
    for event in events:
        draft = _evolve_draft(draft, event)
    if draft is None:
        msg = "a cluster's registration cannot be retracted"
        raise InvalidCommand(msg)
    return draft.freeze()


def evolve_cluster(state: Cluster | None, event: LedgerEvent) -> Cluster:
    """One step of the fold (version and history are the caller's concern)."""
    return _evolve_draft(None if state is None else Draft(state), event).freeze()


def _evolve_draft(draft: Draft | None, event: LedgerEvent) -> Draft:
    if isinstance(event, ClusterRegistered):
        return Draft(
            Cluster(
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
        )
    assert draft is not None, f"{type(event).__name__} before ClusterRegistered"
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(draft, event)
    return draft


def _renamed(d: Draft, e: ClusterRenamed) -> None:
    d.append("former_names", d["name"])
    d["name"] = e.name


def _merged(d: Draft, e: ClusterMerged) -> None:
    _end_active_label(d, "merged", e.effective_on)
    d["merged_into"] = e.into
    d["merged_on"] = e.effective_on


def _absorbed(d: Draft, e: ClusterAbsorbed) -> None:
    d.append("absorbed", e.absorbed)


def _dissolved(d: Draft, e: ClusterDissolved) -> None:
    _end_active_label(d, "dissolved", e.effective_on)
    d["dissolved_on"] = e.effective_on


def _granted(d: Draft, e: LabelGranted) -> None:
    d.append(
        "labels",
        LabelRecord(
            stage=e.stage,
            granted_version=e.originator_version,
            decided_on=e.decided_on,
            decided_by=e.decided_by,
            effective_from=e.effective_from,
            valid_until=e.valid_until,
            decision_ref=e.decision_ref,
            tier=e.tier,
            conditions=e.conditions,
        ),
    )


def _extended(d: Draft, e: LabelExtended) -> None:
    _replace_label(
        d,
        e.stage,
        lambda lb: msgspec.structs.replace(
            lb, valid_until=e.valid_until, conditions=e.conditions, extensions=lb.extensions + 1
        ),
    )


def _withdrawn(d: Draft, e: LabelWithdrawn) -> None:
    _replace_label(
        d,
        e.stage,
        lambda lb: msgspec.structs.replace(lb, state="withdrawn", ended_on=e.effective_on),
    )


def _expired(d: Draft, e: LabelExpired) -> None:
    _replace_label(
        d, e.stage, lambda lb: msgspec.structs.replace(lb, state="expired", ended_on=e.effective_on)
    )


def _reviewed(d: Draft, e: CriteriaReviewed) -> None:
    d.append(
        "reviews",
        Review(
            stage=e.stage,
            reviewed_on=e.reviewed_on,
            reviewer=e.reviewer,
            kind=e.kind,
            measurements=e.measurements,
            outcome=e.outcome,
            classification=e.classification,
            version=e.originator_version,
        ),
    )


def _awarded(d: Draft, e: EuropeanLabelAwarded) -> None:
    d.append(
        "european_labels",
        EuropeanLabel(
            level=e.level,
            awarded_on=e.awarded_on,
            valid_until=e.valid_until,
            issuer=e.issuer,
            version=e.originator_version,
        ),
    )


def _reported(d: Draft, e: MembershipReported) -> None:
    d.append(
        "memberships",
        Membership(
            as_of=e.as_of,
            members=e.members,
            private_funding_share=e.private_funding_share,
            european_projects=e.european_projects,
            version=e.originator_version,
        ),
    )


def _replace_label(d: Draft, stage: int, change: Callable[[LabelRecord], LabelRecord]) -> None:
    labels: list[LabelRecord] = d.items("labels")
    for index in range(len(labels) - 1, -1, -1):
        if labels[index].stage == stage and labels[index].state == "active":
            labels[index] = change(labels[index])
            return


def _end_active_label(d: Draft, how: LabelState, on: date) -> None:
    labels: tuple[LabelRecord, ...] | list[LabelRecord] = d["labels"]
    active = next((lb for lb in reversed(labels) if lb.state == "active"), None)
    if active is not None:
        _replace_label(
            d, active.stage, lambda lb: msgspec.structs.replace(lb, state=how, ended_on=on)
        )


_HANDLERS: dict[type[LedgerEvent], Callable[[Draft, Any], None]] = {
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
