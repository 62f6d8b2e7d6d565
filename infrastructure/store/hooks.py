"""What else is written in the same transaction as the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from domain.events import LedgerEvent
from infrastructure.store.sql import Tx


class AppendedEvent(msgspec.Struct, frozen=True):
    """An event as it was just written, with its ledger position."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes
    event: LedgerEvent | None


class AppendHook(Protocol):
    """Writes rows derived from appended events, inside the append transaction.

    If a hook raises, the whole append is rolled back: no event without its
    derived rows, no derived rows without their event.
    """

    def create_tables(self, tx: Tx) -> None: ...

    def on_append(self, tx: Tx, appended: Sequence[AppendedEvent]) -> None: ...
