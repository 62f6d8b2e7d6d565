"""What the server serves, compared with what the audited log implies.

Statuses are computed from the audited cluster records by the same pure rule as the
server's (``domain.status_view``) for the day the server answered for (``as_of``); stage
histories likewise (``domain.stage_history``). A cluster with events after the audited
checkpoint cannot be judged from it and is skipped; its version still must not be
below what the log says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import msgspec

from domain.records import ClusterRecord, StageRecord, slug_of
from domain.stage_history import stage_history
from domain.status_view import cluster_status_view
from infrastructure.auditor.remote import Remote


class Mismatch(msgspec.Struct, frozen=True, kw_only=True):
    aggregate_id: str
    what: str
    detail: str


class SpotCheck(msgspec.Struct, frozen=True, kw_only=True):
    clusters_checked: int
    clusters_skipped: int
    stages_checked: int
    mismatch: Mismatch | None


def spot_check(
    remote: Remote,
    clusters: Mapping[str, ClusterRecord],
    stages: Mapping[str, StageRecord],
    later_version: Callable[[str], int | None],
    *,
    log_moved_on: bool,
    sample: int,
) -> SpotCheck:
    """``later_version(aggregate)``: its version after the checkpoint, if it has one."""
    checked = skipped = 0
    served = remote.json("/clusters")
    by_slug = {str(item.get("slug")): item for item in served if isinstance(item, dict)}
    for cluster_id, record in sorted(clusters.items()):
        slug = slug_of(cluster_id)
        moved = later_version(cluster_id)
        item = by_slug.pop(slug, None)
        if moved is not None:
            skipped += 1
            continue
        if item is None:
            return _result(checked, skipped, 0, cluster_id, "GET /clusters", "does not list it")
        mismatch = _status_mismatch(cluster_id, record, item, "GET /clusters")
        if mismatch is not None:
            return SpotCheck(
                clusters_checked=checked, clusters_skipped=skipped, stages_checked=0,
                mismatch=mismatch,
            )
        checked += 1
    if by_slug:
        extra = sorted(by_slug)[0]
        return _result(checked, skipped, 0, f"cluster:{extra}", "GET /clusters",
                       "lists a cluster the log does not have")
    for cluster_id in _sample(clusters, sample, later_version):
        item = remote.json(f"/clusters/{slug_of(cluster_id)}")
        mismatch = _status_mismatch(cluster_id, clusters[cluster_id], item, "GET /clusters/{slug}")
        if mismatch is not None:
            return SpotCheck(
                clusters_checked=checked, clusters_skipped=skipped, stages_checked=0,
                mismatch=mismatch,
            )
    if log_moved_on:
        return SpotCheck(clusters_checked=checked, clusters_skipped=skipped, stages_checked=0,
                         mismatch=None)
    records = sorted(clusters.values(), key=lambda r: r.slug)
    for stage_id, stage in sorted(stages.items()):
        path = f"/stages/{stage.stage.number}"
        expected = _normalised(stage_history(stage, records))
        if _normalised_json(remote.json(path)) != expected:
            return _result(checked, skipped, 0, stage_id, f"GET {path}",
                           "serves a stage history the log does not imply")
    return SpotCheck(
        clusters_checked=checked, clusters_skipped=skipped, stages_checked=len(stages),
        mismatch=None,
    )


def _status_mismatch(
    cluster_id: str, record: ClusterRecord, item: Any, where: str
) -> Mismatch | None:
    try:
        day = date.fromisoformat(str(item["as_of"]))
    except (KeyError, TypeError, ValueError):
        return Mismatch(aggregate_id=cluster_id, what=where, detail="serves no as_of date")
    expected = msgspec.json.decode(msgspec.json.encode(cluster_status_view(record, day)))
    actual = msgspec.json.decode(msgspec.json.encode(item))
    if actual == expected:
        return None
    fields = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    shown = ", ".join(f"{k}={actual.get(k)!r} (the log implies {expected.get(k)!r})"
                      for k in fields[:3])
    return Mismatch(aggregate_id=cluster_id, what=where, detail=f"serves {shown}")


def _sample(
    clusters: Mapping[str, ClusterRecord], size: int, later: Callable[[str], int | None]
) -> list[str]:
    import random

    still = [c for c in sorted(clusters) if later(c) is None]
    return random.sample(still, min(size, len(still)))


def _normalised(view: Any) -> Any:
    return _normalised_json(msgspec.json.decode(msgspec.json.encode(view)))


def _normalised_json(value: Any) -> Any:
    """Lists of entries compared as sets: the server's SQL order need not be code-point order."""
    if isinstance(value, dict):
        return {k: _normalised_json(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalised_json(v) for v in value]
        return sorted(items, key=lambda v: msgspec.json.encode(v, order="sorted"))
    return value


def _result(
    checked: int, skipped: int, stages: int, aggregate_id: str, what: str, detail: str
) -> SpotCheck:
    return SpotCheck(
        clusters_checked=checked,
        clusters_skipped=skipped,
        stages_checked=stages,
        mismatch=Mismatch(aggregate_id=aggregate_id, what=what, detail=detail),
    )
