"""What auditors ask of the ledger, answered from the read models (and, for the
bitemporal question, from the events themselves).

Every answer is read in one snapshot whose read models are at the ledger's
last position; read models behind or ahead raise ProjectionBehind.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from domain import compliance as compliance_rules
from domain import stage_history as history_rules
from domain.as_of import cluster_record_at, first_effective_on, in_effect
from domain.bitemporal import BitemporalStatusView, HistoryEntry, bitemporal_status
from domain.cluster import Review
from domain.compliance import ComplianceView, Finding
from domain.errors import ClusterNotFound, NotYetRegistered, ProjectionBehind
from domain.label_timeline import StageSeries
from domain.label_timeline import labelled_timeline as build_timeline
from domain.records import ClusterRecord, StageRecord, cluster_record_from_history
from domain.reports import SummaryReport, summary_rows
from domain.reports import summary_report as build_summary
from domain.stage_history import StageEntry, StageHistoryView, StageSummaryView
from domain.status import ClusterStatus
from domain.status_view import ClusterStatusView, cluster_status_view
from domain.values import cluster_id, stage_id
from infrastructure.history.vocabulary import EDITORIAL_NOTE, vocabulary
from infrastructure.ledger import Ledger
from infrastructure.projections import filters
from infrastructure.projections.filters import Names, matching
from infrastructure.projections.read_models import (
    CLUSTER_DECODER,
    REVIEW_DECODER,
    STAGE_DECODER,
)
from infrastructure.projections.reading import TODAY, Reading, folds
from infrastructure.projections.tables import (
    CLUSTER_FACETS,
    CLUSTER_REVIEWS,
    CLUSTER_STATES,
    PROJECTION,
    STAGE_STATES,
    behind_message,
    positions_columns,
)
from infrastructure.store.sql import Tx

__all__ = [
    "BitemporalStatusView",
    "ClusterStatusView",
    "ComplianceView",
    "Finding",
    "HistoryEntry",
    "StageEntry",
    "StageHistoryView",
    "StageSeries",
    "StageSummaryView",
    "SummaryReport",
    "cluster_status_as_of",
    "compliance",
    "get_cluster_status",
    "labelled_timeline",
    "list_cluster_status",
    "list_stages",
    "stage_history",
    "summary_csv",
    "summary_report",
]


def list_cluster_status(
    ledger: Ledger,
    *,
    status: ClusterStatus | None = None,
    region: str | None = None,
    theme: str | None = None,
    stage: int | None = None,
    reading: Reading = TODAY,
) -> list[ClusterStatusView]:
    """Every cluster's status on the reading's day, optionally filtered, by slug.

    Regions and themes match case- and accent-insensitively, stated or current
    (``filters``); ``stage`` keeps the clusters whose label in force is of that stage.
    """
    _, _, records = read_records(ledger, reading)
    kept = matching(records, region=region, theme=theme)
    views = [cluster_status_view(r, reading.day) for r in kept]
    return [
        v
        for v in views
        if (status is None or v.status == status) and (stage is None or v.stage == stage)
    ]


def get_cluster_status(
    ledger: Ledger, slug: str, today: date | None = None, *, reading: Reading = TODAY
) -> ClusterStatusView | None:
    """The cluster's status (None if the ledger has no such cluster).

    ``today`` evaluates the read models for that day (the status cache passes its own);
    a ``reading`` with a day replays the events in effect on it, and raises
    ``NotYetRegistered`` for a day before the cluster existed.
    """
    if reading.replays:
        return _replayed_status(ledger, slug, reading)
    # One statement reads the projection position, the ledger's position and the
    # record in one snapshot, without a transaction's round trips on PostgreSQL.
    with ledger.store.statement_read() as tx:
        tx.execute(
            f"SELECT {positions_columns(tx)}, "
            f"(SELECT state FROM {tx.table(CLUSTER_STATES)} WHERE cluster_id = ?)",
            (PROJECTION, cluster_id(slug)),
        )
        tracked, last, state = tx.fetchone() or (None, 0, None)
    if tracked != last:
        raise ProjectionBehind(behind_message(tracked, int(last)))
    if state is None:
        return None
    return cluster_status_view(CLUSTER_DECODER.decode(state), today or date.today())


def _replayed_status(ledger: Ledger, slug: str, reading: Reading) -> ClusterStatusView | None:
    entries = ledger.positioned_events(cluster_id(slug), up_to_position=reading.known_at)
    if not entries:
        return None
    history = [e.event for e in entries]
    events = in_effect(history, reading.day, stated_only=reading.stated_only)
    if events is None:
        began = first_effective_on(history)
        msg = f"cluster {slug!r} was not yet registered on {reading.day} (registered on {began})"
        raise NotYetRegistered(msg)
    record = cluster_record_at(
        cluster_record_from_history(events).record, history[-1].originator_version
    )
    return cluster_status_view(record, reading.day)


def list_stages(ledger: Ledger, reading: Reading = TODAY) -> list[StageSummaryView]:
    _, stages, clusters = read_records(ledger, reading)
    return [history_rules.stage_summary(history_rules.stage_history(s, clusters)) for s in stages]


def stage_history(ledger: Ledger, number: int, reading: Reading = TODAY) -> StageHistoryView | None:
    if reading.replays:
        _, stages, clusters = read_records(ledger, reading)
        stage = next((s for s in stages if s.stage.number == number), None)
    else:
        with current_snapshot(ledger) as (tx, _):
            stage = stage_record(tx, number)
            clusters = cluster_records(tx) if stage is not None else []
    return None if stage is None else history_rules.stage_history(stage, clusters)


def compliance(ledger: Ledger, stage: int) -> ComplianceView | None:
    with current_snapshot(ledger) as (tx, _):
        record = stage_record(tx, stage)
        if record is None:
            return None
        clusters = cluster_records(tx, {"stage": str(stage)})
        reviews = stage_reviews(tx, stage)
    return compliance_rules.compliance(record, clusters, reviews)


def summary_report(ledger: Ledger, reading: Reading = TODAY) -> SummaryReport:
    """Counts by status, stage, region and theme, and the membership composition, of what
    was in effect on the reading's day."""
    position, stages, clusters = read_records(ledger, reading)
    histories = [history_rules.stage_history(s, clusters) for s in stages]
    words = vocabulary()
    return build_summary(
        histories,
        clusters,
        reading.day,
        position,
        regions_of=lambda r: words.current_regions(r.cluster.regions),
        themes_of=lambda r: words.theme_codes(r.slug),
        grouping=EDITORIAL_NOTE,
        stated_only=reading.stated_only,
    )


