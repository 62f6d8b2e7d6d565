"""Where each seeded fact comes from: the source catalogue ``data/sources.csv``.

Keys ``S1``..``S87`` are those of POLES_HISTORY.md, ``N..`` those of SOURCED_LISTS.md
(a key the research files give as an alias of another is listed in its ``aliases``),
``X-...`` are public pages found later to pin a day, and ``P-...`` are slides of the
seed presentation (no address: their title is what an event cites).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Annotated

import msgspec
from msgspec import Meta

from infrastructure.history.datafiles import (
    Origin,
    SeedDataError,
    csv_rows,
    detail_of,
    field_of,
    split_list,
)

SOURCES_FILE = "sources.csv"
KEY_SEPARATOR = ";"

SourceKey = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")]
Address = Annotated[str, Meta(max_length=500, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Title = Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")]


class Source(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    key: SourceKey
    title: Title
    url: Address | None = None
    aliases: tuple[SourceKey, ...] = ()

    @property
    def citation(self) -> str:
        """What an event cites: the address, or the title of a source that has none."""
        return self.url or self.title


class Catalogue:
    """The sources by key and by alias."""

    def __init__(self, sources: Iterable[tuple[Source, Origin]]) -> None:
        self.by_key: dict[str, Source] = {}
        seen: dict[str, Origin] = {}
        for source, origin in sources:
            for key in (source.key, *source.aliases):
                if key in seen:
                    msg = f"key {key!r} already given in {seen[key]}"
                    raise SeedDataError(origin, "key", msg)
                seen[key] = origin
                self.by_key[key] = source

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def __len__(self) -> int:
        return len({s.key for s in self.by_key.values()})

    def cite(self, keys: Iterable[str]) -> str:
        """The source text of an event: the citation of each key, in order, once each."""
        citations: list[str] = []
        for key in keys:
            citation = self.by_key[key].citation
            if citation not in citations:
                citations.append(citation)
        return " ; ".join(citations)


def source_keys(cell: object) -> tuple[str, ...]:
    return tuple(split_list(cell, KEY_SEPARATOR))


def parse_sources(text: str | None = None) -> Catalogue:
    return Catalogue(_decoded(text))


def _decoded(text: str | None) -> Iterable[tuple[Source, Origin]]:
    for row in csv_rows(SOURCES_FILE, text):
        values = dict(row.values)
        if "aliases" in values:
            values["aliases"] = source_keys(values["aliases"])
        try:
            yield msgspec.convert(values, Source), row.origin
        except msgspec.ValidationError as error:
            raise SeedDataError(row.origin, field_of(error), detail_of(error)) from None


@cache
def catalogue() -> Catalogue:
    """The bundled source catalogue, read once."""
    return parse_sources()
