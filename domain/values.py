"""Value objects shared by the label's events and aggregates."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

import msgspec

from domain.errors import InvalidSlug

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Bidirectional controls and zero-width characters: refused in every text a command
# carries, since they make a name display as another one or two names look the same.
INVISIBLE = r"\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
UNPRINTABLE = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{INVISIBLE}]")
"""A character no text of the ledger holds (tabs and line breaks are allowed in texts)."""

Tier = Literal["mondial", "vocation-mondiale", "national"]
EuropeanLevel = Literal["bronze", "silver", "gold"]
ComparisonOperator = Literal["gt", "gte", "lt", "lte"]
LabelState = Literal["active", "withdrawn", "expired", "merged", "dissolved"]
Evidence = Literal["stated", "weak", "inferred"]
"""How firmly the source supports a fact: it states it, supports it weakly, or the fact is
inferred from what sources state (for example by counting)."""

EUROPEAN_LEVEL_RANK: dict[str, int] = {"bronze": 1, "silver": 2, "gold": 3}


def check_slug(slug: str) -> str:
    """Returns the slug when it is a valid cluster address, else raises."""
    if not 2 <= len(slug) <= 64 or not SLUG_PATTERN.match(slug):
        msg = (
            f"invalid slug {slug!r}: expected 2-64 characters of lowercase "
            "letters and digits separated by single hyphens"
        )
        raise InvalidSlug(msg)
    return slug


def cluster_id(slug: str) -> str:
    return f"cluster:{slug}"


def stage_id(number: int) -> str:
    return f"stage:{number}"


def event_id(aggregate_id: str, version: int) -> str:
    return f"{aggregate_id}@{version}"


def split_event_id(value: str) -> tuple[str, int]:
    """Parses an event id such as ``cluster:polymeris@3``."""
    aggregate, sep, version = value.rpartition("@")
    if not sep or not aggregate or not version.isdigit():
        msg = f"invalid event id {value!r}: expected '<aggregate>@<version>'"
        raise ValueError(msg)
    return aggregate, int(version)


class Provenance(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who records a command, when, and on what evidence."""

    actor: str
    recorded_at: datetime
    source: str | None = None
    evidence: Evidence | None = None
    idempotency_key: str | None = None


class Criterion(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    code: str
    description: str
    threshold: float | None = None
    unit: str | None = None
    operator: ComparisonOperator = "gte"

    def is_met_by(self, value: float) -> bool:
        if self.threshold is None:
            return True
        return {
            "gt": value > self.threshold,
            "gte": value >= self.threshold,
            "lt": value < self.threshold,
            "lte": value <= self.threshold,
        }[self.operator]


class ReportedCount(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A cluster count published by the authorities, kept beside the ledger's."""

    count: int
    as_of: date
    description: str
    source: str | None = None


class MemberCounts(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    very_small: int = 0
    sme: int = 0
    intermediate_large: int = 0
    research: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.very_small + self.sme + self.intermediate_large + self.research + self.other
