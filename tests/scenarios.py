"""Random command scripts on a ledger, each in its own namespace of clusters and stages:
the one source of random histories the property tests share."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
from hypothesis import event
from hypothesis import strategies as strat

from domain.commands import (
    AwardEuropeanLabel,
    CloseStage,
    Command,
    CorrectClusterEvent,
    CriterionSpec,
    DissolveCluster,
    ExtendLabel,
    GrantLabel,
    MergeCluster,
    OpenStage,
    RegisterCluster,
    RenameCluster,
    ReportedCountSpec,
    ReportMembership,
    ReportStageCount,
    ReviewCriteria,
    ReviseStageCriteria,
    StageRequirements,
    WithdrawLabel,
)
from domain.errors import LedgerError
from domain.values import Evidence
from infrastructure.ledger import Ledger, Pending
from tests.builders import ADMIN, MEMBERS, run

NAMESPACES = itertools.count()
START = date(2019, 1, 1)
SLUGS = ("alpha", "beta", "gamma")
day = strat.integers(min_value=0, max_value=1460).map(lambda n: START + timedelta(days=n))
slug = strat.sampled_from(SLUGS)
stage_index = strat.sampled_from([0, 1])
grant = strat.tuples(strat.just("grant"), slug, stage_index, day, strat.booleans())
extend = strat.tuples(strat.just("extend"), slug, day, strat.booleans())
correct = strat.tuples(strat.just("correct"), slug, strat.integers(0, 20), strat.booleans(), day)
commands = strat.one_of(
    # Label commands come often, ends of clusters seldom: most commands need a live label.
    *[grant] * 3,
    *[extend] * 2,
    *[correct] * 2,
    strat.tuples(strat.just("withdraw"), slug, day),
    strat.tuples(strat.just("review"), slug, stage_index, strat.integers(0, 400), strat.booleans()),
    strat.tuples(strat.just("award"), slug, strat.sampled_from(["bronze", "silver"]), day),
    strat.tuples(strat.just("report"), slug, strat.integers(0, 500), day),
    strat.tuples(strat.just("rename"), slug, strat.integers(0, 3)),
    strat.tuples(strat.just("merge"), slug, slug, day),
    strat.tuples(strat.just("dissolve"), slug, day),
    strat.tuples(strat.just("close"), stage_index, day),
    strat.tuples(strat.just("count"), stage_index, strat.integers(0, 60), day),
    strat.tuples(strat.just("revise"), stage_index, strat.integers(100, 200), day),
)


MEMBERS_150 = (CriterionSpec(code="members", description="members", threshold=150),)


class Scenario:
    """Random commands on a ledger, each in its own namespace of clusters and stages."""

    def __init__(self, ledger: Ledger, *, undated: bool = False) -> None:
        """``undated`` registers the clusters without a date: they take the day recorded,
        as an admin back-filling older decisions does."""
        self.ledger = ledger
        self.n = next(NAMESPACES)
        self.stages = [self.n * 2 + 1, self.n * 2 + 2]
        for number in self.stages:
            run(ledger, OpenStage(
                number=number, title=f"Stage {number}", starts_on=START,
                ends_on=date(2022, 12, 31), decided_by="State", criteria=MEMBERS_150,
                requirements=StageRequirements(minimum_european_label="bronze"),
            ))
        for name in SLUGS:
            run(ledger, RegisterCluster(
                slug=self.slug(name), name=name, registered_on=None if undated else START,
                regions=(f"region-{name}",), themes=("theme",),
            ))
            run(ledger, self.command("grant", name, 0, START, name == "alpha"))

    def slug(self, name: str) -> str:
        return f"p{self.n}-{name}"

    def run(
        self,
        script: list[tuple[Any, ...]],
        batch_size: int,
        grades: Sequence[Evidence | None] = (),
    ) -> None:
        """Runs the script in batches (one transaction each); refusals append nothing.

        ``grades`` gives the commands their evidence grades, in turn (none: ungraded)."""
        contexts = [
            msgspec.structs.replace(ADMIN, evidence=grades[i % len(grades)]) if grades else ADMIN
            for i in range(len(script))
        ]
        for start in range(0, len(script), batch_size):
            batch = [self.command(*line) for line in script[start : start + batch_size]]
            results = self.ledger.execute_batch(
                [
                    Pending(command=command, context=context)
                    for command, context in zip(
                        batch, contexts[start : start + batch_size], strict=True
                    )
                ]
            )
            for command, result in zip(batch, results, strict=True):
                assert not isinstance(result, Exception) or isinstance(result, LedgerError)
                if not isinstance(result, Exception):
                    event(f"{type(command).__name__} accepted")

    def command(self, kind: str, *args: Any) -> Command:  # noqa: PLR0911 - one per kind
        first = args[0]
        if kind == "close":
            return CloseStage(number=self.stages[first], closed_on=args[1])
        if kind == "count":
            reported = ReportedCountSpec(count=args[1], as_of=args[2], description="reported")
            return ReportStageCount(number=self.stages[first], reported=reported)
        if kind == "revise":
            criteria = (CriterionSpec(code="members", description="members", threshold=args[1]),)
            return ReviseStageCriteria(
                number=self.stages[first], criteria=criteria, revised_on=args[2]
            )
        cluster = self.slug(first)
        if kind == "grant":
            _, stage, on, conditional = args
            return GrantLabel(
                slug=cluster, stage=self.stages[stage], decided_on=on, decided_by="State",
                effective_from=on, conditions=("merge",) if conditional else (),
            )
        if kind == "extend":
            return ExtendLabel(
                slug=cluster, decided_on=args[1], valid_until=args[1] + timedelta(days=365),
                reason="progress", conditions=() if args[2] else ("again",),
            )
        if kind == "withdraw":
            return WithdrawLabel(
                slug=cluster, decided_on=args[1], effective_on=args[1], decided_by="State",
                reason="criteria",
            )
        if kind == "review":
            return ReviewCriteria(
                slug=cluster, stage=self.stages[args[1]], reviewed_on=START, reviewer="DGE",
                kind="review", measurements={"members": float(args[2])},
                outcome="compliant" if args[3] else "partly met",
            )
        if kind == "award":
            return AwardEuropeanLabel(
                slug=cluster, level=args[1], awarded_on=args[2],
                valid_until=args[2] + timedelta(days=730),
            )
        if kind == "report":
            members = msgspec.structs.replace(MEMBERS, sme=args[1], research=3)
            return ReportMembership(slug=cluster, as_of=args[2], members=members)
        if kind == "rename":
            return RenameCluster(slug=cluster, name=f"{first} {args[1]}", effective_on=START)
        if kind == "merge":
            return MergeCluster(slug=cluster, into=self.slug(args[1]), effective_on=args[2])
        if kind == "dissolve":
            return DissolveCluster(slug=cluster, effective_on=args[1], reason="liquidation")
        _, choice, retract, on = args
        # Any recorded event but the registration (at most 20 events per cluster here).
        version = 2 + choice % 19
        return CorrectClusterEvent(
            slug=cluster, event_id=f"cluster:{cluster}@{version}", reason="error",
            amended=None if retract else {"effective_from": on.isoformat()},
        )


