"""A deterministic synthetic ledger with a realistic mix, written as commands.

The generator writes the commands a labelling authority would send, valid by
construction (it keeps the little it needs to know: which clusters hold a label of which
stage); the ledger decides them as it decides any command, every invariant checked, and
the import executes them through ``Ledger.execute_batch``, a transaction per batch.

The shape is a Europe-wide ledger: clusters belong to labelling programmes (one per
country or region) of up to 1,000 clusters, each programme running six four-year
stages from 2005; the last stage is still open. Per cluster and stage: a grant (90%),
5-14 criteria reviews, 4-8 membership reports, a European label (30%), sometimes an
extension, a withdrawal or a renaming, and the expiry recorded by the stage's closure.
A fifth of the clusters join at the third stage. About 100 events per cluster.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import msgspec

from domain.commands import (
    AwardEuropeanLabel,
    CloseStage,
    Command,
    Context,
    CriterionSpec,
    ExtendLabel,
    GrantLabel,
    Members,
    OpenStage,
    RegisterCluster,
    RenameCluster,
    ReportMembership,
    ReviewCriteria,
    StageRequirements,
    WithdrawLabel,
)
from domain.decisions import Decisions
from domain.events import LedgerEvent
from domain.values import Provenance
from infrastructure.ledger import Ledger, Pending

PROGRAMME_SIZE = 1_000
STAGES_PER_PROGRAMME = 6
STAGE_YEARS = 4
FIRST_YEAR = 2005
LATE_JOINERS = 0.2
LATE_JOIN_STAGE = 3
# Measured mean of this mix (see docs/benchmarks.md); sizes the number of clusters.
EVENTS_PER_CLUSTER = 99.0
ACTOR = "bench-importer"
CRITERIA = (
    CriterionSpec(
        code="members", description="More than 150 members", threshold=150, operator="gt"
    ),
    CriterionSpec(
        code="private-funding-share",
        description="Private funding above half of resources",
        threshold=0.5,
        unit="fraction",
        operator="gt",
    ),
    CriterionSpec(code="european-projects", description="Projects accompanied at European level"),
)
REGIONS = (
    "Occitanie", "Bretagne", "Bayern", "Lombardia", "Cataluña", "Noord-Brabant",
    "Mazowieckie", "Île-de-France", "Auvergne-Rhône-Alpes", "Baden-Württemberg",
)
THEMES = (
    "aéronautique", "santé", "agroalimentaire", "numérique", "énergie", "mobilité",
    "matériaux", "photonique", "mer", "chimie verte",
)
T = TypeVar("T")
TIERS = ("mondial", "vocation-mondiale", "national")
LEVELS = ("bronze", "silver", "gold")


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """What to generate: about ``events`` events, deterministically from ``seed``."""

    events: int
    seed: int = 2005
    batch_size: int = 10_000
    programme_size: int = PROGRAMME_SIZE
    first_stage: int = 1

    @property
    def clusters(self) -> int:
        return max(1, math.ceil(self.events / EVENTS_PER_CLUSTER))


class Dice:
    """Seeded draws; ``random()``-based integers, as ``randint`` costs more than a command."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed).random
        self.random = self._random

    def int(self, low: int, high: int) -> int:
        """An integer of ``[low, high]``."""
        return low + int(self._random() * (high - low + 1))

    def choice(self, options: Sequence[T]) -> T:
        return options[int(self._random() * len(options))]

    def sample(self, options: Sequence[T], count: int) -> list[T]:
        picked: list[T] = []
        while len(picked) < count:
            option = self.choice(options)
            if option not in picked:
                picked.append(option)
        return picked


class StagePlan(msgspec.Struct, frozen=True):
    number: int
    starts_on: date
    ends_on: date


