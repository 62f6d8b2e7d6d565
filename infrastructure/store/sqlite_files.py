"""SQLite ledger files: read without ever being changed, and told apart from other files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from infrastructure.store.errors import StoreReadOnly

SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100


def file_uri(path: Path, **parameters: str) -> str:
    """A ``file:`` URI of ``path`` (any character of the path escaped) with parameters."""
    query = "&".join(f"{name}={value}" for name, value in parameters.items())
    return f"file:{quote(str(path))}" + (f"?{query}" if query else "")


def connect_read_only(
    path: Path, *, timeout: float = 5.0, cached_statements: int = 128
) -> sqlite3.Connection:
    """A connection that cannot change ``path``: nothing is written, not even the journal mode.

    A WAL-mode file in a folder nobody may write (a read-only backup) cannot be opened
    ``mode=ro``: SQLite must create its ``-shm`` file beside it. It is then opened
    ``immutable``, which is safe because no writer can work in that folder either —
    unless a ``-wal`` file lies beside it, whose commits an immutable reader would miss.
    """
    connection = _connect(file_uri(path, mode="ro"), timeout, cached_statements)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        connection.close()
        if getattr(error, "sqlite_errorname", "") != "SQLITE_READONLY_DIRECTORY":
            raise
    else:
        return connection
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        msg = (
            f"cannot read {path}: its folder is read-only and {wal} holds commits not yet "
            "in the file; copy both files to a folder you may write and read the copy"
        )
        raise StoreReadOnly(msg)
    return _connect(file_uri(path, mode="ro", immutable="1"), timeout, cached_statements)


def _connect(uri: str, timeout: float, cached_statements: int) -> sqlite3.Connection:
    return sqlite3.connect(
        uri,
        uri=True,
        check_same_thread=False,
        isolation_level=None,
        cached_statements=cached_statements,
        timeout=timeout,
    )


def header_problem(path: Path) -> str | None:
    """What the file's first 100 bytes say is wrong with it as a SQLite database, if anything.

    Only for a file SQLite itself could not read: closing a descriptor of a SQLite file
    drops every POSIX lock this process holds on it, those of its open connections included.

    An empty file is an empty database. A file shorter than the pages its header counts
    was truncated (the count is trusted only when SQLite itself would trust it: when
    its "valid for" number equals the change counter, and no write-ahead log is beside
    it, since a checkpoint in progress writes page 1 before it extends the file).
    """
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as handle:
        header = handle.read(_HEADER_SIZE)
    if len(header) < _HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        return "not a SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    logged = wal.exists() and wal.stat().st_size > 0
    if header[24:28] == header[92:96] and pages and not logged and size < pages * page_size:
        return f"truncated: {size:,} bytes where its header counts {pages * page_size:,}"
    return None


def quick_check(connection: sqlite3.Connection, *, shown: int = 5) -> str:
    """SQLite's ``PRAGMA quick_check`` over every page, as one line: ``ok``, or its first
    findings."""
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:  # pages so damaged the check itself stops
        return str(error)
    found = [
        " ".join(line.split())
        for (row,) in rows
        for line in str(row).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    more = f" (and {len(found) - shown} more)" if len(found) > shown else ""
    return "; ".join(found[:shown]) + more
