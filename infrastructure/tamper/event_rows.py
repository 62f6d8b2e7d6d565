"""Straight SQL over the events table by position (SQLite rowid, Postgres notification_id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from infrastructure.store.event_table import events_table
from infrastructure.store.sql import Tx
from infrastructure.tamper.leaf import StoredRow
from infrastructure.tamper.reads import select_all

if TYPE_CHECKING:
    pass


class EventTable(msgspec.Struct, frozen=True):
    """Where a ledger's events are and which column holds their position."""

    name: str
    position: str

    def rows(self, tx: Tx, after: int, up_to: int) -> list[StoredRow]:
        """Stored rows with ``after < position <= up_to``, in position order."""
        return select_all(
            tx,
            f"SELECT {self.position}, originator_id, originator_version, topic, state "
            f"FROM {self.name} WHERE {self.position} > ? AND {self.position} <= ? "
            f"ORDER BY {self.position}",
            (after, up_to),
        )

    def rows_of(self, tx: Tx, aggregate_id: str, up_to: int) -> list[StoredRow]:
        return select_all(
            tx,
            f"SELECT {self.position}, originator_id, originator_version, topic, state "
            f"FROM {self.name} WHERE originator_id = ? AND {self.position} <= ? "
            f"ORDER BY {self.position}",
            (aggregate_id, up_to),
        )

    def last_position(self, tx: Tx) -> int:
        return int(tx.scalar(f"SELECT COALESCE(MAX({self.position}), 0) FROM {self.name}"))


def event_table(tx: Tx) -> EventTable:
    return EventTable(*events_table(tx))
