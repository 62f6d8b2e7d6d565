"""An online backup of a live SQLite ledger: one consistent copy, checked before it is named.

SQLite's backup API copies every page under one read transaction, so the copy is the
ledger as of one commit while writers go on (WAL). The copy is switched to a rollback
journal, so that it reads from read-only media without ``-wal``/``-shm`` files, then
checked (SQLite's quick_check, and opened as a ledger: its tree's root recomputed from
its stored nodes) and only then renamed to the name asked for.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import msgspec

from infrastructure.admin.inspection import inspect_store
from infrastructure.archive.errors import ArchiveError
from infrastructure.archive.export import stored_tree
from infrastructure.composition import check_format, missing_message, open_ledger
from infrastructure.settings import StoreSettingError, StoreSettings
from infrastructure.store.errors import StoreDamaged, StoreMissing
from infrastructure.store.sqlite_files import connect_read_only, file_uri, quick_check
from infrastructure.tamper.event_rows import event_table


class BackupReport(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    path: str
    format: int
    events: int
    root: str
    bytes: int
    seconds: float


def backup_sqlite(settings: StoreSettings, out: Path) -> BackupReport:
    """Copies the SQLite ledger of ``settings`` to ``out`` (never over an existing file)."""
    if settings.dialect != "sqlite" or settings.path is None:
        msg = (
            "label-ledger backup copies SQLite files; back up PostgreSQL with pg_dump "
            "(see 'Operating it' in the README)"
        )
        raise StoreSettingError(msg)
    if out.exists():
        msg = f"{out} already exists; refusing to overwrite it"
        raise ArchiveError(msg)
    state = inspect_store(settings.with_mode("read"))
    if not state.initialised:
        raise StoreMissing(missing_message(state))
    assert state.format is not None
    check_format(state, "read")
    started = time.perf_counter()
    partial = out.with_name(out.name + ".partial")
    try:
        _copy(settings.path, partial)
        events, root = _check_copy(state.where, partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(
        source=state.where,
        path=str(out),
        format=state.format,
        events=events,
        root=root.hex(),
        bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def _copy(source: Path, target: Path) -> None:
    reader = connect_read_only(source)
    try:
        copy = sqlite3.connect(target, isolation_level=None)
        try:
            reader.backup(copy)  # every page in one step: one snapshot of the source
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        reader.close()


def _check_copy(source: str, path: Path) -> tuple[int, bytes]:
    checker = sqlite3.connect(file_uri(path.absolute(), mode="ro"), uri=True)
    try:
        verdict = quick_check(checker)
    finally:
        checker.close()
    if verdict != "ok":
        msg = f"{source} is damaged: its copy fails SQLite's integrity check: {verdict}"
        raise StoreDamaged(msg)
    ledger = open_ledger(f"sqlite:///{path.absolute()}", "read")
    try:
        with ledger.read() as tx:
            return stored_tree(tx, event_table(tx))
    finally:
        ledger.close()
