"""The derived views folded from events by the pure rules, with their canonical digests.

The same rules as the read models' (``domain.records``): each aggregate's events advance
its record in order, a correction refolds the aggregate's whole history (asked of the
caller, who reads it from wherever it trusts), and every criteria review is a row of its
own. Whoever folds the same events gets the same records, so the same digests: ``verify``
compares them with the stored read models, checkpoints commit to them, and the audit
client recomputes them from the feed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from hashlib import sha256
from typing import NamedTuple, TypeVar

import msgspec

from domain.cluster import Review
from domain.events import EventCorrected, LedgerEvent
from domain.records import (
    ClusterRecord,
    StageRecord,
    advance_cluster_record,
    cluster_record_from_history,
    evolve_stage_record,
    facets,
    stage_record_from_history,
)
from domain.view_digest import (
    CLUSTERS,
    FACETS,
    REVIEWS,
    STAGES,
    RowKey,
    row_digest,
    view_digest,
    views_digest,
)

T = TypeVar("T")
History = Callable[[str, int], Sequence[LedgerEvent]]
"""``(aggregate id, position)`` -> the aggregate's events up to that position, by version."""
PositionedEvent = tuple[int, LedgerEvent]
ReviewDigests = list[tuple[int, bytes]]
"""A cluster's review rows: ``(version, row digest)`` by version."""


class ViewFoldFailed(ValueError):
    """An event the rules cannot apply: the read models could not be built either."""

    def __init__(self, position: int, aggregate_id: str, reason: str) -> None:
        super().__init__(f"event of {aggregate_id} at position {position} does not fold: {reason}")
        self.position = position
        self.aggregate_id = aggregate_id


