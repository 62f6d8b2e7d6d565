"""One transaction of commands: each decided against the states the ones before it left.

Inside the store's write transaction, holding its write lock, a batch:
1. reads the ledger's last position and brings the writer's states up to it;
2. looks every idempotency key of the batch up (one statement);
3. loads the states its commands write and read that are not cached;
4. decides each command in turn (its token still valid, its ``If-Match`` met, its
   rule satisfied), applying the events of each to the states the next one sees;
5. appends every event in one insert, running every append hook (Merkle leaves, read
   models, snapshots) once for the whole batch;
6. keeps each keyed command's outcome (receipt or refusal) under its key.
Nothing of it is visible until the transaction commits; if any step fails, none of it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from eventsourcing.persistence import StoredEvent

from domain.commands import Command, Context
from domain.decisions import Decisions
from domain.errors import CredentialRevoked, IdempotencyKeyReused, LedgerError, VersionMismatch
from domain.events import LedgerEvent
from domain.values import Provenance, event_id
from infrastructure.access.idempotency import (
    KeyOf,
    StoredOutcome,
    find_outcomes,
    fingerprint,
    is_kept,
    record_outcomes,
    recorded_row,
    refused_row,
)
from infrastructure.access.tokens import TOKEN_IDS, Caller, TokenRegistry
from infrastructure.mapper import MsgspecMapper
from infrastructure.receipts import Receipt, RecordedEvent, receipt_of
from infrastructure.store.event_reads import aggregate_ids, last_position
from infrastructure.store.sql import Tx
from infrastructure.writing.states import WriterStates


class Pending(msgspec.Struct, frozen=True, kw_only=True):
    """A command waiting to be decided, with what travels with it."""

    command: Command
    context: Context
    caller: Caller | None = None
    """The token that sent the command: it must still be valid when the command is decided."""


Outcome = Receipt | LedgerError
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Appender(Protocol):
    def append_in(
        self,
        tx: Tx,
        base: int,
        stored: Sequence[StoredEvent],
        events: Sequence[LedgerEvent | None],
    ) -> list[int]: ...


class _Decided(msgspec.Struct):
    """A command that appended events: where they sit among the batch's events."""

    start: int
    count: int


class _SameAs(msgspec.Struct):
    """A keyed command repeating an earlier one of the same batch."""

    index: int


