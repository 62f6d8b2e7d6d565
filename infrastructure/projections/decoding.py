"""Events as the read models apply them: decoded from their stored bytes, or taken as
the ledger appended them when that is the same value.

A rebuild decodes every stored state; an append hook already holds the events it
writes. Both must give byte-identical read models, and a command's in-memory event
may differ from its stored JSON where a float field holds an int (``3`` decodes as
``3.0``, and msgpack encodes the two differently). An event is used as appended only
when every float it can hold is a float; anything else is decoded from its bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec
from msgspec import inspect

from domain.events import LedgerEvent
from infrastructure.event_catalogue import current_topics
from infrastructure.mapper import MsgspecMapper

DecodeState = Callable[[bytes], LedgerEvent]
Check = Callable[[Any], bool]


class EventDecoder:
    """Decodes stored states; ``by_topic[topic]`` is that topic's decoding function."""

    def __init__(self) -> None:
        self.by_topic = DecodersByTopic()

    def decode(self, topic: str, state: bytes) -> LedgerEvent:
        return self.by_topic[topic](state)


class DecodersByTopic(dict[str, DecodeState]):
    """One typed decoder per topic, made on first use; retired topics are upcast."""

    def __init__(self) -> None:
        super().__init__()
        self._mapper = MsgspecMapper()
        self._topics = current_topics()

    def __missing__(self, topic: str) -> DecodeState:
        cls = self._topics.get(topic)
        found: DecodeState = (
            msgspec.json.Decoder(cls).decode
            if cls is not None
            else partial(self._mapper.decode_state, topic)
        )
        self[topic] = found
        return found


_checks: dict[type[Any], Check | None] = {}


def as_stored(event: LedgerEvent | None) -> LedgerEvent | None:
    """The event itself if decoding its stored bytes would give an equal value, else None."""
    if event is None:
        return None
    cls = type(event)
    try:
        check = _checks[cls]
    except KeyError:
        check = _checks[cls] = _check_for(inspect.type_info(cls))
    return event if check is None or check(event) else None


def _check_for(info: inspect.Type) -> Check | None:
    """None when any value of the type survives a JSON round trip as it is."""
    if isinstance(info, inspect.FloatType):
        return _is_float
    if isinstance(info, inspect.AnyType):
        return _never  # untyped JSON: a tuple comes back as a list
    if isinstance(info, inspect.UnionType):
        return _union_check(info)
    if isinstance(info, inspect.DictType):
        if _check_for(info.key_type) is not None:
            return _never
        values = _check_for(info.value_type)
        if values is None:
            return None
        return _float_values if values is _is_float else _each(values, dict.values)
    if isinstance(info, inspect.ListType | inspect.VarTupleType | inspect.SetType):
        item = _check_for(info.item_type)
        return None if item is None else _each(item, iter)
    if isinstance(info, inspect.TupleType):
        items = [_check_for(t) for t in info.item_types]
        return None if all(c is None for c in items) else _never
    if isinstance(info, inspect.StructType):
        fields = [(f.name, _check_for(f.type)) for f in info.fields]
        return _fields([(name, check) for name, check in fields if check is not None])
    return None


def _union_check(info: inspect.UnionType) -> Check | None:
    members = [t for t in info.types if not isinstance(t, inspect.NoneType)]
    if all(_check_for(t) is None for t in members):
        return None
    if len(members) == 1 and isinstance(members[0], inspect.FloatType):
        return _optional_float
    return _never  # a union mixing floats with other types: decode to be sure


def _never(_: Any) -> bool:
    return False


def _is_float(value: Any) -> bool:
    return type(value) is float


def _optional_float(value: Any) -> bool:
    return value is None or type(value) is float


_FLOAT = frozenset({float})


def _float_values(value: dict[Any, Any]) -> bool:
    return set(map(type, value.values())) <= _FLOAT


def _each(check: Check, items: Callable[[Any], Any]) -> Check:
    def each(value: Any) -> bool:
        return all(check(item) for item in items(value))

    return each


def _fields(checks: list[tuple[str, Check]]) -> Check | None:
    if not checks:
        return None
    if len(checks) == 1:
        ((name, only),) = checks
        return lambda value: only(getattr(value, name))

    def every(value: Any) -> bool:
        return all(check(getattr(value, name)) for name, check in checks)

    return every
