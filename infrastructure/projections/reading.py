"""Which ledger a query reads: today's read models, or the events in effect on a day.

Without a day (or a position, or a restriction to stated facts) a query reads the read
models, kept at the ledger's last position: the current state, answered for today. With
any of them, it folds the events in effect on that day, as known at that position
(``domain.as_of``), into the same records, so every view answers for that day exactly
as the events imply. A fold of the whole ledger is kept for the few readings asked last.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

import msgspec

from domain.as_of import LedgerOn, by_aggregate, ledger_on
from domain.events import LedgerEvent
from infrastructure.ledger import Ledger
from infrastructure.store.event_reads import last_position, rows_after_position

PAGE = 10_000
KEPT = 8


class Reading(msgspec.Struct, frozen=True, kw_only=True):
    on: date | None = None
    """The day answered for (today when None)."""
    known_at: int | None = None
    """The ledger as it stood at this position (its whole log when None)."""
    stated_only: bool = False
    """Only decisions a source states (``evidence`` stated or ungraded)."""

    @property
    def replays(self) -> bool:
        return self.on is not None or self.known_at is not None or self.stated_only

    @property
    def day(self) -> date:
        return self.on or date.today()


TODAY = Reading()


class LedgerOnCache:
    """The last few folds, by ledger, position and reading (a fold is a pure function of
    the events up to a position: a new event changes the key, never an entry)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, int, Reading], LedgerOn] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ledger: Ledger, reading: Reading) -> LedgerOn:
        with ledger.read() as tx:
            position = last_position(tx)
        up_to = position if reading.known_at is None else min(position, reading.known_at)
        key = (ledger.settings.url, up_to, msgspec.structs.replace(reading, on=reading.day))
        with self._lock:
            found = self._kept.get(key)
        if found is not None:
            return found
        folded = ledger_on(
            by_aggregate(events_up_to(ledger, up_to)), reading.day, stated_only=reading.stated_only
        )
        with self._lock:
            self._kept[key] = folded
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return folded


def events_up_to(ledger: Ledger, position: int) -> list[LedgerEvent]:
    """Every event recorded at ``position`` or before, in ledger order."""
    decode = ledger.ledger_mapper.decode_state
    events: list[LedgerEvent] = []
    after = 0
    while after < position:
        with ledger.read() as tx:
            rows = rows_after_position(tx, after, min(position, after + PAGE))
        if not rows:
            break
        events.extend(decode(topic, state) for _, _, _, topic, state in rows)
        after = rows[-1][0]
    return events


folds = LedgerOnCache()
