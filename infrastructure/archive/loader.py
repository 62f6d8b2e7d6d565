"""Loading an archive into an empty store, verifying every line as it comes.

Each event line's leaf is recomputed from its payload (and its spelled-out inputs
checked against the payload), each checkpoint's root against the events before it
and, given the log's public key, its signature; the end is checked against the
header. The whole load is one transaction: at the first bad line it is rolled back,
the store stays empty and the error names the line.

Events are written through the ledger's append hooks (Merkle nodes, token table,
read models) as a live append writes them, a page at a time, so the loaded store holds
exactly what appending the same events would have made; it never signs a checkpoint
of its own: the archive's are stored as they are.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from domain.events import LedgerEvent
from infrastructure.archive.errors import ArchiveError
from infrastructure.archive.format import (
    ARCHIVE_FORMAT,
    ARCHIVE_VERSION,
    ArchiveHeader,
    CheckpointLine,
    EventLine,
    decode_envelope,
    decode_header,
    decode_line,
)
from infrastructure.ledger import Ledger
from infrastructure.merkle import RootBuilder
from infrastructure.store.bulk import insert_rows
from infrastructure.store.event_table import events_table
from infrastructure.store.hooks import AppendedEvent, AppendHook
from infrastructure.store.recorders import event_columns
from infrastructure.store.sql import Tx
from infrastructure.tamper.checkpoints import CHECKPOINTS_TABLE, StoredCheckpoint
from infrastructure.tamper.errors import InvalidCheckpoint
from infrastructure.tamper.keys import VerifierKey
from infrastructure.tamper.leaf import DECODE_ERRORS, LEAF_VERSION, leaf_hash_of
from infrastructure.tamper.merkle_log import MerkleLogHook
from infrastructure.tamper.notes import parse_checkpoint

PAGE = 4096
Progress = Callable[[int], None]


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    checkpoints: int
    tree_size: int
    root: str
    signatures_checked: bool
    seconds: float


class BadLine(Exception):
    """What is wrong with the line being loaded (its number is added by the loader)."""


def read_header(path: Path) -> ArchiveHeader:
    """The archive's header line, checked for a format this version loads."""
    with _lines(path) as lines:
        try:
            for _, raw in lines:
                return _header(raw, path)
        except BadLine as error:
            raise ArchiveError(f"{path}: {error}") from None
    msg = f"{path} is empty: not a label-ledger archive"
    raise ArchiveError(msg)