class BatchRun:
    def __init__(
        self,
        tx: Tx,
        states: WriterStates,
        registry: TokenRegistry,
        mapper: MsgspecMapper,
        clock: Clock = utc_now,
    ) -> None:
        self.clock = clock
        self.tx = tx
        self.states = states
        self.registry = registry
        self.mapper = mapper
        self.decisions = Decisions(states.get)
        self.events: list[LedgerEvent] = []
        self.base = 0
        self.position = 0
        self._claimed: dict[KeyOf, tuple[str, int]] = {}

    def run(self, items: Sequence[Pending], store: Appender) -> list[Outcome]:
        self.base = self.position = last_position(self.tx)
        self.states.catch_up(self.tx, self.base)
        if self.registry.position < self.base:  # another process appended meanwhile
            self.registry.refresh(self.tx, self.mapper)
        stored = find_outcomes(self.tx, [k for item in items if (k := key_of(item.context))])
        self._load(items, stored)
        results = [self._decide(index, item, stored) for index, item in enumerate(items)]
        recorded = self._append(store)
        outcomes = [self._outcome(result, recorded, results) for result in results]
        self._keep(outcomes)
        return outcomes

    # --- 3. loads -------------------------------------------------------------------

    def _load(self, items: Sequence[Pending], stored: dict[KeyOf, StoredOutcome]) -> None:
        ids: set[str] = set()
        every_cluster = False
        for item in items:
            if key_of(item.context) in stored:
                continue
            command = item.command
            ids.update(command.writes(), command.reads())
            every_cluster = every_cluster or command.READS_EVERY_CLUSTER
            histories = self.decisions.histories
            if command.NEEDS_HISTORY and command.target not in histories:
                histories[command.target] = self.states.history(self.tx, command.target)
        self._every_cluster = aggregate_ids(self.tx, "cluster:") if every_cluster else []
        self.states.load(self.tx, [*ids, *self._every_cluster])

    @property
    def working(self) -> dict[str, Any]:
        """The states this batch's decisions left."""
        return self.decisions.working

    # --- 4. decisions ---------------------------------------------------------------

    def _decide(
        self, index: int, item: Pending, stored: dict[KeyOf, StoredOutcome]
    ) -> _Decided | _SameAs | Outcome:
        context, command = item.context, item.command
        key = key_of(context)
        try:
            if key is not None:
                print_ = fingerprint(command, context)
                repeated = self._repeated(key, print_, stored)
                if repeated is not None:
                    return repeated
            if item.caller is not None and not self.registry.still_valid(item.caller):
                msg = (
                    f"token {item.caller.name!r} was revoked or expired; "
                    "this command was not recorded"
                )
                raise CredentialRevoked(msg)
            self._check_expected(command, context)
            events = self.decisions.decide(
                command, provenance(context, self.clock()), self._every_cluster
            )
        except LedgerError as error:
            if key is not None and is_kept(error):
                self._claimed[key] = (print_, index)
            return error
        if key is not None:
            self._claimed[key] = (print_, index)
        start = len(self.events)
        self.events.extend(events)
        return _Decided(start, len(events))

    def _repeated(
        self, key: KeyOf, print_: str, stored: dict[KeyOf, StoredOutcome]
    ) -> _SameAs | Outcome | None:
        """The answer already given to this key, if any (raises if the command differs)."""
        earlier = stored.get(key)
        if earlier is not None:
            if earlier.fingerprint != print_:
                raise key_reused()
            try:
                return earlier.replay()
            except LedgerError as refusal:
                return refusal
        claimed = self._claimed.get(key)
        if claimed is not None:
            if claimed[0] != print_:
                raise key_reused()
            return _SameAs(claimed[1])
        return None

    def _check_expected(self, command: Command, context: Context) -> None:
        expected = context.expected
        if expected is None:
            return
        target = self.decisions.state(command.target)
        current = 0 if target is None else int(target.version)
        # An unknown target is the command's own answer (not found), not a precondition.
        if current and not expected.matches(current):
            wanted = expected.versions[0] if expected.versions else -1
            msg = f"{command.target} is at version {current}, not the expected version {wanted}"
            raise VersionMismatch(msg)

    # --- 5. the append ------------------------------------------------------------

    def _append(self, store: Appender) -> list[RecordedEvent]:
        if not self.events:
            return []
        to_stored = self.mapper.to_stored_event
        stored = [to_stored(event) for event in self.events]
        positions = store.append_in(self.tx, self.base, stored, self.events)
        self.position = positions[-1]
        return [
            RecordedEvent(
                event_id=event_id(e.originator_id, e.originator_version),
                position=position,
                aggregate_id=e.originator_id,
                version=e.originator_version,
                type=type(e).__name__,
            )
            for e, position in zip(self.events, positions, strict=True)
        ]

    def _outcome(
        self,
        result: _Decided | _SameAs | Outcome,
        recorded: list[RecordedEvent],
        results: list[_Decided | _SameAs | Outcome],
    ) -> Outcome:
        if isinstance(result, _SameAs):
            first = self._outcome(results[result.index], recorded, results)
            if isinstance(first, Receipt):
                return msgspec.structs.replace(first, replayed=True)
            replayed = type(first)(str(first))
            replayed.replayed = True
            return replayed
        if isinstance(result, _Decided):
            return receipt_of(tuple(recorded[result.start : result.start + result.count]))
        return result

    # --- 6. idempotency records -----------------------------------------------------

    def _keep(self, outcomes: list[Outcome]) -> None:
        rows = []
        for key, (print_, index) in self._claimed.items():
            outcome = outcomes[index]
            if outcome.replayed:
                continue  # kept already, by an earlier transaction
            if isinstance(outcome, Receipt):
                rows.append(recorded_row(key, print_, outcome))
            else:
                rows.append(refused_row(key, print_, outcome))
        record_outcomes(self.tx, rows)

    def token_events(self) -> list[LedgerEvent]:
        return [e for e in self.events if e.originator_id.startswith(TOKEN_IDS)]


def key_of(context: Context) -> KeyOf | None:
    if context.idempotency_key is None:
        return None
    return (context.actor, context.idempotency_key)


def provenance(context: Context, recorded_at: datetime) -> Provenance:
    return Provenance(
        actor=context.actor,
        recorded_at=recorded_at,
        source=context.source,
        evidence=context.evidence,
        idempotency_key=context.idempotency_key,
    )


def key_reused() -> IdempotencyKeyReused:
    msg = "this Idempotency-Key was already used for a different command"
    return IdempotencyKeyReused(msg)
