"""Property: for random command sequences, the ledger decides exactly as the pure domain
does in memory, the stored history rebuilds the live state, and no accepted sequence breaks
a rule of the label."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as strat

from domain.cluster import Cluster
from domain.commands import (
    CloseStage,
    Command,
    CriterionSpec,
    DissolveCluster,
    ExtendLabel,
    GrantLabel,
    MergeCluster,
    OpenStage,
    RegisterCluster,
    ReviewCriteria,
    WithdrawLabel,
)
from domain.corrections import effective_history
from domain.decisions import Decisions
from domain.errors import LedgerError
from domain.events import ClusterDissolved, ClusterMerged, LedgerEvent
from domain.stage import Stage
from domain.values import stage_id
from infrastructure.ledger import Ledger
from tests.builders import ADMIN, correction, membership, provenance

NAMESPACES = itertools.count()
SLUGS = ["alpha", "beta", "gamma", "delta"]
START, END = date(2019, 1, 1), date(2022, 12, 31)
MEMBERS_150 = (CriterionSpec(code="members", description="members", threshold=150),)

day = strat.integers(min_value=-30, max_value=1500).map(lambda n: START + timedelta(days=n))
slug = strat.sampled_from(SLUGS)
commands = strat.one_of(
    strat.tuples(strat.just("register"), slug),
    strat.tuples(strat.just("grant"), slug, strat.sampled_from([0, 1]), day, strat.booleans()),
    strat.tuples(strat.just("extend"), slug, day),
    strat.tuples(strat.just("withdraw"), slug, day),
    strat.tuples(
        strat.just("review"),
        slug,
        strat.sampled_from([0, 1]),
        strat.sampled_from(["members", "bogus"]),
    ),
    strat.tuples(strat.just("report"), slug, strat.integers(0, 500)),
    strat.tuples(strat.just("merge"), slug, slug, day),
    strat.tuples(strat.just("dissolve"), slug, day),
    strat.tuples(strat.just("close"), strat.sampled_from([0, 1]), day),
    strat.tuples(strat.just("correct"), slug, strat.integers(1, 6), strat.booleans()),
)


class Model:
    """The same commands decided in memory by the pure domain: the ledger's oracle."""

    def __init__(self, ledger: Ledger, namespace: int) -> None:
        self.ledger = ledger
        self.namespace = namespace
        self.memory = Decisions(keep_histories=True)
        self.stages = [namespace * 2 + 1, namespace * 2 + 2]
        self.accepted = 0
        for number in self.stages:
            self.execute(
                OpenStage(
                    number=number, title=f"Stage {number}", starts_on=START, ends_on=END,
                    decided_by="State", criteria=MEMBERS_150,
                )
            )
        for name in SLUGS[:3]:
            self.run(("register", name))

    def slug(self, name: str) -> str:
        return f"n{self.namespace}-{name}"

    def run(self, line: tuple) -> None:  # type: ignore[type-arg]
        self.execute(self.command(line))

    def execute(self, command: Command) -> None:
        """Runs the command on the ledger and in memory: same outcome, or the test fails."""
        before = self.ledger.last_position()
        try:
            receipt = self.ledger.execute(command, ADMIN)
        except LedgerError as refused:
            assert self.ledger.last_position() == before
            with pytest.raises(type(refused)):
                self.memory.decide(command, provenance())
            return
        events = self.memory.decide(command, provenance())
        assert [type(e).__name__ for e in events] == [e.type for e in receipt.events]
        self.accepted += len(events)

    def command(self, line: tuple) -> Command:  # type: ignore[type-arg]
        kind, *args = line
        if kind == "close":
            return CloseStage(number=self.stages[args[0]], closed_on=max(args[1], START))
        name = self.slug(args[0])
        if kind == "register":
            return RegisterCluster(slug=name, name=name, registered_on=START)
        if kind == "grant":
            _, stage_index, effective, conditional = args
            return GrantLabel(
                slug=name, stage=self.stages[stage_index], decided_on=effective,
                decided_by="State", effective_from=effective,
                conditions=("merge",) if conditional else (),
            )
        if kind == "extend":
            return ExtendLabel(
                slug=name, decided_on=args[1], valid_until=args[1] + timedelta(days=365), reason="r"
            )
        if kind == "withdraw":
            return WithdrawLabel(
                slug=name, decided_on=args[1], effective_on=args[1], decided_by="State", reason="r"
            )
        if kind == "review":
            return ReviewCriteria(
                slug=name, stage=self.stages[args[1]], reviewed_on=START, reviewer="DGE",
                kind="general evaluation", measurements={args[2]: 200.0}, outcome="ok",
            )
        if kind == "report":
            return membership(name, as_of=START, sme=args[1])
        if kind == "merge":
            return MergeCluster(slug=name, into=self.slug(args[1]), effective_on=args[2])
        if kind == "dissolve":
            return DissolveCluster(slug=name, effective_on=args[1], reason="r")
        amended = None if args[2] else {"source": "https://example.test/corrected"}
        return correction(
            f"cluster:{name}@{args[1]}", reason="r", amended=amended, effective_on=START
        )

    def clusters(self) -> list[Cluster]:
        return [
            state for key, state in self.memory.working.items() if key.startswith("cluster:")
        ]

    def stage_states(self) -> list[Stage]:
        return [self.memory.state(stage_id(number)) for number in self.stages]


def assert_label_rules_hold(
    cluster: Cluster, history: list[LedgerEvent], stages: list[Stage]
) -> None:
    by_number = {s.number: s for s in stages}
    held = [lb.stage for lb in cluster.labels if lb.state != "withdrawn"]
    assert len(held) == len(set(held)), "two labels for one stage"
    for label in cluster.labels:
        assert by_number[label.stage].covers(label.effective_from)
        if label.state == "expired":
            assert not by_number[label.stage].is_open
    effective = effective_history(history)
    ended = [i for i, e in enumerate(effective) if isinstance(e, ClusterMerged | ClusterDissolved)]
    assert len(ended) <= 1, "ended twice"
    if ended:
        assert ended[0] == len(effective) - 1, "events after the cluster ended"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(strat.lists(commands, min_size=8, max_size=40))
def test_random_command_sequences_rebuild_the_live_state_and_keep_the_rules(
    ledger: Ledger,
    sequence: list[tuple],  # type: ignore[type-arg]
) -> None:
    model = Model(ledger, next(NAMESPACES))
    for line in sequence:
        model.run(line)
    note_event(f"accepted events: {min(model.accepted // 5 * 5, 30)}+")
    stages = model.stage_states()
    for live in model.clusters():
        assert ledger.get_cluster(live.slug) == live
        assert_label_rules_hold(live, model.memory.histories[live.id], stages)
    for live_stage in stages:
        assert ledger.get_stage(live_stage.number) == live_stage
