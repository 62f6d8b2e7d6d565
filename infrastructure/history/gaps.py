"""What the sources could not give, kept as data (``data/gaps.csv``) beside the seeded facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from infrastructure.history.datafiles import SeedDataError, csv_rows, detail_of, field_of
from infrastructure.history.sources import Catalogue, catalogue, source_keys

GAPS_FILE = "gaps.csv"

GapKind = Literal[
    "unidentified",  # a fact whose subject no source names
    "unnamed",  # a published list the sources do not give
    "inferred",  # seeded, but inferred from what sources state (counts, descriptions)
    "weak",  # seeded on weak support
    "arithmetic",  # published counts the seeded facts do not reconcile
    "approximate-day",  # seeded on a day the source gives only as a month, a year or a bound
    "undated",  # known to have happened, left out for want of a day
    "outcome",  # what became of a label the sources do not say
    "identity",  # links between names the sources do not state
    "conflict",  # sources that disagree, and the version seeded
    "undated-rename",
    "not-recorded",  # sourced, but not recordable as the ledger's commands stand
    "representation",  # how years and durations become days
]
Text = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"^[^\x00-\x1f\x7f]+$")]


class Gap(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A fact the seed leaves out or records only approximately, and why."""

    kind: GapKind
    subject: Text
    detail: Text
    sources: tuple[str, ...] = ()


def parse_gaps(text: str | None = None, sources: Catalogue | None = None) -> tuple[Gap, ...]:
    """The gaps of ``data/gaps.csv`` (or of ``text``); every source key must resolve."""
    cited = catalogue() if sources is None else sources
    gaps: list[Gap] = []
    for row in csv_rows(GAPS_FILE, text):
        values = dict(row.values)
        values["sources"] = source_keys(values.get("sources", ""))
        unknown = [key for key in values["sources"] if key not in cited]
        if unknown:
            raise SeedDataError(row.origin, "sources", f"unknown source key {unknown[0]!r}")
        try:
            gaps.append(msgspec.convert(values, Gap))
        except msgspec.ValidationError as error:
            raise SeedDataError(row.origin, field_of(error), detail_of(error)) from None
    return tuple(gaps)


@cache
def bundled_gaps() -> tuple[Gap, ...]:
    return parse_gaps()


def gap_summary(gaps: Iterable[Gap] | None = None) -> str:
    """One line: how many gaps of each kind."""
    counts = Counter(g.kind for g in (bundled_gaps() if gaps is None else gaps))
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"{sum(counts.values())} gaps in the sources ({kinds})"

