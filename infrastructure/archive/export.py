"""Writing a ledger's archive from one consistent read of its store.

Every event is written exactly as stored, with its leaf; the events' running root is
checked against the stored tree's root at the end, so an archive is only ever made
of a log that fits its tree. The file appears under its name only once complete.
"""

from __future__ import annotations

import gzip
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from infrastructure.archive.errors import ArchiveError
from infrastructure.archive.format import (
    ARCHIVE_FORMAT,
    ARCHIVE_VERSION,
    ArchiveHeader,
    CheckpointLine,
    EventLine,
    decode_envelope,
    encode_line,
)
from infrastructure.ledger import Ledger
from infrastructure.merkle import MissingNodeError, RootBuilder, root_coordinates, root_from_nodes
from infrastructure.store.sql import Tx
from infrastructure.tamper.checkpoints import StoredCheckpoint, stored_checkpoints
from infrastructure.tamper.event_rows import EventTable, event_table
from infrastructure.tamper.leaf import DECODE_ERRORS, LEAF_VERSION, StoredRow, leaf_hashes
from infrastructure.tamper.merkle_log import ledger_signing_key
from infrastructure.tamper.node_store import fetch_nodes, leaf_count

PAGE = 8192
COMPRESS_LEVEL = 6

Progress = Callable[[int], None]


class ExportReport(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    events: int
    checkpoints: int
    tree_size: int
    root: str
    bytes: int
    seconds: float


def export_ledger(ledger: Ledger, out: Path, progress: Progress | None = None) -> ExportReport:
    """Writes the archive of ``ledger`` to ``out`` (never over an existing file)."""
    if out.exists():
        msg = f"{out} already exists; refusing to overwrite it"
        raise ArchiveError(msg)
    started = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    try:
        with ledger.read() as tx:
            if tx.dialect == "postgresql":
                # One snapshot for the whole export, whatever is appended meanwhile.
                tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            events = event_table(tx)
            checkpoints = stored_checkpoints(tx)
            header = _header(ledger, tx, events, checkpoints)
            with gzip.open(partial, "wb", compresslevel=COMPRESS_LEVEL) as handle:
                handle.write(encode_line(header) + b"\n")
                _write_log(handle, tx, events, header, checkpoints, progress)
        os.replace(partial, out)
    except ArchiveError as error:
        partial.unlink(missing_ok=True)
        raise ArchiveError(f"{ledger.settings.where}: {error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return ExportReport(
        path=str(out),
        events=header.events,
        checkpoints=header.checkpoints,
        tree_size=header.tree_size,
        root=header.root,
        bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def stored_tree(tx: Tx, events: EventTable) -> tuple[int, bytes]:
    """The log's size and its stored tree's root, which must have a leaf per event."""
    size = events.last_position(tx)
    leaves = leaf_count(tx)
    if leaves != size:
        msg = f"the tree has {leaves} leaves for {size} events: run label-ledger verify"
        raise ArchiveError(msg)
    try:
        return size, root_from_nodes(size, fetch_nodes(tx, root_coordinates(size)))
    except MissingNodeError:
        msg = f"the stored tree lacks nodes at size {size}: run label-ledger verify"
        raise ArchiveError(msg) from None


def _header(
    ledger: Ledger, tx: Tx, events: EventTable, checkpoints: list[StoredCheckpoint]
) -> ArchiveHeader:
    size, root = stored_tree(tx, events)
    signer = ledger_signing_key(ledger)
    origin = checkpoints[-1].origin if checkpoints else (signer.name if signer else None)
    return ArchiveHeader(
        format=ARCHIVE_FORMAT,
        version=ARCHIVE_VERSION,
        leaf=LEAF_VERSION,
        origin=origin,
        source=tx.dialect,
        events=size,
        tree_size=size,
        root=root.hex(),
        checkpoints=len(checkpoints),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )


def _write_log(
    handle: gzip.GzipFile,
    tx: Tx,
    events: EventTable,
    header: ArchiveHeader,
    checkpoints: Iterable[StoredCheckpoint],
    progress: Progress | None,
) -> None:
    due = deque(sorted(checkpoints, key=lambda c: (c.tree_size, c.seq)))
    builder = RootBuilder()
    _write_due(handle, due, 0)
    for start in range(0, header.events, PAGE):
        end = min(start + PAGE, header.events)
        rows = events.rows(tx, start, end)
        _check_dense(rows, start, end)
        try:
            leaves = leaf_hashes(rows)
        except DECODE_ERRORS as error:
            msg = f"a stored event does not decode ({error}): run label-ledger verify"
            raise ArchiveError(msg) from None
        for row, leaf in zip(rows, leaves, strict=True):
            handle.write(encode_line(_event_line(row, leaf)) + b"\n")
            builder.append(leaf)
            _write_due(handle, due, row[0])
        if progress is not None:
            progress(len(rows))
    if builder.root().hex() != header.root:
        msg = "the stored events do not give the stored tree's root: run label-ledger verify"
        raise ArchiveError(msg)
    if due:
        msg = (
            f"checkpoint #{due[0].seq} covers {due[0].tree_size} events but the log holds "
            f"{header.events}: run label-ledger verify"
        )
        raise ArchiveError(msg)


def _write_due(handle: gzip.GzipFile, due: deque[StoredCheckpoint], size: int) -> None:
    while due and due[0].tree_size == size:
        checkpoint = due.popleft()
        line = CheckpointLine(
            seq=checkpoint.seq, tree_size=checkpoint.tree_size, note=checkpoint.note
        )
        handle.write(encode_line(line) + b"\n")


def _check_dense(rows: list[StoredRow], start: int, end: int) -> None:
    for expected, row in enumerate(rows, start=start + 1):
        if row[0] != expected:
            break
        if not isinstance(row[4], bytes):
            msg = (
                f"the event at position {row[0]} is stored as {type(row[4]).__name__}, "
                "not as bytes: run label-ledger verify"
            )
            raise ArchiveError(msg)
    else:
        if len(rows) == end - start:
            return
        expected = start + len(rows) + 1
    msg = f"position {expected} is missing from the events table: run label-ledger verify"
    raise ArchiveError(msg)


def _event_line(row: StoredRow, leaf: bytes) -> EventLine:
    position, aggregate_id, version, topic, state = row
    envelope = decode_envelope(state)
    return EventLine(
        position=position,
        aggregate_id=aggregate_id,
        version=version,
        topic=topic,
        recorded_at=envelope.timestamp,
        effective_on=envelope.effective_on,
        actor=envelope.actor,
        idempotency_key=envelope.idempotency_key,
        payload=bytes(state),
        leaf=leaf.hex(),
    )
