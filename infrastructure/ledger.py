"""The ledger application: commands in through :meth:`Ledger.execute`, states out by loads."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Recorder

from domain.cluster import Cluster, project_cluster
from domain.commands import Command, Context
from domain.errors import ClusterNotFound, StageNotFound
from domain.events import EventCorrected, LedgerEvent
from domain.replay import Positioned
from domain.stage import Stage, project_stage
from domain.values import cluster_id, stage_id
from infrastructure.access.idempotency import create_idempotency_table
from infrastructure.access.last_used import create_last_used_table, last_uses
from infrastructure.access.tokens import Caller, TokenRegistry
from infrastructure.aggregate_cache import AggregateCache
from infrastructure.mapper import MsgspecMapper
from infrastructure.receipts import Receipt
from infrastructure.settings import StoreSettings
from infrastructure.snapshots import (
    SNAPSHOT_EVERY,
    SnapshotCodec,
    SnapshotHook,
    read_snapshot,
    write_snapshot,
)
from infrastructure.store import event_reads
from infrastructure.store.event_table import events_table
from infrastructure.store.hooks import AppendHook
from infrastructure.store.recorders import LedgerRecorder
from infrastructure.store.sql import Tx
from infrastructure.writing.batch import Pending
from infrastructure.writing.batch_sizes import BatchSizes
from infrastructure.writing.group_commit import GroupCommitter
from infrastructure.writing.writer import BatchRefused, Result, Writer

log = logging.getLogger(__name__)
S = TypeVar("S")


@dataclass(frozen=True)
class AggregateKind(Generic[S]):
    """How one kind of aggregate is folded and snapshotted."""

    project: Any
    codec: SnapshotCodec[S]


CLUSTERS = AggregateKind(project_cluster, SnapshotCodec(Cluster))
STAGES = AggregateKind(project_stage, SnapshotCodec(Stage))


class Ledger(Application[str]):
    """One ledger on one store; every command is decided and appended in one transaction."""

    name = "Ledger"

    def __init__(self, settings: StoreSettings, hooks: Iterable[AppendHook] = ()) -> None:
        self.settings = settings
        self.aggregate_cache: AggregateCache[Any] = AggregateCache()
        super().__init__(env=settings.env)
        self.snapshot_hook = SnapshotHook()
        self.store.add_hook(self.snapshot_hook)
        for hook in hooks:
            self.store.add_hook(hook)
        if self.store.creates_tables:
            with self.store.write_transaction() as tx:
                create_idempotency_table(tx)
                create_last_used_table(tx)
        self.tokens = TokenRegistry()
        self.writer = Writer(self.store, self.ledger_mapper, self.tokens)
        self.committer: GroupCommitter | None = None
        self.batch_sizes = BatchSizes()
        """The group-commit transactions' sizes, across every committer this ledger ran."""

    def close(self) -> None:
        self.disable_group_commit()
        super().close()

    # --- wiring -------------------------------------------------------------

    def construct_mapper(self) -> Mapper[str]:
        return MsgspecMapper(compressor=self.factory.compressor(), cipher=self.factory.cipher())

    @property
    def store(self) -> LedgerRecorder:
        recorder: Recorder = self.recorder
        assert isinstance(recorder, LedgerRecorder)
        return recorder

    @property
    def ledger_mapper(self) -> MsgspecMapper:
        mapper = self.mapper
        assert isinstance(mapper, MsgspecMapper)
        return mapper

    def read(self) -> Any:
        """A read-only transaction on the ledger's database (a context manager of Tx)."""
        return self.store.read_transaction()

    def write(self) -> Any:
        """A write transaction for side tables (not events): a context manager of Tx."""
        return self.store.write_transaction()

    # --- the one way in -------------------------------------------------------

    def execute(self, command: Command, context: Context, caller: Caller | None = None) -> Receipt:
        """Decides ``command`` and appends its events in one transaction; raises the named
        domain error that refuses it. With an idempotency key, the key's first outcome is
        answered again instead (``Receipt.replayed``)."""
        return self.submit(command, context, caller).result()

    def submit(
        self, command: Command, context: Context, caller: Caller | None = None
    ) -> Future[Receipt]:
        """Like :meth:`execute`, answered on a future (queued when group commit is on)."""
        pending = Pending(command=command, context=context, caller=caller)
        if self.committer is not None:
            return self.committer.submit(pending)
        answer: Future[Receipt] = Future()
        result = self.writer.execute([pending])[0]
        if isinstance(result, BaseException):
            answer.set_exception(result)
        else:
            answer.set_result(result)
        return answer

    def execute_batch(self, commands: Sequence[Pending], *, atomic: bool = False) -> list[Result]:
        """Decides the commands in order and appends them in one transaction: each answered
        with its receipt or its own error (a bulk import's path). ``atomic``: all are
        appended or none, and :class:`BatchRefused` names the first refusal."""
        return self.writer.execute(commands, atomic=atomic)

    def enable_group_commit(self, max_batch: int = 256) -> None:
        """Lets concurrent commands share transactions (for servers with many writers)."""
        if self.committer is None:
            self.committer = GroupCommitter(self.writer, max_batch, self.batch_sizes)

    def disable_group_commit(self) -> None:
        if self.committer is not None:
            self.committer.close()
            self.committer = None

    # --- who is calling -------------------------------------------------------

    def caller(self, secret: str) -> Caller | None:
        """The caller a bearer secret identifies, as of the ledger's last position."""
        self.refresh_tokens()
        return self.tokens.caller(secret)

    def refresh_tokens(self) -> None:
        with self.read() as tx:
            self.tokens.refresh(tx, self.ledger_mapper)

    def record_token_uses(self, *, everything: bool = False) -> int:
        """Writes the tokens' last uses that are due (see ``access.last_used``)."""
        if self.settings.read_only:
            return 0  # kept in memory only: a read-only store keeps no side data
        with self.write() as tx:
            return self.tokens.last_use.flush(tx, everything=everything)

    def token_last_uses(self) -> dict[str, datetime]:
        """Each token's last use, as written by any process or seen by this one."""
        with self.read() as tx:
            uses = last_uses(tx)
        for name, seen in self.tokens.last_use.seen().items():
            if name not in uses or seen > uses[name]:
                uses[name] = seen
        return uses

    # --- loading ------------------------------------------------------------

    def aggregate_events(self, aggregate_id: str, after_version: int = 0) -> list[LedgerEvent]:
        """An aggregate's events in version order, decoded straight from the rows."""
        with self.read() as tx:
            return self.aggregate_events_in(tx, aggregate_id, after_version=after_version)

    def aggregate_events_in(
        self, tx: Tx, aggregate_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[LedgerEvent]:
        """Like ``aggregate_events``, inside the caller's transaction, optionally bounded."""
        rows = event_reads.rows_of_aggregates(tx, {aggregate_id: after_version})[aggregate_id]
        decode = self.ledger_mapper.decode_state
        return [
            decode(topic, state)
            for _, version, topic, state in rows
            if up_to_version is None or version <= up_to_version
        ]

    def _load(self, aggregate_id: str, kind: AggregateKind[Any]) -> Any:
        """The aggregate's current state, from the newest cached or snapshotted state.

        The events after that state are always read, so writes by other processes are
        seen. A correction among them refolds the whole history from the first event.
        """
        cached = self.aggregate_cache.get(aggregate_id)
        with self.read() as tx:
            base = cached
            if base is None:
                snapshot = read_snapshot(tx, aggregate_id, kind.codec)
                base = None if snapshot is None else snapshot.state
            after = 0 if base is None else base.version
            events = self.aggregate_events_in(tx, aggregate_id, after_version=after)
            if base is not None and any(isinstance(e, EventCorrected) for e in events):
                base, events = None, self.aggregate_events_in(tx, aggregate_id)
        state = kind.project(base, events)
        if state is not None and state is not cached:
            self.aggregate_cache.put(aggregate_id, state, state.version)
        if state is not None and len(events) >= SNAPSHOT_EVERY:
            self._take_snapshot(aggregate_id, state, kind.codec)
        return state

    def _take_snapshot(self, aggregate_id: str, state: Any, codec: SnapshotCodec[Any]) -> None:
        if self.settings.read_only:
            return  # a snapshot only saves work later; a read-only store takes none
        if self.committer is not None:
            self.snapshot_hook.queue(aggregate_id, state.version, state, codec)
            return
        try:
            with self.write() as tx:
                write_snapshot(tx, aggregate_id, state.version, state, codec)
        except Exception:  # a snapshot only saves work later: failing to take one is no error
            log.warning("could not snapshot %s at version %s", aggregate_id, state.version)

    def find_cluster(self, slug: str) -> Cluster | None:
        cluster: Cluster | None = self._load(cluster_id(slug), CLUSTERS)
        return cluster

    def get_cluster(self, slug: str) -> Cluster:
        cluster = self.find_cluster(slug)
        if cluster is None:
            msg = f"no cluster {slug!r} in the ledger"
            raise ClusterNotFound(msg)
        return cluster

    def find_stage(self, number: int) -> Stage | None:
        stage: Stage | None = self._load(stage_id(number), STAGES)
        return stage

    def get_stage(self, number: int) -> Stage:
        stage = self.find_stage(number)
        if stage is None:
            msg = f"no stage {number} in the ledger"
            raise StageNotFound(msg)
        return stage

    def aggregate_ids(self, prefix: str) -> list[str]:
        with self.read() as tx:
            return event_reads.aggregate_ids(tx, prefix)

    def cluster_slugs(self) -> list[str]:
        return [i.removeprefix("cluster:") for i in self.aggregate_ids("cluster:")]

    def stage_numbers(self) -> list[int]:
        return sorted(int(i.removeprefix("stage:")) for i in self.aggregate_ids("stage:"))

    def clusters(self) -> Iterator[Cluster]:
        for slug in self.cluster_slugs():
            yield self.get_cluster(slug)

    def positioned_events(
        self, aggregate_id: str, *, up_to_position: int | None = None
    ) -> list[Positioned]:
        """An aggregate's events with their ledger positions, optionally as known at a position."""
        params: list[Any] = [aggregate_id]
        with self.read() as tx:
            table, position = events_table(tx)
            statement = f"SELECT {position}, topic, state FROM {table} WHERE originator_id = ?"
            if up_to_position is not None:
                statement += f" AND {position} <= ?"
                params.append(up_to_position)
            tx.execute(statement + " ORDER BY originator_version", params)
            rows = tx.fetchall()
        decode = self.ledger_mapper.decode_state
        return [
            Positioned(position, decode(topic, bytes(state))) for position, topic, state in rows
        ]

    def last_position(self) -> int:
        with self.read() as tx:
            return event_reads.last_position(tx)

    def events_after(self, position: int, limit: int) -> list[Positioned]:
        """Up to ``limit`` events recorded after ``position``, in ledger order."""
        notifications = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )
        mapper = self.ledger_mapper
        return [Positioned(n.id, mapper.to_domain_event(n)) for n in notifications]


__all__ = ["BatchRefused", "Ledger", "Pending", "Tx"]
