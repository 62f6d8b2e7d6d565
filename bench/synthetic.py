"""A deterministic synthetic ledger with a realistic mix, generated through the domain.

Every event comes from a domain command (``domain.cluster_commands``, ``domain.stage``)
run against in-memory aggregates that each event is then applied to, so every invariant
is checked exactly as in production; the events are appended in large atomic batches
with ``Ledger.append`` (the read aggregates' versions are checked as commands do).

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
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import msgspec

from domain import cluster_commands as cc
from domain import stage as st
from domain.cluster import Cluster, apply_cluster_event
from domain.events import LedgerEvent
from domain.stage import Stage, apply_stage_event
from domain.values import Criterion, MemberCounts, Provenance
from infrastructure.ledger import Ledger

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
    Criterion(code="members", description="More than 150 members", threshold=150, operator="gt"),
    Criterion(
        code="private-funding-share",
        description="Private funding above half of resources",
        threshold=0.5,
        unit="fraction",
        operator="gt",
    ),
    Criterion(code="european-projects", description="Projects accompanied at European level"),
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


class Batch(msgspec.Struct, kw_only=True):
    """Events of whole commands, appended atomically; ``read`` as the commands read them."""

    events: list[LedgerEvent]
    read: list[Cluster | Stage]


class BatchBuilder:
    """Collects whole commands until a batch is full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ready: deque[Batch] = deque()
        self._events: list[LedgerEvent] = []
        self._read: dict[str, Cluster | Stage] = {}

    def add(self, events: Sequence[LedgerEvent], read: Sequence[Cluster | Stage] = ()) -> None:
        self._events.extend(events)
        for aggregate in read:
            self._read.setdefault(aggregate.id, aggregate)
        if len(self._events) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self._events:
            self.ready.append(Batch(events=self._events, read=list(self._read.values())))
        self._events = []
        self._read = {}


class Clock:
    """Recorded time: monotonic, one millisecond per command."""

    STEP = timedelta(milliseconds=1)

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += self.STEP
        return self.now


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


