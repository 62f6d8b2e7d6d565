"""``seed_history``: records the sourced facts through the ledger's one way in.

Each fact is a command with its source and a stable idempotency key, executed like any
user's command (every invariant checked). Facts whose key the ledger already holds are
skipped, so seeding twice appends nothing the second time. The facts are executed in
one transaction, each against the states the ones before it left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain import commands as c
from domain.commands import Command, Context
from domain.values import Evidence
from infrastructure.history.facts import FACTS
from infrastructure.history.gaps import GAPS, Gap
from infrastructure.history.kinds import Fact
from infrastructure.history.tally import Tally, tally
from infrastructure.ledger import Ledger, Pending
from infrastructure.store.event_reads import rows_after_position

SEED_ACTOR = "seed"
PAGE_SIZE = 5000


class SeedRow(msgspec.Struct, frozen=True, kw_only=True):
    """One sourced fact: the command that records it, its source and evidence, its key."""

    command: Command
    source: str
    evidence: Evidence | None
    key: str

    def context(self) -> Context:
        return Context(
            actor=SEED_ACTOR, source=self.source, evidence=self.evidence, idempotency_key=self.key
        )


class SeedFailed(Exception):
    """A sourced fact that the ledger's rules refuse: the data, not the ledger, is wrong."""


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
    results = ledger.execute_batch(
        [Pending(command=row.command, context=row.context()) for row in todo]
    )
    appended = 0
    for row, result in zip(todo, results, strict=True):
        if isinstance(result, BaseException):
            msg = f"fact {row.key} was refused: {result}"
            raise SeedFailed(msg) from result
        appended += 0 if result.replayed else len(result.events)
    return SeedReport(
        appended=appended,
        skipped=len(rows) - len(todo),
        position=ledger.last_position(),
        facts=len(rows),
        gaps=GAPS,
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


# --- the facts as commands (until they are data files) ------------------------------

_COMMANDS: dict[str, type[Command]] = {
    "OpenStage": c.OpenStage,
    "ExtendStage": c.ExtendStagePeriod,
    "ReportCount": c.ReportStageCount,
    "CloseStage": c.CloseStage,
    "Register": c.RegisterCluster,
    "Rename": c.RenameCluster,
    "Merge": c.MergeCluster,
    "Dissolve": c.DissolveCluster,
    "Grant": c.GrantLabel,
    "Extend": c.ExtendLabel,
    "Withdraw": c.WithdrawLabel,
}


def history_rows() -> list[SeedRow]:
    return [row_of(fact) for fact in FACTS]


def row_of(fact: Fact) -> SeedRow:
    kind = type(fact).__name__
    data: dict[str, Any] = msgspec.to_builtins(fact)
    source = data.pop("source")
    if kind in {"Extend", "Withdraw"}:
        data.pop("stage")  # the ledger acts on the active label
    if data.get("website") and "://" not in data["website"]:
        data["website"] = f"https://{data['website']}"
    if kind == "OpenStage":
        data["requirements"] = {"minimum_european_label": data.pop("minimum_european_label")}
    command = msgspec.convert(data, _COMMANDS[kind])
    return SeedRow(command=command, source=source, evidence="stated", key=fact.key)
