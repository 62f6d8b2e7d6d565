"""The reads every loader of the ledger needs, straight from the events table.

Rows come back as stored (topic and bytes); callers decode them with the typed decoders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from infrastructure.store.event_table import events_table
from infrastructure.store.sql import Tx

CHUNK = 200  # aggregates per statement, well under SQLite's variable limit

StoredRow = tuple[str, int, str, bytes]  # aggregate id, version, topic, state
PositionedRow = tuple[int, str, int, str, bytes]  # position, then as StoredRow


def last_position(tx: Tx) -> int:
    table, position = events_table(tx)
    return int(tx.scalar(f"SELECT COALESCE(MAX({position}), 0) FROM {table}"))


def rows_after_position(tx: Tx, after: int, up_to: int | None = None) -> list[PositionedRow]:
    """Every event recorded after position ``after`` (and at most ``up_to``), in order."""
    table, position = events_table(tx)
    statement = (
        f"SELECT {position}, originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {position} > ?"
    )
    params: list[Any] = [after]
    if up_to is not None:
        statement += f" AND {position} <= ?"
        params.append(up_to)
    tx.execute(statement + f" ORDER BY {position}", params)
    return [(int(p), str(a), int(v), str(t), bytes(s)) for p, a, v, t, s in tx.fetchall()]


def rows_of_aggregates(tx: Tx, after_versions: Mapping[str, int]) -> dict[str, list[StoredRow]]:
    """Each aggregate's events after the version given for it, in version order."""
    table, _ = events_table(tx)
    found: dict[str, list[StoredRow]] = {aggregate: [] for aggregate in after_versions}
    ids = sorted(after_versions)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        condition = " OR ".join(["(originator_id = ? AND originator_version > ?)"] * len(chunk))
        params: list[Any] = []
        for aggregate in chunk:
            params += (aggregate, after_versions[aggregate])
        tx.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {condition} ORDER BY originator_id, originator_version",
            params,
        )
        for aggregate, version, topic, state in tx.fetchall():
            found[aggregate].append((aggregate, int(version), str(topic), bytes(state)))
    return found


def aggregate_ids(tx: Tx, prefix: str) -> list[str]:
    """Every aggregate whose id starts with ``prefix`` (``cluster:``), in id order."""
    table, _ = events_table(tx)
    tx.execute(
        f"SELECT DISTINCT originator_id FROM {table} "
        "WHERE originator_id >= ? AND originator_id < ? ORDER BY originator_id",
        (prefix, prefix_end(prefix)),
    )
    return [str(row[0]) for row in tx.fetchall()]


def prefix_end(prefix: str) -> str:
    """The least string above every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def versions_of(tx: Tx, ids: Sequence[str]) -> dict[str, int]:
    """Each aggregate's last version (aggregates without events are left out)."""
    table, _ = events_table(tx)
    found: dict[str, int] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        marks = ",".join("?" * len(chunk))
        tx.execute(
            f"SELECT originator_id, MAX(originator_version) FROM {table} "
            f"WHERE originator_id IN ({marks}) GROUP BY originator_id",
            chunk,
        )
        found.update((str(a), int(v)) for a, v in tx.fetchall())
    return found