def labelled_timeline(ledger: Ledger) -> tuple[StageSeries, ...]:
    """Clusters holding each stage's label, at every day the number changed."""
    with current_snapshot(ledger) as (tx, _):
        stages, clusters = stage_records(tx), cluster_records(tx)
    return build_timeline(stages, clusters)


def summary_csv(ledger: Ledger, reading: Reading = TODAY) -> str:
    """The summary report as CSV rows of section, key, metric, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "metric", "value"))
    writer.writerows(summary_rows(summary_report(ledger, reading)))
    return out.getvalue()


def region_names(ledger: Ledger) -> Names:
    """Every region a filter accepts, with how many clusters it names."""
    return filters.regions(read_records(ledger, TODAY)[2])


def theme_names(ledger: Ledger) -> Names:
    """Every theme a filter accepts, with how many clusters it names."""
    return filters.themes(read_records(ledger, TODAY)[2])


def unknown_cluster(ledger: Ledger, slug: str) -> ClusterNotFound:
    """The error for a slug the ledger lacks, naming the nearest slugs it has."""
    nearest = difflib.get_close_matches(slug, ledger.cluster_slugs(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(nearest)}?" if nearest else ""
    return ClusterNotFound(f"no cluster {slug!r} in the ledger{hint}")


def read_records(
    ledger: Ledger, reading: Reading
) -> tuple[int, Sequence[StageRecord], Sequence[ClusterRecord]]:
    """The ledger's position and its stage and cluster records for the reading: today's
    read models, or the records folded from the events in effect on its day."""
    if reading.replays:
        on = folds.get(ledger, reading)
        position = reading.known_at if reading.known_at is not None else ledger.last_position()
        return position, on.stages, on.clusters
    with current_snapshot(ledger) as (tx, position):
        return position, stage_records(tx), cluster_records(tx)


def cluster_status_as_of(
    ledger: Ledger,
    slug: str,
    *,
    as_of: date,
    known_at_position: int | None = None,
    known_at_time: datetime | None = None,
) -> BitemporalStatusView:
    """The status on ``as_of`` as the ledger knew it then, replayed from the events."""
    entries = ledger.positioned_events(cluster_id(slug))
    if not entries:
        msg = f"no cluster {slug!r} in the ledger"
        raise ClusterNotFound(msg)
    view = bitemporal_status(
        slug, entries, as_of, position=known_at_position, recorded_by=known_at_time
    )
    if view.status is None:
        when = (
            f"position {known_at_position}" if known_at_position is not None else f"{known_at_time}"
        )
        msg = (
            f"no cluster {slug!r} was recorded by {when} "
            f"(first recorded at position {entries[0].position})"
        )
        raise ClusterNotFound(msg)
    return view


# --- reading the read models -------------------------------------------------


@contextmanager
def current_snapshot(ledger: Ledger) -> Iterator[tuple[Tx, int]]:
    """A read snapshot in which the read models are at the ledger's last position."""
    with ledger.read() as tx:
        if tx.dialect == "postgresql":
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        tx.execute(f"SELECT {positions_columns(tx)}", (PROJECTION,))
        tracked, last = tx.fetchone() or (None, 0)
        if tracked != last:
            raise ProjectionBehind(behind_message(tracked, int(last)))
        yield tx, int(last)


