"""Where the events live: the library's events table and its position column, per store."""

from __future__ import annotations

from infrastructure.store.sql import Tx

# Named by eventsourcing: SQLite's table is shared per file, PostgreSQL's is prefixed
# with the application name ("Ledger"). Positions are SQLite rowids / notification ids.
EVENTS_TABLES = {
    "sqlite": ("stored_events", "rowid"),
    "postgresql": ("ledger_events", "notification_id"),
}


def events_table(tx: Tx) -> tuple[str, str]:
    """The events table (schema-qualified) and its position column."""
    name, position = EVENTS_TABLES[tx.dialect]
    return tx.table(name), position
