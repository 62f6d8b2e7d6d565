"""Idempotency records: the first outcome of a keyed command, kept with its events.

A record is written by the writer in the very transaction that appends the command's
events, so a key is claimed if and only if its events exist. A command the ledger's rules
refused (not found, a rule broken) is kept too, as Stripe keeps a request's error: the same
key then answers the same refusal, even if the ledger has changed since. What never ran
to a decision is not kept: a body that does not decode, a stale ``If-Match``, a
concurrent conflict, an unavailable store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import msgspec

from domain.commands import Command, Context
from domain.errors import InvariantViolation, LedgerError, NotFound
from infrastructure.receipts import Receipt, Refusal
from infrastructure.store.bulk import Column, insert_rows
from infrastructure.store.sql import Tx

TABLE = "idempotency_keys"
RECORDED = 201  # what the first release stored: the HTTP status of a recorded write
REFUSED = 0
CHUNK = 500
KeyOf = tuple[str, str]  # actor, key
COLUMNS: tuple[Column, ...] = (
    ("actor", "text"),
    ("key", "text"),
    ("fingerprint", "text"),
    ("status", "integer"),
    ("response", "bytea"),
)

_receipt_decoder = msgspec.json.Decoder(Receipt)
_refusal_decoder = msgspec.json.Decoder(Refusal)


class StoredOutcome(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: str
    status: int
    body: bytes

    def replay(self) -> Receipt:
        """The first answer again: its receipt, or its refusal raised again."""
        if self.status == RECORDED:
            receipt = _receipt_decoder.decode(self.body)
            return msgspec.structs.replace(receipt, replayed=True)
        raise _refusal_decoder.decode(self.body).error()


def fingerprint(command: Command, context: Context) -> str:
    """What makes two keyed commands the same request: the command and its provenance."""
    digest = hashlib.sha256(type(command).__name__.encode())
    digest.update(b"\n")
    digest.update(msgspec.json.encode(command, order="sorted"))
    digest.update(msgspec.json.encode((context.source, context.evidence)))
    return digest.hexdigest()


def is_kept(error: LedgerError) -> bool:
    """A refusal by the ledger's rules, which the key answers again."""
    return isinstance(error, NotFound | InvariantViolation)


def recorded_row(key: KeyOf, fingerprint: str, receipt: Receipt) -> tuple[object, ...]:
    return (*key, fingerprint, RECORDED, msgspec.json.encode(receipt))


def refused_row(key: KeyOf, fingerprint: str, error: LedgerError) -> tuple[object, ...]:
    return (*key, fingerprint, REFUSED, msgspec.json.encode(Refusal.of(error)))


def create_idempotency_table(tx: Tx) -> None:
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} ("
        "actor TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        f"status INTEGER NOT NULL, response {tx.blob_type} NOT NULL, "
        "PRIMARY KEY (actor, key))"
    )


def find_outcomes(tx: Tx, keys: Iterable[KeyOf]) -> dict[KeyOf, StoredOutcome]:
    """The outcomes kept under these keys: one indexed statement per actor and chunk."""
    by_actor: dict[str, list[str]] = {}
    for actor, key in set(keys):
        by_actor.setdefault(actor, []).append(key)
    found: dict[KeyOf, StoredOutcome] = {}
    for actor, names in sorted(by_actor.items()):
        names.sort()
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            tx.execute(
                f"SELECT key, fingerprint, status, response FROM {tx.table(TABLE)} "
                f"WHERE actor = ? AND key IN ({marks})",
                [actor, *chunk],
            )
            for key, print_, status, body in tx.fetchall():
                found[(actor, str(key))] = StoredOutcome(
                    fingerprint=str(print_), status=int(status), body=bytes(body)
                )
    return found


def record_outcomes(tx: Tx, rows: Sequence[tuple[object, ...]]) -> None:
    # Two writers of one key never both commit: the second fails this primary key.
    insert_rows(tx, tx.table(TABLE), COLUMNS, rows)
