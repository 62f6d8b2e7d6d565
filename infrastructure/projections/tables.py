"""The read-model tables, and the tracking row that makes each event count exactly once.

``projection_tracking`` holds, per projection, the ledger position of the last
event applied. Moving it is a compare-and-set (``WHERE position = expected``)
in the same transaction as the rows it vouches for, so an event is applied
once, in order, or the transaction fails.
"""

from __future__ import annotations

from domain.errors import ProjectionBehind
from infrastructure.store.event_table import events_table
from infrastructure.store.sql import Tx

__all__ = ["events_table"]

PROJECTION = "read_models"
TRACKING = "projection_tracking"
CLUSTER_STATES = "cluster_states"
CLUSTER_FACETS = "cluster_facets"
CLUSTER_REVIEWS = "cluster_reviews"
STAGE_STATES = "stage_states"
READ_MODEL_TABLES = (CLUSTER_STATES, CLUSTER_FACETS, CLUSTER_REVIEWS, STAGE_STATES)


def create_tables(tx: Tx) -> None:
    blob, bigint = tx.blob_type, tx.bigint_type
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TRACKING)} "
        f"(name TEXT PRIMARY KEY, position {bigint} NOT NULL)"
    )
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(CLUSTER_STATES)} "
        f"(cluster_id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, state {blob} NOT NULL)"
    )
    # Denormalised filters: one row per region, theme and labelled stage of a cluster.
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(CLUSTER_FACETS)} "
        "(facet TEXT NOT NULL, value TEXT NOT NULL, cluster_id TEXT NOT NULL, "
        "PRIMARY KEY (facet, value, cluster_id))"
    )
    # Every criteria review, so that a cluster's state row stays small however many it has.
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(CLUSTER_REVIEWS)} "
        f"(cluster_id TEXT NOT NULL, version INTEGER NOT NULL, stage INTEGER NOT NULL, "
        f"state {blob} NOT NULL, PRIMARY KEY (cluster_id, version))"
    )
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(STAGE_STATES)} "
        f"(stage_id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, state {blob} NOT NULL)"
    )
    tx.execute(
        f"INSERT INTO {tx.table(TRACKING)} (name, position) VALUES (?, 0) "
        "ON CONFLICT (name) DO NOTHING",
        (PROJECTION,),
    )


def drop_tables(tx: Tx) -> None:
    for table in (*READ_MODEL_TABLES, TRACKING):
        tx.execute(f"DROP TABLE IF EXISTS {tx.table(table)}")


def tracked_position(tx: Tx) -> int | None:
    value = tx.scalar(f"SELECT position FROM {tx.table(TRACKING)} WHERE name = ?", (PROJECTION,))
    return None if value is None else int(value)


def advance_tracking(tx: Tx, expected: int, to: int) -> None:
    """Moves the tracking position from ``expected`` to ``to``, or raises ProjectionBehind."""
    tx.execute(
        f"UPDATE {tx.table(TRACKING)} SET position = ? WHERE name = ? AND position = ?",
        (to, PROJECTION, expected),
    )
    if tx.cursor.rowcount != 1:
        raise ProjectionBehind(behind_message(tracked_position(tx), expected))


def positions_columns(tx: Tx) -> str:
    """Two columns, in one snapshot when in one statement: the read models' tracked
    position and the ledger's last position (one ``?`` parameter: ``PROJECTION``)."""
    table, column = events_table(tx)
    return (
        f"(SELECT position FROM {tx.table(TRACKING)} WHERE name = ?), "
        f"(SELECT COALESCE(MAX({column}), 0) FROM {table})"
    )


def behind_message(tracked: int | None, ledger_position: int) -> str:
    at = "have no tracking row" if tracked is None else f"are at position {tracked}"
    return (
        f"the read models {at} but the ledger is at position {ledger_position}; "
        "nothing was skipped: run `label-ledger rebuild`"
    )