class ViewFold:
    """Every view of the ledger, folded event by event in ledger order."""

    def __init__(self, history: History | None = None, *, stored_forms: bool = False) -> None:
        self.history = history
        self.stored_forms = stored_forms
        self.forms: dict[RowKey, bytes] = {}
        """With ``stored_forms``: SHA-256 of each row's msgpack encoding, the form the read
        models store, so equal stored bytes need no decoding to be known equal."""
        self.clusters: dict[str, ClusterRecord] = {}
        self.stages: dict[str, StageRecord] = {}
        self.reviews: dict[str, ReviewDigests] = {}
        self._row_digests: dict[str, dict[str, bytes]] = {CLUSTERS: {}, STAGES: {}}
        self.view_digests: dict[str, bytes] = {}
        """Digests of the views no event changed since they were computed."""

    # --- folding ----------------------------------------------------------

    def apply(self, events: Sequence[PositionedEvent]) -> None:
        """Applies events in ledger order; raises ``ViewFoldFailed`` at the first that fails."""
        for aggregate_id, group in _by_aggregate(events).items():
            saved = self._saved(aggregate_id)
            try:
                self._apply_group(aggregate_id, group)
            except Exception:
                self._restore(aggregate_id, saved)
                self._apply_one_by_one(aggregate_id, group)
                raise

    def _apply_one_by_one(self, aggregate_id: str, group: Sequence[PositionedEvent]) -> None:
        for entry in group:
            try:
                self._apply_group(aggregate_id, [entry])
            except Exception as error:
                raise ViewFoldFailed(entry[0], aggregate_id, str(error)) from error

    def _apply_group(self, aggregate_id: str, group: Sequence[PositionedEvent]) -> None:
        start = 0
        for index, (position, event) in enumerate(group):
            if isinstance(event, EventCorrected):
                self._advance(aggregate_id, [e for _, e in group[start:index]])
                self._refold(aggregate_id, position)
                start = index + 1
        self._advance(aggregate_id, [e for _, e in group[start:]])

    def _advance(self, key: str, events: list[LedgerEvent]) -> None:
        if not events:
            return
        if key.startswith("cluster:"):
            advance = advance_cluster_record(self.clusters.get(key), events)
            self._set_cluster(key, advance.record)
            if advance.reviews:
                self.view_digests.pop(REVIEWS, None)
                self.reviews.setdefault(key, []).extend(_review_rows(key, advance.reviews))
                self._remember_reviews(key, advance.reviews)
            return
        stage = self.stages.get(key)
        for event in events:
            stage = evolve_stage_record(stage, event)
        assert stage is not None
        self._set_stage(key, stage)

    def _refold(self, key: str, position: int) -> None:
        if self.history is None:
            msg = "a correction needs the aggregate's history, and no source of it was given"
            raise ValueError(msg)
        history = self.history(key, position)
        if key.startswith("cluster:"):
            advance = cluster_record_from_history(history)
            self._set_cluster(key, advance.record)
            for version, _ in self.reviews.get(key, []):
                self.forms.pop((key, version), None)
            self.view_digests.pop(REVIEWS, None)
            self.reviews[key] = _review_rows(key, advance.reviews)
            self._remember_reviews(key, advance.reviews)
        else:
            self._set_stage(key, stage_record_from_history(history))

    def _set_cluster(self, key: str, record: ClusterRecord) -> None:
        self.clusters[key] = record
        self._row_digests[CLUSTERS].pop(key, None)
        self.view_digests.pop(CLUSTERS, None)
        if self.stored_forms:
            self.forms[(key,)] = stored_form(record)

    def _set_stage(self, key: str, record: StageRecord) -> None:
        self.stages[key] = record
        self._row_digests[STAGES].pop(key, None)
        self.view_digests.pop(STAGES, None)
        if self.stored_forms:
            self.forms[(key,)] = stored_form(record)

    def _remember_reviews(self, key: str, reviews: Sequence[Review]) -> None:
        if self.stored_forms:
            self.forms.update(((key, r.version), stored_form(r)) for r in reviews)

    def _saved(self, key: str) -> _Saved:
        reviews = self.reviews.get(key)
        return _Saved(self.clusters.get(key), self.stages.get(key), reviews and list(reviews))

    def _restore(self, key: str, saved: _Saved) -> None:
        _put(self.clusters, key, saved.cluster)
        _put(self.stages, key, saved.stage)
        _put(self.reviews, key, saved.reviews)
        for cache in self._row_digests.values():
            cache.pop(key, None)
        self.view_digests.clear()

    # --- digests ----------------------------------------------------------

    def rows(self, view: str) -> Iterator[tuple[RowKey, bytes]]:
        """``(key, row digest)`` of every row of ``view``, in key order."""
        if view == CLUSTERS:
            yield from self._cached_rows(CLUSTERS, self.clusters)
        elif view == STAGES:
            yield from self._cached_rows(STAGES, self.stages)
        elif view == REVIEWS:
            for cluster_id in sorted(self.reviews):
                for version, digest in self.reviews[cluster_id]:
                    yield (cluster_id, version), digest
        elif view == FACETS:
            for cluster_id in sorted(self.clusters):
                for facet, value in sorted(facets(self.clusters[cluster_id])):
                    key = (cluster_id, facet, value)
                    yield key, row_digest(key, None)
        else:
            raise ValueError(f"no view named {view!r}")

    def _cached_rows(
        self, view: str, records: dict[str, ClusterRecord] | dict[str, StageRecord]
    ) -> Iterator[tuple[RowKey, bytes]]:
        for key in sorted(records):
            digest = self.row_digest(view, key)
            assert digest is not None
            yield (key,), digest

    def row_digest(self, view: str, key: str) -> bytes | None:
        """The digest of one cluster's or stage's row (None: no such row)."""
        records = self.clusters if view == CLUSTERS else self.stages
        record = records.get(key)
        if record is None:
            return None
        cache = self._row_digests[view]
        digest = cache.get(key)
        if digest is None:
            digest = cache[key] = row_digest((key,), record)
        return digest

    def view_digest(self, view: str) -> bytes:
        digest = self.view_digests.get(view)
        if digest is None:
            digest = view_digest(view, (digest for _, digest in self.rows(view)))
            if view != FACETS:  # facets follow cluster records: not tracked apart
                self.view_digests[view] = digest
        return digest

    def views_digest(self) -> bytes:
        """The digest a checkpoint of the folded tree size commits to."""
        return views_digest({name: self.view_digest(name) for name in (CLUSTERS, REVIEWS, STAGES)})


class _Saved(NamedTuple):
    cluster: ClusterRecord | None
    stage: StageRecord | None
    reviews: ReviewDigests | None


def _put(table: dict[str, T], key: str, value: T | None) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


_msgpack = msgspec.msgpack.Encoder().encode


def stored_form(row: ClusterRecord | StageRecord | Review) -> bytes:
    """SHA-256 of a row as the read models store it (msgpack)."""
    return sha256(_msgpack(row)).digest()


def _review_rows(cluster_id: str, reviews: Sequence[Review]) -> ReviewDigests:
    return [(r.version, row_digest((cluster_id, r.version), r)) for r in reviews]


def _by_aggregate(events: Sequence[PositionedEvent]) -> dict[str, list[PositionedEvent]]:
    """The folded aggregates' events, each in ledger order, by order of first appearance."""
    groups: dict[str, list[PositionedEvent]] = {}
    for entry in events:
        aggregate_id = entry[1].originator_id
        group = groups.get(aggregate_id)
        if group is not None:
            group.append(entry)
        elif aggregate_id.startswith(("cluster:", "stage:")):
            groups[aggregate_id] = [entry]
    return groups
