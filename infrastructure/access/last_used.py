"""When each token was last used: operational data kept beside the log, never in it.

A request a token authenticates is no fact of the label's history, and an event per
request would flood the log. So a use is noted in memory on the hot path (one dictionary
store, no I/O) and written to the side table ``token_last_used`` by :meth:`LastUse.flush`,
which the server runs off the request path every few seconds: a token's row is written
at most once a minute. ``token list`` reads the table, so a last use is known to the
minute. Nothing authorises from this table, and ``verify`` does not check it: a row
someone changes changes only what ``token list`` says.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from infrastructure.store.sql import Tx

TABLE = "token_last_used"
WRITE_EVERY = 60.0
"""Seconds between two writes of one token's row."""
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def create_last_used_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} (name TEXT PRIMARY KEY, at TEXT NOT NULL)"
    )


class LastUse:
    """The last use of each token seen by this process, and what of it is written."""

    def __init__(self, write_every: float = WRITE_EVERY) -> None:
        self.write_every = write_every
        self._seen: dict[str, float] = {}
        self._written: dict[str, tuple[float, float]] = {}
        """By name: the use last written, and when (monotonic) it was written."""

    def note(self, name: str) -> None:
        """Notes a use now (the hot path: no lock, no I/O)."""
        self._seen[name] = time.time()

    def seen(self) -> dict[str, datetime]:
        """Every use this process noted, written or not."""
        return {name: datetime.fromtimestamp(at, UTC) for name, at in dict(self._seen).items()}

    def flush(self, tx: Tx, *, everything: bool = False) -> int:
        """Writes the uses due (``everything``: every use not yet written, as at a
        shutdown); the number of rows written."""
        now = time.monotonic()
        due = [
            (name, at)
            for name, at in dict(self._seen).items()  # a copy: requests note uses meanwhile
            if self._is_due(name, at, now, everything)
        ]
        for name, at in sorted(due):
            tx.execute(
                f"INSERT INTO {tx.table(TABLE)} AS used (name, at) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET at = excluded.at WHERE excluded.at > used.at",
                (name, _text(at)),
            )
        for name, at in due:
            self._written[name] = (at, now)
        return len(due)

    def _is_due(self, name: str, at: float, now: float, everything: bool) -> bool:
        written = self._written.get(name)
        if written is None:
            return True
        written_use, written_at = written
        return at > written_use and (everything or now - written_at >= self.write_every)


def last_uses(tx: Tx) -> dict[str, datetime]:
    """Every token's last use as written (none from a store that predates the table)."""
    if not _has_table(tx):
        return {}
    tx.execute(f"SELECT name, at FROM {tx.table(TABLE)}")
    return {str(name): _instant(str(at)) for name, at in tx.fetchall()}


def _has_table(tx: Tx) -> bool:
    if tx.dialect == "sqlite":
        found = tx.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
    else:
        found = tx.scalar("SELECT to_regclass(?)", (tx.table(TABLE),))
    return found is not None


def _text(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime(_FORMAT)


def _instant(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
