"""The ``ledger_meta`` table: what the store says about itself (its format, when it was made)."""

from __future__ import annotations

from datetime import UTC, datetime

from infrastructure.admin.layout import META_TABLE
from infrastructure.store.errors import StoreDamaged
from infrastructure.store.sql import Tx

FORMAT_KEY = "format"
CREATED_KEY = "created_at"


def create_meta_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(META_TABLE)} "
        "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )


def record_new_store(tx: Tx, store_format: int) -> None:
    """Marks a store just created (a concurrent creator's marks are kept)."""
    create_meta_table(tx)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, value in ((FORMAT_KEY, str(store_format)), (CREATED_KEY, now)):
        tx.execute(
            f"INSERT INTO {tx.table(META_TABLE)} (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            (key, value),
        )


def record_format(tx: Tx, store_format: int) -> None:
    tx.execute(
        f"INSERT INTO {tx.table(META_TABLE)} (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (FORMAT_KEY, str(store_format)),
    )


def parse_format(value: object, where: str) -> int:
    """The format recorded in ``ledger_meta``; a value that is no number is damage."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        msg = f"{where} is damaged: its {META_TABLE} table records no format ({value!r})"
        raise StoreDamaged(msg)
    return int(text)
