"""The sourced 2005-2026 history as rows of data, one command each, in seeding order.

Each file of ``data/`` holds one kind of fact, one row per fact. Its columns are the
fields of the ``domain.commands`` struct the fact is recorded with, plus ``source``
(keys of ``data/sources.csv``, ``;``-separated), ``evidence`` (``stated``, ``weak`` or
``inferred``) and an optional ``note`` for whoever maintains the row. A label
extension or withdrawal names the ``stage`` of the label it acts on (a command field the
ledger checks against the active label, and part of its key).
In a CSV cell, a list (regions, themes, conditions) is ``|``-separated and a mapping
(measurements) is a JSON object; a nested struct is spread over dotted columns
(``reported.count``), whose ``source`` holds keys too.

A row's idempotency key is derived from what the fact is about, exactly as the first
seed (``seed:v1:...``) derived it, so that a ledger seeded then recognises every
fact it already holds. Rows are returned by effective day; on one day, stages open
before clusters register, then come mergers and renamings, grants, extensions,
withdrawals, reviews and European labels, reported counts, and closures.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cache
from typing import Any

import msgspec
from msgspec import inspect as mi

from domain.commands import (
    AwardEuropeanLabel,
    CloseStage,
    Command,
    Context,
    DissolveCluster,
    ExtendLabel,
    ExtendStagePeriod,
    GrantLabel,
    MergeCluster,
    OpenStage,
    RegisterCluster,
    RenameCluster,
    ReportStageCount,
    ReviewCriteria,
    WithdrawLabel,
)
from domain.values import Evidence
from infrastructure.history.datafiles import (
    Origin,
    Row,
    SeedDataError,
    csv_rows,
    detail_of,
    field_of,
    split_list,
    toml_rows,
)
from infrastructure.history.sources import Catalogue, catalogue, source_keys

KEY_PREFIX = "seed:v1"
SEED_ACTOR = "seed"
LIST_SEPARATOR = "|"
META_COLUMNS = ("source", "evidence", "note")



class SeedRow(msgspec.Struct, frozen=True, kw_only=True):
    """One sourced fact: the command that records it, its citation, grade and key."""

    command: Command
    source: str
    evidence: Evidence
    key: str
    source_keys: tuple[str, ...]
    origin: Origin
    order: tuple[date, int]
    note: str | None = None

    def context(self, actor: str = SEED_ACTOR) -> Context:
        return Context(
            actor=actor, source=self.source, evidence=self.evidence, idempotency_key=self.key
        )


class Kind(msgspec.Struct, frozen=True):
    """A data file and the command its rows record."""

    file: str
    command: type[Command]
    rank: int
    day: Callable[[Any], date]
    subject: Callable[[Any], str]
    table: str | None = None
    """For a TOML file: the array of tables that holds its rows."""

    def key(self, command: Any) -> str:
        return f"{KEY_PREFIX}:{self.subject(command)}"

    def rows(self, text: str | None = None) -> Iterator[Row]:
        if self.table is not None:
            return toml_rows(self.file, self.table, text)
        return csv_rows(self.file, text, self.columns())

    def columns(self) -> set[str]:
        """The columns a CSV file of this kind may have (a nested field's are dotted)."""
        names = set(META_COLUMNS)
        for field in _fields(mi.type_info(self.command)):
            names.add(field.name)
            nested = _without_none(field.type)
            if isinstance(nested, mi.StructType):
                names.update(f"{field.name}.{inner.name}" for inner in nested.fields)
        return names


class MissingDay(ValueError):
    """A row lacks the optional day that places it in the history."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__("missing: a seed row needs this day to place it in the history")


def _required(day: date | None, field: str) -> date:
    if day is None:
        raise MissingDay(field)
    return day


KINDS: tuple[Kind, ...] = (
    Kind("stage_openings.toml", OpenStage, 0, lambda c: c.opened_on or c.starts_on,
         lambda c: f"stage-{c.number}:open", table="stage"),
    Kind("stage_period_extensions.csv", ExtendStagePeriod, 0, lambda c: c.decided_on,
         lambda c: f"stage-{c.number}:extend:{c.ends_on}"),
    Kind("registrations.csv", RegisterCluster, 1,
         lambda c: _required(c.registered_on, "registered_on"),
         lambda c: f"{c.slug}:register"),
    Kind("renames.csv", RenameCluster, 2, lambda c: c.effective_on,
         lambda c: f"{c.slug}:rename:{c.effective_on}"),
    Kind("mergers.csv", MergeCluster, 2, lambda c: c.effective_on,
         lambda c: f"{c.slug}:merge-into:{c.into}"),
    Kind("dissolutions.csv", DissolveCluster, 2, lambda c: c.effective_on,
         lambda c: f"{c.slug}:dissolve"),
    Kind("grants.csv", GrantLabel, 3, lambda c: c.effective_from,
         lambda c: f"{c.slug}:grant:{c.stage}"),
    Kind("label_extensions.csv", ExtendLabel, 4, lambda c: c.decided_on,
         lambda c: f"{c.slug}:extend:{c.stage}:{c.decided_on}"),
    Kind("withdrawals.csv", WithdrawLabel, 4, lambda c: c.effective_on,
         lambda c: f"{c.slug}:withdraw:{c.stage}"),
    Kind("reviews.csv", ReviewCriteria, 4, lambda c: c.reviewed_on,
         lambda c: f"{c.slug}:review:{c.stage}:{c.reviewed_on}"),
    Kind("european_labels.csv", AwardEuropeanLabel, 4, lambda c: c.awarded_on,
         lambda c: f"{c.slug}:european-label:{c.level}:{c.awarded_on}"),
    Kind("stage_counts.csv", ReportStageCount, 5, lambda c: c.reported.as_of,
         lambda c: f"stage-{c.number}:count:{c.reported.as_of}:{c.reported.count}"),
    Kind("stage_closures.csv", CloseStage, 9, lambda c: c.closed_on,
         lambda c: f"stage-{c.number}:close"),
)  # fmt: skip


def kind_of(file: str) -> Kind:
    """The kind of fact a data file holds."""
    for kind in KINDS:
        if kind.file == file:
            return kind
    msg = f"no data file {file!r}"
    raise KeyError(msg)


def load_rows(
    kinds: Iterable[Kind] = KINDS,
    sources: Catalogue | None = None,
    texts: dict[str, str] | None = None,
) -> tuple[SeedRow, ...]:
    """Every row of every file, decoded and validated, in seeding order.

    ``texts`` replaces the content of the named files (to check data not yet bundled).
    Raises ``SeedDataError`` naming the file, the row and the field of the first bad row.
    """
    cited = catalogue() if sources is None else sources
    rows = [
        decode_row(kind, row, cited)
        for kind in kinds
        for row in kind.rows((texts or {}).get(kind.file))
    ]
    check_unique_keys(rows)
    return tuple(sorted(rows, key=lambda r: r.order))


@cache
def history_rows() -> tuple[SeedRow, ...]:
    """The bundled history, read and validated once."""
    return load_rows()


def decode_row(kind: Kind, row: Row, sources: Catalogue) -> SeedRow:
    values = dict(row.values)
    meta = {name: values.pop(name, None) for name in META_COLUMNS}
    keys = _source_keys(meta["source"], row.origin, sources, "source")
    evidence = _evidence(meta["evidence"], row.origin)
    shaped = _shape(_nest(values), mi.type_info(kind.command), sources, row.origin, "")
    try:
        command = msgspec.convert(shaped, kind.command, strict=False)
        order = (kind.day(command), kind.rank)
    except msgspec.ValidationError as error:
        raise SeedDataError(row.origin, field_of(error), detail_of(error)) from None
    except MissingDay as error:
        raise SeedDataError(row.origin, error.field, str(error)) from None
    return SeedRow(
        command=command,
        source=sources.cite(keys),
        evidence=evidence,
        key=kind.key(command),
        source_keys=keys,
        origin=row.origin,
        order=order,
        note=None if meta["note"] is None else str(meta["note"]),
    )


def check_unique_keys(rows: Iterable[SeedRow]) -> None:
    seen: dict[str, Origin] = {}
    for row in rows:
        if row.key in seen:
            msg = f"its key {row.key!r} is already the key of {seen[row.key]}"
            raise SeedDataError(row.origin, None, msg)
        seen[row.key] = row.origin


def _source_keys(cell: Any, origin: Origin, sources: Catalogue, field: str) -> tuple[str, ...]:
    keys = source_keys(cell) if cell is not None else ()
    if not keys:
        raise SeedDataError(origin, field, "missing: every fact needs at least one source key")
    unknown = [key for key in keys if key not in sources]
    if unknown:
        raise SeedDataError(origin, field, f"unknown source key {unknown[0]!r}")
    return keys


def _evidence(cell: Any, origin: Origin) -> Evidence:
    try:
        evidence: Evidence = msgspec.convert(cell, Evidence)
    except msgspec.ValidationError:
        msg = f"expected 'stated', 'weak' or 'inferred', got {cell!r}"
        raise SeedDataError(origin, "evidence", msg) from None
    return evidence


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted CSV columns (``reported.count``) as nested mappings."""
    nested: dict[str, Any] = {}
    for column, value in values.items():
        *parents, name = column.split(".")
        target = nested
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value
    return nested


def _shape(
    values: dict[str, Any], info: mi.Type, sources: Catalogue, origin: Origin, path: str
) -> dict[str, Any]:
    """Turns cells into what the command's fields expect: lists split, mappings parsed,
    nested structs shaped, and nested ``source`` keys resolved to their citation."""
    fields = {f.name: _without_none(f.type) for f in _fields(info)}
    shaped = dict(values)
    for name, value in values.items():
        field_type = fields.get(name)
        where = f"{path}{name}"
        if field_type is None:
            continue
        if path and name == "source":
            shaped[name] = sources.cite(_source_keys(value, origin, sources, where))
        elif isinstance(field_type, mi.VarTupleType | mi.TupleType):
            items = split_list(value, LIST_SEPARATOR)
            item_type = _without_none(getattr(field_type, "item_type", mi.AnyType()))
            shaped[name] = [
                _shape(item, item_type, sources, origin, f"{where}[{i}].")
                if isinstance(item, dict) else item
                for i, item in enumerate(items)
            ]  # fmt: skip
        elif isinstance(field_type, mi.DictType) and isinstance(value, str):
            shaped[name] = _json_object(value, origin, where)
        elif isinstance(field_type, mi.StructType) and isinstance(value, dict):
            shaped[name] = _shape(value, field_type, sources, origin, f"{where}.")
    return shaped


def _fields(info: mi.Type) -> tuple[mi.Field, ...]:
    return info.fields if isinstance(info, mi.StructType) else ()


def _without_none(info: mi.Type) -> mi.Type:
    if isinstance(info, mi.UnionType):
        kept = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return kept[0] if len(kept) == 1 else info
    return info


def _json_object(cell: str, origin: Origin, field: str) -> Any:
    try:
        return json.loads(cell)
    except json.JSONDecodeError as error:
        raise SeedDataError(origin, field, f"expected a JSON object: {error}") from None
