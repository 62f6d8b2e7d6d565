"""Every table and index a ledger store holds, per store format, in one place.

Store formats:

1. label-ledger up to commit 31377de: every table below but ``ledger_meta``, and
   ``api_tokens`` (a lookup of token hashes, derived from the token events).
2. ``ledger_meta`` records the store's format (key ``format``); ``api_tokens`` is dropped
   (tokens authorise from their events, never from a table).
3. ``token_last_used``: when each token was last used (operational data, not events).

A store's format changes only by ``label-ledger db upgrade``, which applies the
migrations of ``infrastructure.admin.database`` in order, each idempotent.
"""

from __future__ import annotations

import msgspec

from infrastructure.access import idempotency, last_used
from infrastructure.projections.tables import READ_MODEL_TABLES, TRACKING
from infrastructure.snapshots import TABLE as SNAPSHOTS_TABLE
from infrastructure.store.event_table import EVENTS_TABLES
from infrastructure.tamper.checkpoints import CHECKPOINTS_TABLE
from infrastructure.tamper.node_store import NODES_TABLE

STORE_FORMAT = 3
"""The format this version writes."""
READABLE_FORMATS = range(1, STORE_FORMAT + 1)
"""Formats this version reads as they are (older ones are upgraded before any write)."""
META_TABLE = "ledger_meta"


class Table(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    holds: str
    since: int = 1
    unique: tuple[str, ...] = ()
    """PostgreSQL's names of the table's unique indexes besides its primary key."""

    def indexes(self, dialect: str) -> tuple[str, ...]:
        """The indexes a check looks for: PostgreSQL's, by name (SQLite's are implicit)."""
        if dialect != "postgresql":
            return ()
        return (f"{self.name}_pkey", *self.unique)


def ledger_tables(dialect: str, store_format: int = STORE_FORMAT) -> tuple[Table, ...]:
    """The tables of a store of ``store_format`` on ``dialect``, events first."""
    events = EVENTS_TABLES[dialect][0]
    tables = (
        Table(
            name=events,
            holds="the events, in ledger order",
            unique=(f"{events}_notification_id_idx",) if dialect == "postgresql" else (),
        ),
        Table(name=NODES_TABLE, holds="the Merkle tree's nodes"),
        Table(name=CHECKPOINTS_TABLE, holds="signed checkpoints"),
        Table(name=TRACKING, holds="the read models' position"),
        *(
            Table(
                name=name,
                holds="a read model",
                unique=_READ_MODEL_UNIQUE.get(name, ()) if dialect == "postgresql" else (),
            )
            for name in READ_MODEL_TABLES
        ),
        Table(name=idempotency.TABLE, holds="idempotency keys and their first answers"),
        Table(name=SNAPSHOTS_TABLE, holds="aggregate snapshots"),
        Table(name=META_TABLE, holds="the store's format", since=2),
        Table(name=last_used.TABLE, holds="when each token was last used", since=3),
    )
    return tuple(table for table in tables if table.since <= store_format)


_READ_MODEL_UNIQUE = {
    "cluster_states": ("cluster_states_slug_key",),
    "stage_states": ("stage_states_number_key",),
}
