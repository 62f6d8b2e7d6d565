"""How corrections rewrite the effective view of a history, never the history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import msgspec

from domain.errors import InvalidCommand, InvalidCorrection
from domain.events import EventCorrected, LedgerEvent
from domain.values import UNPRINTABLE

E = TypeVar("E", bound=LedgerEvent)

# Envelope fields identify and date the recording itself; a correction amends
# what was decided, never who recorded it or where it sits in the log.
PROTECTED_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor",
        "idempotency_key",
        "slug",
        "number",
    }
)


def effective_history(events: Sequence[E]) -> list[E]:
    """Returns the events as corrected: retracted ones dropped, amended ones replaced.

    Corrections are applied in recording order, so a later correction of the
    same event wins; the corrections themselves are not part of the result.
    """
    corrections = [e for e in events if isinstance(e, EventCorrected)]
    if not corrections:
        return list(events)
    by_version: dict[int, E | None] = {
        e.originator_version: e for e in events if not isinstance(e, EventCorrected)
    }
    for correction in corrections:
        target = by_version.get(correction.target_version)
        if target is None:
            continue
        by_version[correction.target_version] = amend(target, correction)
    return [e for _, e in sorted(by_version.items()) if e is not None]


def amend(target: E, correction: EventCorrected) -> E | None:
    if correction.amended is None:
        return None
    return with_fields(target, correction.amended)


def with_fields(target: E, changes: Mapping[str, object]) -> E:
    """The event with some fields replaced, validated against its schema."""
    return msgspec.convert({**msgspec.to_builtins(target), **changes}, type=type(target))


def check_correction(
    history: Iterable[LedgerEvent], target_version: int, amended: dict[str, object] | None
) -> LedgerEvent:
    """Returns the event a correction targets, or raises if it cannot apply."""
    target = next((e for e in history if e.originator_version == target_version), None)
    if target is None:
        msg = f"no event at version {target_version} to correct"
        raise InvalidCorrection(msg)
    if isinstance(target, EventCorrected):
        msg = "a correction cannot itself be corrected; record a new correction"
        raise InvalidCorrection(msg)
    if target_version == 1 and amended is None:
        msg = "the event that created the aggregate can be amended, not retracted"
        raise InvalidCorrection(msg)
    if amended is not None:
        check_amendment(target, amended)
    return target


def check_amendment(target: LedgerEvent, amended: dict[str, object]) -> None:
    fields = set(target.__struct_fields__)
    unknown = sorted(set(amended) - fields)
    if unknown:
        msg = f"{type(target).__name__} has no field(s) {', '.join(unknown)}"
        raise InvalidCorrection(msg)
    protected = sorted(set(amended) & PROTECTED_FIELDS)
    if protected:
        msg = f"field(s) {', '.join(protected)} record the ledger itself and cannot be amended"
        raise InvalidCorrection(msg)
    for name, value in amended.items():
        if _holds_unprintable(value):
            msg = f"amended {name} holds a control, bidirectional-control or zero-width character"
            raise InvalidCommand(msg, field=f"amended/{name}")
    try:
        with_fields(target, amended)
    except msgspec.ValidationError as error:
        raise InvalidCorrection(f"amendment is invalid: {error}") from None


def _holds_unprintable(value: object) -> bool:
    if isinstance(value, str):
        return UNPRINTABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_unprintable(k) or _holds_unprintable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_unprintable(item) for item in value)
    return False