def import_archive(
    ledger: Ledger,
    path: Path,
    *,
    public_key: VerifierKey | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Loads the archive at ``path`` into ``ledger``, whose store must hold no event."""
    started = time.perf_counter()
    with _lines(path) as lines, ledger.write() as tx:
        table, _ = events_table(tx)
        if tx.dialect == "postgresql":
            tx.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        _require_empty(tx, table)
        loader = _Loader(ledger, tx, public_key, progress)
        header: ArchiveHeader | None = None
        try:
            for loader.line, raw in lines:
                if header is None:
                    header = _header(raw, path)
                else:
                    loader.take(raw)
            if header is None:
                raise BadLine("the archive is empty")
            loader.finish(header)
        except BadLine as error:
            msg = f"{path}, line {max(loader.line, 1)}: {error}; nothing was imported"
            raise ArchiveError(msg) from None
    return ImportReport(
        events=loader.builder.size,
        checkpoints=loader.checkpoints,
        tree_size=loader.builder.size,
        root=loader.builder.root().hex(),
        signatures_checked=public_key is not None,
        seconds=time.perf_counter() - started,
    )


class _Loader:
    def __init__(
        self, ledger: Ledger, tx: Tx, public_key: VerifierKey | None, progress: Progress | None
    ) -> None:
        self.tx = tx
        self.decode_event = ledger.ledger_mapper.decode_state
        self.hooks = import_hooks(ledger)
        self.public_key = public_key
        self.progress = progress
        self.builder = RootBuilder()
        self.versions: dict[str, int] = {}
        self.pending: list[AppendedEvent] = []
        self.checkpoints = 0
        self.line = 0

    def take(self, raw: bytes) -> None:
        try:
            line = decode_line(raw)
        except msgspec.DecodeError as error:  # ValidationError is a DecodeError
            raise BadLine(f"not an archive line: {error}") from None
        if isinstance(line, EventLine):
            self._event(line)
        else:
            self._checkpoint(line)

    def _event(self, line: EventLine) -> None:
        position = self.builder.size + 1
        if line.position != position:
            raise BadLine(f"position {line.position} where position {position} belongs")
        _check_leaf_inputs(line)
        leaf = leaf_hash_of(position, line.aggregate_id, line.version, line.topic, line.payload)
        if leaf.hex() != line.leaf:
            raise BadLine(f"the event at position {position} does not give its leaf: altered")
        expected = self.versions.get(line.aggregate_id, 0) + 1
        if line.version != expected:
            msg = f"{line.aggregate_id} version {line.version} where version {expected} belongs"
            raise BadLine(msg)
        self.versions[line.aggregate_id] = line.version
        self.builder.append(leaf)
        self.pending.append(
            AppendedEvent(
                position,
                line.aggregate_id,
                line.version,
                line.topic,
                line.payload,
                self._decoded(line),
            )
        )
        if len(self.pending) >= PAGE:
            self._flush()

    def _decoded(self, line: EventLine) -> LedgerEvent:
        try:
            return self.decode_event(line.topic, line.payload)
        except (msgspec.DecodeError, KeyError, AssertionError) as error:
            msg = f"the event at position {line.position} is no {line.topic} event: {error}"
            raise BadLine(msg) from None

    def _checkpoint(self, line: CheckpointLine) -> None:
        size = self.builder.size
        if line.tree_size != size:
            msg = f"checkpoint #{line.seq} of tree size {line.tree_size} stands at size {size}"
            raise BadLine(msg)
        if line.seq != self.checkpoints + 1:
            raise BadLine(f"checkpoint #{line.seq} where #{self.checkpoints + 1} belongs")
        try:
            signed = parse_checkpoint(line.note)
        except InvalidCheckpoint as error:
            raise BadLine(f"checkpoint #{line.seq}: {error}") from None
        checkpoint = signed.checkpoint
        if checkpoint.tree_size != size or checkpoint.root_hash != self.builder.root():
            msg = f"checkpoint #{line.seq} does not sign the events before it: altered"
            raise BadLine(msg)
        if self.public_key is not None and not signed.is_signed_by(self.public_key):
            msg = f"checkpoint #{line.seq} is not signed by {self.public_key.name}"
            raise BadLine(msg)
        stored = StoredCheckpoint(
            seq=line.seq,
            tree_size=size,
            root_hash=checkpoint.root_hash,
            signed_at=checkpoint.timestamp or "",
            origin=checkpoint.origin,
            key_id=signed.signatures[0].key_id.hex(),
            note=line.note,
            frontier=b"".join(self.builder.frontier),
        )
        fields = msgspec.structs.fields(StoredCheckpoint)
        self.tx.execute(
            f"INSERT INTO {self.tx.table(CHECKPOINTS_TABLE)} "
            f"({', '.join(f.name for f in fields)}) VALUES ({', '.join('?' * len(fields))})",
            msgspec.structs.astuple(stored),
        )
        self.checkpoints += 1

    def _flush(self) -> None:
        if not self.pending:
            return
        table, position = events_table(self.tx)
        insert_rows(
            self.tx,
            table,
            event_columns(position),
            [
                (a.position, a.originator_id, a.originator_version, a.topic, a.state)
                for a in self.pending
            ],
        )
        for hook in self.hooks:
            hook.on_append(self.tx, self.pending)
        if self.progress is not None:
            self.progress(len(self.pending))
        self.pending = []

    def finish(self, header: ArchiveHeader) -> None:
        self._flush()
        size = self.builder.size
        if size < header.events:
            raise BadLine(f"the archive ends after {size} of its {header.events} events: truncated")
        if size != header.events or size != header.tree_size:
            raise BadLine(f"{size} events where the header announces {header.events}")
        if self.builder.root().hex() != header.root:
            raise BadLine("the events do not give the root the header announces: altered")
        if self.checkpoints != header.checkpoints:
            msg = f"{self.checkpoints} checkpoints where the header announces {header.checkpoints}"
            raise BadLine(msg)


def import_hooks(ledger: Ledger) -> list[AppendHook]:
    """The ledger's append hooks, with a Merkle log that never signs: an archive's
    checkpoints are its own, and a load must not add any."""
    return [
        MerkleLogHook(None) if isinstance(hook, MerkleLogHook) else hook
        for hook in ledger.store.hooks
    ]


def _check_leaf_inputs(line: EventLine) -> None:
    try:
        envelope = decode_envelope(line.payload)
    except DECODE_ERRORS as error:
        raise BadLine(f"the payload at position {line.position} does not decode: {error}") from None
    found = (envelope.timestamp, envelope.effective_on, envelope.actor, envelope.idempotency_key)
    said = (line.recorded_at, line.effective_on, line.actor, line.idempotency_key)
    if found != said:
        msg = f"the line's leaf inputs differ from its payload at position {line.position}: altered"
        raise BadLine(msg)


def _header(raw: bytes, path: Path) -> ArchiveHeader:
    try:
        header = decode_header(raw)
    except msgspec.DecodeError:
        msg = f"{path} is not a label-ledger archive (no header line)"
        raise ArchiveError(msg) from None
    if header.format != ARCHIVE_FORMAT or header.version != ARCHIVE_VERSION:
        msg = (
            f"{path} is a {header.format} archive of version {header.version}; this version "
            f"loads {ARCHIVE_FORMAT} version {ARCHIVE_VERSION}"
        )
        raise ArchiveError(msg)
    if header.leaf != LEAF_VERSION:
        msg = f"{path} holds leaves of encoding {header.leaf}; this version knows {LEAF_VERSION}"
        raise ArchiveError(msg)
    return header


def _require_empty(tx: Tx, table: str) -> None:
    _, position = events_table(tx)
    count = int(tx.scalar(f"SELECT COALESCE(MAX({position}), 0) FROM {table}"))
    checkpoints = int(tx.scalar(f"SELECT COUNT(*) FROM {tx.table(CHECKPOINTS_TABLE)}"))
    if count or checkpoints:
        msg = (
            f"the target store holds {count} events and {checkpoints} checkpoints: "
            "an archive is imported into an empty store only"
        )
        raise ArchiveError(msg)


@contextmanager
def _lines(path: Path) -> Iterator[Iterator[tuple[int, bytes]]]:
    """The archive's lines, numbered from 1; damage or truncation is a ``BadLine``."""
    if not path.is_file():
        msg = f"no archive at {path}"
        raise ArchiveError(msg)
    try:
        handle = gzip.open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        msg = f"cannot read {path}: {error.strerror or error}"
        raise ArchiveError(msg) from None
    with handle:
        yield _numbered(handle)


def _numbered(handle: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    number = 0
    try:
        for raw in handle:
            number += 1
            yield number, raw
    except (OSError, EOFError, zlib.error) as error:
        msg = f"the archive is damaged or truncated after line {number} ({error})"
        raise BadLine(msg) from None