def cluster_records(tx: Tx, facets: dict[str, str] | None = None) -> list[ClusterRecord]:
    """Cluster records having every given facet (region, theme, stage), by slug."""
    conditions: list[str] = []
    params: list[Any] = []
    for facet, value in (facets or {}).items():
        conditions.append(
            f"cluster_id IN (SELECT cluster_id FROM {tx.table(CLUSTER_FACETS)} "
            "WHERE facet = ? AND value = ?)"
        )
        params += [facet, value]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    tx.execute(f"SELECT state FROM {tx.table(CLUSTER_STATES)}{where} ORDER BY slug", params)
    return [CLUSTER_DECODER.decode(row[0]) for row in tx.fetchall()]


def stage_reviews(tx: Tx, stage: int) -> dict[str, list[Review]]:
    """The criteria reviews of a stage, by cluster id, of the clusters labelled for it."""
    tx.execute(
        f"SELECT cluster_id, state FROM {tx.table(CLUSTER_REVIEWS)} WHERE stage = ? AND "
        f"cluster_id IN (SELECT cluster_id FROM {tx.table(CLUSTER_FACETS)} "
        "WHERE facet = 'stage' AND value = ?) ORDER BY cluster_id, version",
        (stage, str(stage)),
    )
    found: dict[str, list[Review]] = {}
    for key, state in tx.fetchall():
        found.setdefault(key, []).append(REVIEW_DECODER.decode(state))
    return found


def stage_records(tx: Tx) -> list[StageRecord]:
    tx.execute(f"SELECT state FROM {tx.table(STAGE_STATES)} ORDER BY number")
    return [STAGE_DECODER.decode(row[0]) for row in tx.fetchall()]


def stage_record(tx: Tx, number: int) -> StageRecord | None:
    tx.execute(
        f"SELECT state FROM {tx.table(STAGE_STATES)} WHERE stage_id = ?", (stage_id(number),)
    )
    row = tx.fetchone()
    return None if row is None else STAGE_DECODER.decode(row[0])