class Synthesizer:
    """The commands of the synthetic history, in order, each with its context."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = Dice(plan.seed)
        self.next_stage = plan.first_stage
        self.clusters = 0
        self.labelled: dict[str, int] = {}
        """The stage of each cluster's active label."""
        self.names: dict[str, str] = {}

    # --- the whole ledger ---------------------------------------------------

    def pending(self) -> Iterator[Pending]:
        remaining = self.plan.clusters
        programme = 0
        while remaining > 0:
            size = min(self.plan.programme_size, remaining)
            yield from self.programme(programme, size)
            remaining -= size
            programme += 1

    def context(self, source: str | None = None) -> Context:
        return Context(actor=ACTOR, source=source)

    # --- one programme ------------------------------------------------------

    def programme(self, number: int, size: int) -> Iterator[Pending]:
        late = {i for i in range(size) if self.rng.random() < LATE_JOINERS}
        joined: list[str] = []
        for index in range(STAGES_PER_PROGRAMME):
            stage = yield from self.open_stage(number, index)
            for i in range(size):
                slug = f"p{number:03d}-cluster-{i:04d}"
                if slug not in self.names and (i not in late or index + 1 == LATE_JOIN_STAGE):
                    yield self.register(number, i, slug, stage.starts_on)
                    joined.append(slug)
                if slug in self.names:
                    yield from self.cluster_stage(slug, stage)
            if index + 1 < STAGES_PER_PROGRAMME:
                yield self.close_stage(stage, joined)

    def open_stage(self, programme: int, index: int) -> Iterator[Pending]:
        starts_on = date(FIRST_YEAR + STAGE_YEARS * index, 1, 1)
        stage = StagePlan(
            self.next_stage, starts_on, date(starts_on.year + STAGE_YEARS - 1, 12, 31)
        )
        self.next_stage += 1
        opening = OpenStage(
            number=stage.number,
            title=f"Programme {programme}, stage {index + 1}",
            starts_on=stage.starts_on,
            ends_on=stage.ends_on,
            decided_by="Managing authority",
            criteria=CRITERIA,
            requirements=StageRequirements(minimum_european_label="bronze" if index >= 3 else None),
        )
        source = f"https://programmes.example.eu/{programme}/stages/{index + 1}"
        yield Pending(command=opening, context=self.context(source))
        return stage

    def close_stage(self, stage: StagePlan, clusters: list[str]) -> Pending:
        for slug in clusters:
            if self.labelled.get(slug) == stage.number:
                del self.labelled[slug]  # the closure expires it
        return Pending(
            command=CloseStage(number=stage.number, closed_on=stage.ends_on),
            context=self.context(),
        )

    def register(self, programme: int, index: int, slug: str, stage_start: date) -> Pending:
        rng = self.rng
        self.clusters += 1
        self.names[slug] = f"Pôle {rng.choice(THEMES)} {programme}-{index}"
        command = RegisterCluster(
            slug=slug,
            name=self.names[slug],
            registered_on=stage_start - timedelta(days=rng.int(30, 200)),
            regions=tuple(rng.sample(REGIONS, rng.int(1, 2))),
            themes=tuple(rng.sample(THEMES, rng.int(1, 3))),
            website=f"https://cluster-{programme}-{index}.example.eu",
            founded_on=date(rng.int(1990, 2004), rng.int(1, 12), 1),
        )
        return Pending(
            command=command,
            context=self.context(f"https://programmes.example.eu/{programme}/register"),
        )

    # --- one cluster during one stage -----------------------------------------

    def cluster_stage(self, slug: str, stage: StagePlan) -> Iterator[Pending]:
        if self.rng.random() < 0.9:
            yield self.grant(slug, stage)
        for day, kind in self.agenda(stage):
            act = self.act(slug, stage, kind, day)
            if act is not None:
                yield act

    def agenda(self, stage: StagePlan) -> list[tuple[date, str]]:
        rng = self.rng
        kinds = ["review"] * rng.int(5, 14) + ["membership"] * rng.int(4, 8)
        if rng.random() < 0.3:
            kinds.append("european")
        if rng.random() < 0.1:
            kinds.append("extension")
        if rng.random() < 0.03:
            kinds.append("withdrawal")
        if rng.random() < 0.02:
            kinds.append("renaming")
        span = (stage.ends_on - stage.starts_on).days
        # Label decisions come after the grant's first four months.
        return sorted((stage.starts_on + timedelta(days=rng.int(130, span)), k) for k in kinds)

    def act(self, slug: str, stage: StagePlan, kind: str, day: date) -> Pending | None:
        rng = self.rng
        command: Command
        if kind == "review":
            command = self.review(slug, stage, day)
        elif kind == "membership":
            command = ReportMembership(
                slug=slug,
                as_of=day,
                members=Members(
                    very_small=rng.int(10, 200),
                    sme=rng.int(20, 300),
                    intermediate_large=rng.int(2, 40),
                    research=rng.int(3, 50),
                    other=rng.int(0, 20),
                ),
                private_funding_share=round(0.2 + 0.6 * rng.random(), 3),
                european_projects=rng.int(0, 12),
            )
        elif kind == "european":
            command = AwardEuropeanLabel(
                slug=slug,
                level=rng.choice(LEVELS),  # type: ignore[arg-type]
                awarded_on=day,
                valid_until=day + timedelta(days=730),
                issuer="ESCA",
            )
        elif kind == "renaming":
            self.names[slug] = f"{self.names[slug]} (renamed)"
            command = RenameCluster(slug=slug, name=self.names[slug], effective_on=day)
        elif slug not in self.labelled:
            return None  # nothing left to extend or withdraw
        elif kind == "extension":
            command = ExtendLabel(
                slug=slug,
                decided_on=day,
                valid_until=stage.ends_on + timedelta(days=180),
                reason="transition to the next stage",
            )
        else:
            del self.labelled[slug]
            command = WithdrawLabel(
                slug=slug,
                decided_on=day,
                effective_on=day,
                decided_by="Managing authority",
                reason="criteria no longer met",
            )
        return Pending(command=command, context=self.context())

    def grant(self, slug: str, stage: StagePlan) -> Pending:
        rng = self.rng
        day = stage.starts_on + timedelta(days=rng.int(0, 120))
        self.labelled[slug] = stage.number
        command = GrantLabel(
            slug=slug,
            stage=stage.number,
            decided_on=day,
            decided_by="Managing authority",
            effective_from=day,
            decision_ref=f"DEC-{stage.number}-{slug}",
            tier=rng.choice(TIERS),  # type: ignore[arg-type]
            conditions=("submit a European strategy",) if rng.random() < 0.1 else (),
        )
        source = f"https://programmes.example.eu/decisions/{stage.number}/{slug}"
        return Pending(command=command, context=self.context(source))

    def review(self, slug: str, stage: StagePlan, day: date) -> ReviewCriteria:
        rng = self.rng
        members = rng.int(60, 400)
        return ReviewCriteria(
            slug=slug,
            stage=stage.number,
            reviewed_on=day,
            reviewer=f"Evaluation panel {rng.int(1, 9)}",
            kind=rng.choice(("annual", "mid-term", "final")),
            measurements={
                "members": float(members),
                "private-funding-share": round(0.2 + 0.6 * rng.random(), 3),
                "european-projects": float(rng.int(0, 12)),
            },
            outcome="meets" if members > 150 else "does-not-meet",
            classification=rng.choice((None, "A", "B", "C")),
        )


