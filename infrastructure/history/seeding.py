"""``seed_history``: records the sourced facts through the ledger's one way in.

Each fact is a data row (``data/``): a command with its source, its evidence grade and a
stable idempotency key, decided like any user's command (every invariant checked). Facts
whose key the ledger already holds are skipped, so seeding twice appends nothing the
second time. The facts are executed as one all-or-nothing batch: either every new fact is
recorded, or the first the ledger refuses is named and nothing is.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from domain.errors import LedgerError
from infrastructure.history.gaps import Gap, bundled_gaps
from infrastructure.history.rows import SeedRow, history_rows
from infrastructure.history.tally import Tally, tally
from infrastructure.ledger import BatchRefused, Ledger, Pending
from infrastructure.store.event_reads import rows_after_position

PAGE_SIZE = 5000


class SeedRefused(LedgerError):
    """A sourced fact the ledger's rules refuse: nothing was seeded."""

    code = "seed-refused"
    title = "Seed refused"


class SeedReport(msgspec.Struct, frozen=True, kw_only=True):
    appended: int
    skipped: int
    position: int
    facts: int
    gaps: tuple[Gap, ...]
    tallies: tuple[Tally, ...]


def seed_history(ledger: Ledger, rows: Sequence[SeedRow] | None = None) -> SeedReport:
    """Appends the facts the ledger does not hold yet, in order, and reports."""
    rows = history_rows() if rows is None else rows
    present = recorded_keys(ledger)
    todo = [row for row in rows if row.key not in present]
    try:
        results = ledger.execute_batch(
            [Pending(command=row.command, context=row.context()) for row in todo], atomic=True
        )
    except BatchRefused as refused:
        row = todo[refused.index]
        msg = f"{row.origin} ({row.key}) was refused: {refused.error}; nothing was seeded"
        raise SeedRefused(msg) from None
    appended = 0
    for result in results:
        if isinstance(result, BaseException):
            raise result
        appended += 0 if result.replayed else len(result.events)
    return SeedReport(
        appended=appended,
        skipped=len(rows) - len(todo),
        position=ledger.last_position(),
        facts=len(rows),
        gaps=bundled_gaps(),
        tallies=tally(ledger),
    )


def recorded_keys(ledger: Ledger) -> set[str]:
    """Every idempotency key in the ledger, read once in pages of the global log.

    Ledgers seeded before idempotency records existed hold the keys only in the events.
    """
    decode = ledger.ledger_mapper.decode_state
    keys: set[str] = set()
    after = 0
    while True:
        with ledger.read() as tx:
            rows = rows_after_position(tx, after, after + PAGE_SIZE)
        keys.update(k for *_, topic, state in rows if (k := decode(topic, state).idempotency_key))
        if not rows:
            return keys
        after = rows[-1][0]