class Synthesizer:
    """Runs the commands of the synthetic history against in-memory aggregates."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = Dice(plan.seed)
        self.clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
        self.out = BatchBuilder(plan.batch_size)
        self.next_stage = plan.first_stage
        self.events = 0
        self.clusters = 0

    # --- the whole ledger ---------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        remaining = self.plan.clusters
        programme = 0
        while remaining > 0:
            size = min(self.plan.programme_size, remaining)
            for _ in self.programme(programme, size):
                yield from self.drain()
            remaining -= size
            programme += 1
        self.out.flush()
        yield from self.drain()

    def drain(self) -> Iterator[Batch]:
        while self.out.ready:
            batch = self.out.ready.popleft()
            self.events += len(batch.events)
            yield batch

    def provenance(self, source: str | None = None) -> Provenance:
        return Provenance(actor=ACTOR, recorded_at=self.clock.tick(), source=source)

    # --- one programme ------------------------------------------------------

    def programme(self, number: int, size: int) -> Iterator[None]:
        """Yields after each cluster's share of a stage, so batches stream out."""
        late = {i for i in range(size) if self.rng.random() < LATE_JOINERS}
        clusters: dict[int, Cluster] = {}
        for index in range(STAGES_PER_PROGRAMME):
            stage = self.open_stage(number, index)
            for i in range(size):
                if i not in clusters and (i not in late or index + 1 == LATE_JOIN_STAGE):
                    clusters[i] = self.register(number, i, stage.starts_on)
                if i in clusters:
                    clusters[i] = self.cluster_stage(clusters[i], stage)
                    yield None
            if index + 1 < STAGES_PER_PROGRAMME:
                self.close_stage(stage, clusters)
                yield None

    def open_stage(self, programme: int, index: int) -> Stage:
        starts_on = date(FIRST_YEAR + STAGE_YEARS * index, 1, 1)
        number = self.next_stage
        self.next_stage += 1
        event = st.open_stage(
            None,
            self.provenance(f"https://programmes.example.eu/{programme}/stages/{index + 1}"),
            number=number,
            title=f"Programme {programme}, stage {index + 1}",
            starts_on=starts_on,
            ends_on=date(starts_on.year + STAGE_YEARS - 1, 12, 31),
            decided_by="Managing authority",
            criteria=CRITERIA,
            minimum_european_label="bronze" if index >= 3 else None,
        )
        self.out.add([event])
        return apply_stage_event(None, event)

    def close_stage(self, stage: Stage, clusters: dict[int, Cluster]) -> None:
        p = self.provenance()
        closure = st.close_stage(stage, p, closed_on=stage.ends_on)
        expiries: list[LedgerEvent] = []
        unchanged: list[Cluster | Stage] = []
        for i, cluster in clusters.items():
            expiry = cc.expire_label(cluster, stage, p, closed_on=stage.ends_on)
            if expiry is None:
                unchanged.append(cluster)
            else:
                expiries.append(expiry)
                clusters[i] = apply_cluster_event(cluster, expiry)
        self.out.add([closure, *expiries], read=unchanged)

    def register(self, programme: int, index: int, stage_start: date) -> Cluster:
        rng = self.rng
        self.clusters += 1
        event = cc.register_cluster(
            None,
            self.provenance(f"https://programmes.example.eu/{programme}/register"),
            slug=f"p{programme:03d}-cluster-{index:04d}",
            name=f"Pôle {rng.choice(THEMES)} {programme}-{index}",
            registered_on=stage_start - timedelta(days=rng.int(30, 200)),
            regions=tuple(rng.sample(REGIONS, rng.int(1, 2))),
            themes=tuple(rng.sample(THEMES, rng.int(1, 3))),
            website=f"https://cluster-{programme}-{index}.example.eu",
            founded_on=date(rng.int(1990, 2004), rng.int(1, 12), 1),
        )
        self.out.add([event])
        return apply_cluster_event(None, event)

    # --- one cluster during one stage -----------------------------------------

    def cluster_stage(self, cluster: Cluster, stage: Stage) -> Cluster:
        rng = self.rng
        if rng.random() < 0.9:
            cluster = self.grant(cluster, stage)
        for day, kind in self.agenda(stage):
            cluster = self.act(cluster, stage, kind, day)
        return cluster

    def agenda(self, stage: Stage) -> list[tuple[date, str]]:
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

    def act(self, cluster: Cluster, stage: Stage, kind: str, day: date) -> Cluster:
        rng = self.rng
        p = self.provenance()
        event: LedgerEvent
        read: list[Cluster | Stage] = []
        if kind == "review":
            event, read = self.review(cluster, stage, p, day), [stage]
        elif kind == "membership":
            event = cc.report_membership(
                cluster,
                p,
                as_of=day,
                members=MemberCounts(
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
            event = cc.award_european_label(
                cluster,
                p,
                level=rng.choice(LEVELS),  # type: ignore[arg-type]
                awarded_on=day,
                valid_until=day + timedelta(days=730),
                issuer="ESCA",
            )
        elif kind == "renaming":
            renamed = f"{cluster.name} (renamed)"
            event = cc.rename_cluster(cluster, p, name=renamed, effective_on=day)
        elif cluster.active_label is None:
            return cluster  # nothing left to extend or withdraw
        elif kind == "extension":
            event = cc.extend_label(
                cluster,
                p,
                decided_on=day,
                valid_until=stage.ends_on + timedelta(days=180),
                reason="transition to the next stage",
            )
        else:
            event = cc.withdraw_label(
                cluster,
                p,
                decided_on=day,
                effective_on=day,
                decided_by="Managing authority",
                reason="criteria no longer met",
            )
        self.out.add([event], read=read)
        return apply_cluster_event(cluster, event)

    def grant(self, cluster: Cluster, stage: Stage) -> Cluster:
        rng = self.rng
        day = stage.starts_on + timedelta(days=rng.int(0, 120))
        event = cc.grant_label(
            cluster,
            stage,
            self.provenance(f"https://programmes.example.eu/decisions/{stage.number}/{cluster.slug}"),
            decided_on=day,
            decided_by="Managing authority",
            effective_from=day,
            decision_ref=f"DEC-{stage.number}-{cluster.slug}",
            tier=rng.choice(TIERS),  # type: ignore[arg-type]
            conditions=("submit a European strategy",) if rng.random() < 0.1 else (),
        )
        self.out.add([event], read=[stage])
        return apply_cluster_event(cluster, event)

    def review(self, cluster: Cluster, stage: Stage, p: Provenance, day: date) -> LedgerEvent:
        rng = self.rng
        members = rng.int(60, 400)
        return cc.review_criteria(
            cluster,
            stage,
            p,
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


def synthetic_batches(plan: Plan) -> Iterator[Batch]:
    return Synthesizer(plan).batches()


def deep_cluster_batches(
    slug: str, stage_number: int, events: int, seed: int = 7
) -> Iterator[Batch]:
    """One open stage and one cluster holding exactly ``events`` events."""
    maker = Synthesizer(Plan(events=events, seed=seed, first_stage=stage_number))
    stage = maker.open_stage(999, 0)
    p = maker.provenance()
    registered = cc.register_cluster(
        None, p, slug=slug, name="Deep history cluster", registered_on=date(2004, 6, 1)
    )
    maker.out.add([registered])
    cluster = maker.grant(apply_cluster_event(None, registered), stage)
    kinds = ("review", "membership")
    while cluster.version < events:
        day = stage.starts_on + timedelta(days=130 + cluster.version % 1000)
        cluster = maker.act(cluster, stage, kinds[cluster.version % 2], day)
    maker.out.flush()
    yield from maker.drain()


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    events: int
    clusters: int
    stages: int
    batches: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def import_synthetic(ledger: Ledger, plan: Plan) -> ImportReport:
    """Generates and appends the plan's ledger; the time covers both, as an import would."""
    maker = Synthesizer(plan)
    batches = 0
    started = time.perf_counter()
    for batch in maker.batches():
        ledger.append(batch.events, read=batch.read)
        batches += 1
    seconds = time.perf_counter() - started
    return ImportReport(
        events=maker.events,
        clusters=maker.clusters,
        stages=maker.next_stage - plan.first_stage,
        batches=batches,
        seconds=seconds,
    )


def append_deep_cluster(ledger: Ledger, slug: str, stage_number: int, events: int) -> None:
    for batch in deep_cluster_batches(slug, stage_number, events):
        ledger.append(batch.events, read=batch.read)