def chunks(pending: Iterator[Pending], size: int) -> Iterator[list[Pending]]:
    batch: list[Pending] = []
    for item in pending:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def synthetic_commands(plan: Plan) -> Iterator[list[Pending]]:
    """The plan's commands in batches of ``plan.batch_size`` commands."""
    return chunks(Synthesizer(plan).pending(), plan.batch_size)


def deep_cluster_commands(slug: str, stage_number: int, events: int, seed: int = 7) -> list[
    Pending
]:
    """One open stage and one cluster that ends with exactly ``events`` events."""
    maker = Synthesizer(Plan(events=events, seed=seed, first_stage=stage_number))
    stage = StagePlan(stage_number, date(2005, 1, 1), date(2008, 12, 31))
    opening = next(maker.open_stage(999, 0))
    registration = RegisterCluster(
        slug=slug, name="Deep history cluster", registered_on=date(2004, 6, 1)
    )
    pending = [opening, Pending(command=registration, context=maker.context())]
    maker.names[slug] = registration.name
    pending.append(maker.grant(slug, stage))
    kinds = ("review", "membership")
    for version in range(3, events + 1):
        day = stage.starts_on + timedelta(days=130 + version % 1000)
        act = maker.act(slug, stage, kinds[version % 2], day)
        assert act is not None
        pending.append(act)
    return pending


def decided_in_memory(batches: Iterator[list[Pending]]) -> Iterator[list[LedgerEvent]]:
    """The events the commands record, decided by the pure domain with no store: the
    domain's share of an import, and the facts the library's baseline writes."""
    decisions = Decisions()
    p = Provenance(actor=ACTOR, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))
    for batch in batches:
        events: list[LedgerEvent] = []
        for item in batch:
            events.extend(decisions.decide(item.command, p))
        yield events


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    commands: int
    clusters: int
    stages: int
    batches: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def import_synthetic(ledger: Ledger, plan: Plan) -> ImportReport:
    """Generates and executes the plan's commands; the time covers both, as an import would."""
    maker = Synthesizer(plan)
    events = commands = batches = 0
    started = time.perf_counter()
    for batch in chunks(maker.pending(), plan.batch_size):
        events += execute_all(ledger, batch)
        commands += len(batch)
        batches += 1
    seconds = time.perf_counter() - started
    return ImportReport(
        events=events,
        commands=commands,
        clusters=maker.clusters,
        stages=maker.next_stage - plan.first_stage,
        batches=batches,
        seconds=seconds,
    )


def execute_all(ledger: Ledger, batch: list[Pending]) -> int:
    """Executes a batch in one transaction; the events appended (any refusal is a bug)."""
    appended = 0
    for result in ledger.execute_batch(batch):
        if isinstance(result, BaseException):
            raise result
        appended += len(result.events)
    return appended


def append_deep_cluster(ledger: Ledger, slug: str, stage_number: int, events: int) -> None:
    execute_all(ledger, deep_cluster_commands(slug, stage_number, events))
