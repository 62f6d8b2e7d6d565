"""The kinds of sourced fact the seed records, one per ledger command.

A fact is plain data: what happened, on which day, on what source. Its
idempotency ``key`` is derived from what it is about, so that a fact keeps its
key across runs, and ``order`` places it in the chronological seeding order
(effective day first; on one day, stages open before clusters register, which
come before mergers, grants, extensions and withdrawals, reports and closures).
"""

from __future__ import annotations

from datetime import date

import msgspec

from domain.values import Criterion, EuropeanLevel, ReportedCount, Tier

KEY_PREFIX = "seed:v1"


class OpenStage(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    title: str
    starts_on: date
    ends_on: date
    decided_by: str
    opened_on: date
    source: str
    criteria: tuple[Criterion, ...] = ()
    minimum_european_label: EuropeanLevel | None = None
    reported_counts: tuple[ReportedCount, ...] = ()

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:stage-{self.number}:open"

    @property
    def order(self) -> tuple[date, int]:
        return self.opened_on, 0


class ExtendStage(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    ends_on: date
    decided_on: date
    decided_by: str
    reason: str
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:stage-{self.number}:extend:{self.ends_on}"

    @property
    def order(self) -> tuple[date, int]:
        return self.decided_on, 0


class ReportCount(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    reported: ReportedCount
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:stage-{self.number}:count:{self.reported.as_of}:{self.reported.count}"

    @property
    def order(self) -> tuple[date, int]:
        return self.reported.as_of, 5


class CloseStage(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    closed_on: date
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:stage-{self.number}:close"

    @property
    def order(self) -> tuple[date, int]:
        return self.closed_on, 9


class Register(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    registered_on: date
    source: str
    regions: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    website: str | None = None
    founded_on: date | None = None

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:register"

    @property
    def order(self) -> tuple[date, int]:
        return self.registered_on, 1


class Rename(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    effective_on: date
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:rename:{self.effective_on}"

    @property
    def order(self) -> tuple[date, int]:
        return self.effective_on, 2


class Merge(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    into: str
    effective_on: date
    decision_ref: str
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:merge-into:{self.into}"

    @property
    def order(self) -> tuple[date, int]:
        return self.effective_on, 2


class Dissolve(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    effective_on: date
    reason: str
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:dissolve"

    @property
    def order(self) -> tuple[date, int]:
        return self.effective_on, 2


class Grant(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    stage: int
    decided_on: date
    decided_by: str
    effective_from: date
    decision_ref: str
    source: str
    valid_until: date | None = None
    tier: Tier | None = None
    conditions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:grant:{self.stage}"

    @property
    def order(self) -> tuple[date, int]:
        return self.effective_from, 3


class Extend(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    stage: int
    decided_on: date
    valid_until: date
    reason: str
    source: str
    conditions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:extend:{self.stage}:{self.decided_on}"

    @property
    def order(self) -> tuple[date, int]:
        return self.decided_on, 4


class Withdraw(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    stage: int
    decided_on: date
    effective_on: date
    decided_by: str
    reason: str
    decision_ref: str
    source: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}:{self.slug}:withdraw:{self.stage}"

    @property
    def order(self) -> tuple[date, int]:
        return self.effective_on, 4


Fact = (
    OpenStage
    | ExtendStage
    | ReportCount
    | CloseStage
    | Register
    | Rename
    | Merge
    | Dissolve
    | Grant
    | Extend
    | Withdraw
)
