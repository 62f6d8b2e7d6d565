"""The ``merkle_nodes`` table: every perfect-subtree hash of the log, insert-only.

Row ``(level, idx, hash)`` is the root of leaves ``[idx * 2**level, (idx + 1) * 2**level)``;
level 0 holds the leaf hashes, leaf ``idx`` being the event at ledger position ``idx + 1``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import psycopg

from infrastructure.merkle import MAX_LEVEL, NodeCoordinate, StoredNode, root_coordinates
from infrastructure.store.bulk import Column, insert_rows
from infrastructure.store.sql import Tx
from infrastructure.tamper.errors import MerkleLogDamaged
from infrastructure.tamper.reads import bigint_array, select_all

NODES_TABLE = "merkle_nodes"
_BATCH = 256  # SQLite parses an OR chain as a tree no deeper than 1,000


NODE_COLUMNS: list[Column] = [("level", "bigint"), ("idx", "bigint"), ("hash", "bytea")]


def create_node_table(tx: Tx) -> None:
    # Clustered on (level, idx) in SQLite too: range scans of a level are the hot reads.
    suffix = " WITHOUT ROWID" if tx.dialect == "sqlite" else ""
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(NODES_TABLE)} ("
        f"level {tx.bigint_type} NOT NULL, idx {tx.bigint_type} NOT NULL, "
        f"hash {tx.blob_type} NOT NULL, PRIMARY KEY (level, idx)){suffix}"
    )


def fetch_nodes(tx: Tx, coordinates: Iterable[NodeCoordinate]) -> dict[NodeCoordinate, bytes]:
    """The stored hashes at ``coordinates`` (absent ones are simply missing).

    One query on PostgreSQL; on SQLite one per ``_BATCH`` coordinates, which covers any proof.
    """
    wanted = sorted(set(coordinates))
    found: dict[NodeCoordinate, bytes] = {}
    if tx.dialect == "postgresql" and wanted:
        # One fixed statement (prepared once) that the planner joins on the primary key.
        rows = select_all(
            tx,
            f"SELECT n.level, n.idx, n.hash FROM unnest(?::bigint[], ?::bigint[]) "
            f"AS w(level, idx) JOIN {tx.table(NODES_TABLE)} n USING (level, idx)",
            (bigint_array(level for level, _ in wanted), bigint_array(i for _, i in wanted)),
        )
        return {(row[0], row[1]): row[2] for row in rows}
    for first in range(0, len(wanted), _BATCH):
        batch = wanted[first : first + _BATCH]
        condition = " OR ".join(["(level = ? AND idx = ?)"] * len(batch))
        tx.execute(
            f"SELECT level, idx, hash FROM {tx.table(NODES_TABLE)} WHERE {condition}",
            [value for coordinate in batch for value in coordinate],
        )
        found.update({(row[0], row[1]): bytes(row[2]) for row in tx.fetchall()})
    return found


def leaf_count(tx: Tx) -> int:
    """How many leaves the stored tree holds."""
    return int(tx.scalar(f"SELECT {leaf_count_column(tx)}"))


def leaf_count_column(tx: Tx) -> str:
    """The stored leaf count as a scalar subquery (one index lookup)."""
    return f"(SELECT COALESCE(MAX(idx) + 1, 0) FROM {tx.table(NODES_TABLE)} WHERE level = 0)"


def leaf_count_and_nodes(
    tx: Tx, coordinates: Iterable[NodeCoordinate], *, with_root: bool
) -> tuple[int, dict[NodeCoordinate, bytes]]:
    """The stored leaf count and the stored hashes at ``coordinates``; ``with_root`` adds
    those at ``root_coordinates(count)``.

    One statement on PostgreSQL, so its snapshot holds the count and the nodes alike
    and it needs no transaction around it.
    """
    wanted = sorted(set(coordinates))
    if tx.dialect != "postgresql":
        count = leaf_count(tx)
        if with_root:
            wanted.extend(root_coordinates(count))
        return count, fetch_nodes(tx, wanted)
    table = tx.table(NODES_TABLE)
    statement = (
        f"WITH size AS (SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM {table} WHERE level = 0), "
        "wanted AS ("
        "SELECT w.level, w.idx FROM size, unnest(?::bigint[], ?::bigint[]) AS w(level, idx) "
        # Only coordinates inside the stored tree are probed (a shift wrapping past 64 bits
        # lets one more through, which finds nothing or a node the tree does hold).
        "WHERE (w.idx + 1) << w.level::int <= size.n "
        "UNION SELECT l, (size.n >> l) - 1 FROM size, generate_series(0, ?) AS l "
        "WHERE ? AND (size.n >> l) & 1 = 1) "
        "SELECT -1::bigint, size.n, NULL::bytea FROM size "
        f"UNION ALL SELECT n.level, n.idx, n.hash FROM wanted JOIN {table} n USING (level, idx)"
    )
    params = (
        bigint_array(level for level, _ in wanted),
        bigint_array(index for _, index in wanted),
        MAX_LEVEL,
        with_root,
    )
    tx.cursor.execute(tx.sql(statement), params, binary=True, prepare=True)
    count = 0
    found: dict[NodeCoordinate, bytes] = {}
    for level, index, digest in tx.cursor.fetchall():
        if level < 0:
            count = index
        else:
            found[level, index] = digest
    return count, found


def insert_nodes(tx: Tx, nodes: Sequence[StoredNode]) -> None:
    """Adds new nodes in one statement; an existing coordinate means a damaged log."""
    try:
        insert_rows(tx, tx.table(NODES_TABLE), NODE_COLUMNS, nodes)
    except (sqlite3.IntegrityError, psycopg.errors.IntegrityError):
        first_level, first_index, _ = nodes[0]
        msg = (
            f"the Merkle log already holds nodes where leaf {first_index} belongs "
            f"(level {first_level}): its tree no longer fits the events; run label-ledger verify"
        )
        raise MerkleLogDamaged(msg) from None


def level_range(tx: Tx, level: int, start: int, end: int) -> list[bytes]:
    """Stored hashes of ``(level, start) .. (level, end - 1)`` in index order."""
    rows = select_all(
        tx,
        f"SELECT hash FROM {tx.table(NODES_TABLE)} "
        "WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
        (level, start, end),
    )
    return [row[0] for row in rows]


def block_levels(tx: Tx, start: int, width: int) -> list[list[bytes]]:
    """Stored hashes of every node inside the aligned block of leaves ``[start, start +
    width)``, level by level: ``level_range(tx, level, start >> level, ...)`` for each level
    that has one, in one statement on PostgreSQL (an array per level, not a row per node).
    """
    ranges = []
    level = 0
    while width >> level:
        first = start >> level
        ranges.append((level, first, first + (width >> level)))
        level += 1
    if tx.dialect != "postgresql":
        return [level_range(tx, level, first, end) for level, first, end in ranges]
    rows = select_all(
        tx,
        "SELECT (SELECT array_agg(n.hash ORDER BY n.idx) "
        f"FROM {tx.table(NODES_TABLE)} n WHERE n.level = r.level AND n.idx >= r.first "
        "AND n.idx < r.stop) "
        "FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) WITH ORDINALITY "
        "AS r(level, first, stop, seq) ORDER BY r.seq",
        (
            bigint_array(level for level, _, _ in ranges),
            bigint_array(first for _, first, _ in ranges),
            bigint_array(end for _, _, end in ranges),
        ),
    )
    return [row[0] or [] for row in rows]


def indexed_level_range(tx: Tx, level: int, start: int, end: int) -> dict[int, bytes]:
    tx.execute(
        f"SELECT idx, hash FROM {tx.table(NODES_TABLE)} "
        "WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
        (level, start, end),
    )
    return {row[0]: bytes(row[1]) for row in tx.fetchall()}


def first_node_beyond(tx: Tx, size: int) -> NodeCoordinate | None:
    """The lowest stored node that does not belong to a tree of ``size`` leaves, if any."""
    top = max(size.bit_length(), 1)
    tx.execute(
        f"SELECT level, MIN(idx) FROM {tx.table(NODES_TABLE)} WHERE level > ? GROUP BY level",
        (top,),
    )
    beyond: list[NodeCoordinate] = [(row[0], row[1]) for row in tx.fetchall()]
    for level in range(top + 1):
        # Node (level, idx) exists in a tree of `size` leaves iff (idx + 1) << level <= size.
        found = tx.scalar(
            f"SELECT MIN(idx) FROM {tx.table(NODES_TABLE)} WHERE level = ? AND idx >= ?",
            (level, size >> level),
        )
        if found is not None:
            beyond.append((level, found))
    if not beyond:
        return None
    return min(beyond, key=lambda c: (c[1] << c[0], c[0]))
