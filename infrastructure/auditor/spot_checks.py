"""What the server serves, compared with what the audited log implies.

Statuses are computed from the audited cluster records by the same pure rule as the
server's (``domain.status_view``) for the day the server answered for (``as_of``); stage
histories likewise (``domain.stage_history``). A cluster with events after the audited
checkpoint cannot be judged from it and is skipped; its version still must not be
below what the log says.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import msgspec

from domain.records import ClusterRecord, StageRecord, slug_of
from domain.stage_history import stage_history
from domain.status_view import cluster_status_view
from infrastructure.auditor.remote import Remote

LIST_ABOVE = 200
"""More touched clusters than this: one request for every status beats one per cluster."""


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
    touched: set[str] | None = None,
    touched_from: Mapping[str, int] | None = None,
) -> SpotCheck:
    """Served statuses of every cluster (``touched`` None: a first run, one request for all),
    or of those the new events touched plus a random sample; then, if the log has not moved
    on since the checkpoint, the stage histories they may change. ``later_version(aggregate)``:
    its version after the checkpoint, if it has events there; ``touched_from``: the version
    each touched aggregate had before the new events."""
    if touched is None or len(touched) > LIST_ABOVE:
        check = _every_status(remote, clusters, later_version)
    else:
        check = _some_statuses(remote, clusters, later_version, touched, sample)
    if check.mismatch is not None or log_moved_on:
        return check
    records = sorted(clusters.values(), key=lambda r: r.slug)
    chosen = _stages_to_check(stages, clusters, touched, touched_from or {})
    for stage_id, stage in chosen:
        path = f"/stages/{stage.stage.number}"
        expected = _normalised(stage_history(stage, records))
        if _normalised_json(remote.json(path)) != expected:
            return _result(check.clusters_checked, check.clusters_skipped, 0, stage_id,
                           f"GET {path}", "serves a stage history the log does not imply")
    return msgspec.structs.replace(check, stages_checked=len(chosen))


def _stages_to_check(
    stages: Mapping[str, StageRecord],
    clusters: Mapping[str, ClusterRecord],
    touched: set[str] | None,
    touched_from: Mapping[str, int],
) -> list[tuple[str, StageRecord]]:
    """Every stage on a first run; later, the stages the new events changed, every stage
    from the earliest one a touched cluster has a label decision in (later stages' renewals
    depend on it), and one more at random: each history costs the server a full read."""
    ordered = sorted(stages.items())
    if touched is None:
        return ordered
    wanted = {key for key in touched if key in stages}
    decided = [
        m.stage
        for key in touched
        if key in clusters
        for m in clusters[key].milestones
        if m.stage is not None and _version_of(m.event_id) > touched_from.get(key, 0)
    ]
    if decided:
        wanted |= {key for key, stage in ordered if stage.stage.number >= min(decided)}
    if ordered:
        wanted.add(random.choice(ordered)[0])
    return [(key, stage) for key, stage in ordered if key in wanted]


def _every_status(
    remote: Remote,
    clusters: Mapping[str, ClusterRecord],
    later_version: Callable[[str], int | None],
) -> SpotCheck:
    checked = skipped = 0
    served = remote.json("/clusters")
    by_slug = {str(item.get("slug")): item for item in served if isinstance(item, dict)}
    for cluster_id, record in sorted(clusters.items()):
        item = by_slug.pop(slug_of(cluster_id), None)
        if later_version(cluster_id) is not None:
            skipped += 1
            continue
        if item is None:
            return _result(checked, skipped, 0, cluster_id, "GET /clusters", "does not list it")
        mismatch = _status_mismatch(cluster_id, record, item, "GET /clusters")
        if mismatch is not None:
            return SpotCheck(clusters_checked=checked, clusters_skipped=skipped,
                             stages_checked=0, mismatch=mismatch)
        checked += 1
    extra = sorted(s for s in by_slug if later_version(f"cluster:{s}") is None)
    if extra:
        return _result(checked, skipped, 0, f"cluster:{extra[0]}", "GET /clusters",
                       "lists a cluster the log does not have")
    return SpotCheck(clusters_checked=checked, clusters_skipped=skipped, stages_checked=0,
                     mismatch=None)


def _some_statuses(
    remote: Remote,
    clusters: Mapping[str, ClusterRecord],
    later_version: Callable[[str], int | None],
    touched: set[str],
    sample: int,
) -> SpotCheck:
    still = [c for c in sorted(clusters) if later_version(c) is None]
    chosen = sorted({c for c in touched if c in clusters and later_version(c) is None}
                    | set(random.sample(still, min(sample, len(still)))))
    for checked, cluster_id in enumerate(chosen):
        item = remote.json(f"/clusters/{slug_of(cluster_id)}")
        mismatch = _status_mismatch(cluster_id, clusters[cluster_id], item, "GET /clusters/{slug}")
        if mismatch is not None:
            return SpotCheck(clusters_checked=checked, clusters_skipped=0, stages_checked=0,
                             mismatch=mismatch)
    return SpotCheck(clusters_checked=len(chosen), clusters_skipped=len(clusters) - len(still),
                     stages_checked=0, mismatch=None)


def _status_mismatch(
    cluster_id: str, record: ClusterRecord, item: Any, where: str
) -> Mismatch | None:
    try:
        day = date.fromisoformat(str(item["as_of"]))
    except (KeyError, TypeError, ValueError):
        return Mismatch(aggregate_id=cluster_id, what=where, detail="serves no as_of date")
    expected = msgspec.json.decode(msgspec.json.encode(cluster_status_view(record, day)))
    actual = item  # decoded from JSON already: compared as JSON values
    if actual == expected:
        return None
    fields = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    shown = ", ".join(f"{k}={actual.get(k)!r} (the log implies {expected.get(k)!r})"
                      for k in fields[:3])
    return Mismatch(aggregate_id=cluster_id, what=where, detail=f"serves {shown}")


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


def _version_of(event_id: str) -> int:
    try:
        return int(event_id.rsplit("@", 1)[1])
    except (IndexError, ValueError):
        return 0
