"""Current regions and theme codes for reporting: an editorial mapping, not sourced facts.

A cluster keeps the region names and themes its sources gave (pre-2016 regions for
pôles of that time, free descriptions). For counting by region and theme, those
names are mapped to the regions in force since 1 January 2016
(``data/region_names.csv``) and each cluster to codes of one small vocabulary
(``data/theme_codes.csv``, ``data/cluster_themes.csv``). Wherever these are shown,
``EDITORIAL_NOTE`` says what they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Annotated, TypeVar

import msgspec
from msgspec import Meta

from infrastructure.history.datafiles import (
    Row,
    SeedDataError,
    csv_rows,
    detail_of,
    field_of,
    split_list,
)
from infrastructure.history.rows import LIST_SEPARATOR

EDITORIAL_NOTE = (
    "Current (post-2016) regions and theme codes are an editorial mapping of the region "
    "names and themes the sources give, not sourced facts."
)

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
ThemeCode = Annotated[str, Meta(pattern=r"^[A-Z][A-Z_]{1,39}$")]
T = TypeVar("T")
Slug = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class RegionName(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    stated: Name
    current: Name
    note: str | None = None


class ThemeCodeRow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: ThemeCode
    label: Name


class ClusterThemes(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    slug: Slug
    themes: Annotated[tuple[ThemeCode, ...], Meta(min_length=1)]


class Vocabulary:
    """Stated region name -> current region; cluster slug -> theme codes."""

    def __init__(
        self,
        regions: dict[str, str],
        labels: dict[str, str],
        themes: dict[str, tuple[str, ...]],
    ) -> None:
        self.regions = regions
        self.labels = labels
        self.themes = themes

    def current_regions(self, stated: Iterable[str]) -> tuple[str, ...]:
        """The current regions of the stated names, once each (an unmapped name as is)."""
        return tuple(dict.fromkeys(self.regions.get(name, name) for name in stated))

    def theme_codes(self, slug: str) -> tuple[str, ...]:
        return self.themes.get(slug, ())


def parse_vocabulary(texts: dict[str, str] | None = None) -> Vocabulary:
    """The three mapping files (or ``texts`` in their place), checked against each other."""
    given = texts or {}
    regions = _decoded("region_names.csv", RegionName, given, "stated")
    for row, region in regions.values():
        if region.current not in regions or regions[region.current][1].current != region.current:
            msg = f"{region.current!r} is not a current region (no row maps it to itself)"
            raise SeedDataError(row.origin, "current", msg)
    codes = _decoded("theme_codes.csv", ThemeCodeRow, given, "code")
    themes = _decoded("cluster_themes.csv", ClusterThemes, given, "slug")
    for row, mapped in themes.values():
        unknown = [code for code in mapped.themes if code not in codes]
        if unknown:
            raise SeedDataError(row.origin, "themes", f"unknown theme code {unknown[0]!r}")
    return Vocabulary(
        regions={name: r.current for name, (_, r) in regions.items()},
        labels={code: c.label for code, (_, c) in codes.items()},
        themes={slug: t.themes for slug, (_, t) in themes.items()},
    )


@cache
def vocabulary() -> Vocabulary:
    return parse_vocabulary()


def _decoded(
    file: str, kind: type[T], texts: dict[str, str], key: str
) -> dict[str, tuple[Row, T]]:
    found: dict[str, tuple[Row, T]] = {}
    for row in csv_rows(file, texts.get(file)):
        values = dict(row.values)
        if "themes" in values:
            values["themes"] = split_list(values["themes"], LIST_SEPARATOR)
        try:
            decoded = msgspec.convert(values, kind)
        except msgspec.ValidationError as error:
            raise SeedDataError(row.origin, field_of(error), detail_of(error)) from None
        name = values[key]
        if name in found:
            msg = f"{name!r} already given in {found[name][0].origin}"
            raise SeedDataError(row.origin, key, msg)
        found[name] = (row, decoded)
    return found
