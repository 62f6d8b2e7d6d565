"""Property: for random command sequences, the stored history rebuilds the live state
and no accepted sequence breaks a rule of the label."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as strat

from domain import cluster_commands as cc
from domain import stage as st
from domain.cluster import Cluster, apply_cluster_event, project_cluster
from domain.corrections import effective_history
from domain.errors import LedgerError
from domain.events import ClusterDissolved, ClusterMerged, EventCorrected, LedgerEvent
from domain.stage import Stage, apply_stage_event
from domain.values import Criterion, MemberCounts
from infrastructure.ledger import Ledger
from tests.builders import ADMIN

NAMESPACES = itertools.count()
SLUGS = ["alpha", "beta", "gamma", "delta"]
START, END = date(2019, 1, 1), date(2022, 12, 31)

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
    """The live aggregates, evolved in memory from the events the ledger accepted."""

    def __init__(self, ledger: Ledger, namespace: int) -> None:
        self.ledger = ledger
        self.namespace = namespace
        self.clusters: dict[str, Cluster] = {}
        self.histories: dict[str, list[LedgerEvent]] = {}
        self.stages: list[Stage] = []
        self.accepted = 0
        for offset in range(2):
            self.open_stage(namespace * 2 + offset + 1)
        for name in SLUGS[:3]:
            self.run(("register", name))

    def open_stage(self, number: int) -> None:
        event = st.open_stage(
            None,
            self.p(),
            number=number,
            title=f"Stage {number}",
            starts_on=START,
            ends_on=END,
            decided_by="State",
            criteria=(Criterion(code="members", description="members", threshold=150),),
        )
        self.ledger.append([event])
        self.stages.append(apply_stage_event(None, event))

    def p(self):  # type: ignore[no-untyped-def]
        return self.ledger.provenance(ADMIN)

    def slug(self, name: str) -> str:
        return f"n{self.namespace}-{name}"

    def run(self, command: tuple) -> None:  # type: ignore[type-arg]
        before = self.ledger.last_position()
        try:
            events = self.decide(command)
        except LedgerError:
            assert self.ledger.last_position() == before
            return
        if events:
            self.ledger.append(events, read=self.stages)
            self.evolve(events)
            self.accepted += len(events)

    def decide(self, command: tuple) -> list[LedgerEvent]:  # type: ignore[type-arg]
        kind, *args = command
        p = self.p()
        if kind == "register":
            name = self.slug(args[0])
            return [
                cc.register_cluster(
                    self.clusters.get(name), p, slug=name, name=name, registered_on=START
                )
            ]
        if kind == "close":
            stage = self.stages[args[0]]
            closure = st.close_stage(stage, p, closed_on=max(args[1], stage.starts_on))
            expiries = [
                e
                for c in self.clusters.values()
                if (e := cc.expire_label(c, stage, p, closed_on=closure.closed_on))
            ]
            return [closure, *expiries]
        cluster = self.cluster(args[0])
        if kind == "grant":
            _, stage_index, effective, conditional = args
            return [
                cc.grant_label(
                    cluster,
                    self.stages[stage_index],
                    p,
                    decided_on=effective,
                    decided_by="State",
                    effective_from=effective,
                    conditions=("merge",) if conditional else (),
                )
            ]
        if kind == "extend":
            return [
                cc.extend_label(
                    cluster,
                    p,
                    decided_on=args[1],
                    valid_until=args[1] + timedelta(days=365),
                    reason="r",
                )
            ]
        if kind == "withdraw":
            return [
                cc.withdraw_label(
                    cluster,
                    p,
                    decided_on=args[1],
                    effective_on=args[1],
                    decided_by="State",
                    reason="r",
                )
            ]
        if kind == "review":
            return [
                cc.review_criteria(
                    cluster,
                    self.stages[args[1]],
                    p,
                    reviewed_on=START,
                    reviewer="DGE",
                    kind="general evaluation",
                    measurements={args[2]: 200.0},
                    outcome="ok",
                )
            ]
        if kind == "report":
            return [
                cc.report_membership(cluster, p, as_of=START, members=MemberCounts(sme=args[1]))
            ]
        if kind == "merge":
            return list(cc.merge_clusters(cluster, self.cluster(args[1]), p, effective_on=args[2]))
        if kind == "dissolve":
            return [cc.dissolve_cluster(cluster, p, effective_on=args[1], reason="r")]
        amended = None if args[2] else {"source": "https://example.test/corrected"}
        return [
            cc.correct_cluster_event(
                cluster,
                self.histories[cluster.id],
                p,
                target_version=args[1],
                reason="r",
                amended=amended,
                effective_on=START,
            )
        ]

    def cluster(self, name: str) -> Cluster:
        found = self.clusters.get(self.slug(name))
        if found is None:
            raise LedgerError(f"{name} not registered in this example")
        return found

    def evolve(self, events: list[LedgerEvent]) -> None:
        for event in events:
            if event.originator_id.startswith("stage:"):
                index = next(i for i, s in enumerate(self.stages) if s.id == event.originator_id)
                self.stages[index] = apply_stage_event(self.stages[index], event)
            else:
                key = event.originator_id.removeprefix("cluster:")
                history = self.histories.setdefault(event.originator_id, [])
                history.append(event)
                if isinstance(event, EventCorrected):
                    refolded = project_cluster(None, history)
                    assert refolded is not None
                    self.clusters[key] = refolded
                else:
                    self.clusters[key] = apply_cluster_event(self.clusters.get(key), event)


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
    for command in sequence:
        model.run(command)
    note_event(f"accepted events: {min(model.accepted // 5 * 5, 30)}+")
    for key, live in model.clusters.items():
        assert ledger.get_cluster(key) == live
        assert_label_rules_hold(live, model.histories[live.id], model.stages)
    for live_stage in model.stages:
        assert ledger.get_stage(live_stage.number) == live_stage
