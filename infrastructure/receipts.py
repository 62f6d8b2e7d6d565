"""What a command's execution answers: the events it appended, or why the ledger refused it.

A receipt is built once, in the transaction that appends its events; the same bytes are
kept for its idempotency key and served as the HTTP answer.
"""

from __future__ import annotations

import msgspec

from domain import errors
from domain.errors import LedgerError


class RecordedEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str


class Receipt(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What a command appended: its first event, that aggregate's new version, every event.

    ``replayed`` says that this is the first answer to the same idempotency key, given
    again: nothing was appended this time. It is never encoded (an answer given again is
    the same bytes; HTTP says ``Idempotent-Replayed`` in a header).
    """

    event_id: str
    position: int
    aggregate_id: str
    version: int
    type: str
    events: tuple[RecordedEvent, ...]
    replayed: bool = False

    def version_of(self, aggregate_id: str) -> int:
        return max(e.version for e in self.events if e.aggregate_id == aggregate_id)


def receipt_of(events: tuple[RecordedEvent, ...]) -> Receipt:
    first = events[0]
    return Receipt(
        event_id=first.event_id,
        position=first.position,
        aggregate_id=first.aggregate_id,
        version=max(e.version for e in events if e.aggregate_id == first.aggregate_id),
        type=first.type,
        events=events,
    )


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """A command the ledger's rules refused, kept for its idempotency key."""

    code: str
    detail: str

    @classmethod
    def of(cls, error: LedgerError) -> Refusal:
        return cls(code=error.code, detail=str(error))

    def error(self) -> LedgerError:
        """The refusal raised again, as the error class of its code."""
        error = error_class(self.code)(self.detail)
        error.replayed = True
        return error


def error_class(code: str) -> type[LedgerError]:
    pending: list[type[LedgerError]] = [errors.LedgerError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return errors.LedgerError
