"""The views digest a checkpoint commits to does not depend on how the events were folded:
all at once, or in pieces with the digests asked for (and kept) in between, as the audit
client folds a ledger run after run."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as strat

from domain.view_digest import CLUSTERS, FACETS, REVIEWS, STAGES
from domain.view_fold import PositionedEvent, ViewFold
from infrastructure.ledger import Ledger
from infrastructure.projections.decoding import EventDecoder
from infrastructure.store.sql import Tx
from infrastructure.tamper.commitments import sql_history
from infrastructure.tamper.event_rows import event_table
from infrastructure.tamper.reads import select_all
from tests.scenarios import Scenario, commands

VIEWS = (CLUSTERS, REVIEWS, STAGES, FACETS)


def positioned_events(tx: Tx) -> list[PositionedEvent]:
    events, decoder = event_table(tx), EventDecoder()
    rows = select_all(
        tx,
        f"SELECT {events.position}, topic, state FROM {events.name} ORDER BY {events.position}",
    )
    return [(position, decoder.decode(topic, bytes(state))) for position, topic, state in rows]


def new_fold(tx: Tx) -> ViewFold:
    return ViewFold(history=sql_history(tx, event_table(tx), EventDecoder()))


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=strat.lists(commands, min_size=3, max_size=30),
    cuts=strat.lists(strat.floats(min_value=0.0, max_value=1.0), max_size=4),
)
def test_folding_in_pieces_gives_the_digests_of_folding_at_once(
    ledger: Ledger, script: list[tuple[Any, ...]], cuts: list[float]
) -> None:
    Scenario(ledger).run(script, batch_size=7)
    with ledger.read() as tx:
        events = positioned_events(tx)
        at_once = new_fold(tx)
        at_once.apply(events)
        in_pieces = new_fold(tx)
        bounds = sorted({0, len(events), *(int(cut * len(events)) for cut in cuts)})
        for start, end in itertools.pairwise(bounds):
            in_pieces.apply(events[start:end])
            in_pieces.views_digest()  # asked, and kept, after each piece
    for view in VIEWS:
        assert in_pieces.view_digest(view) == at_once.view_digest(view), view
    assert in_pieces.views_digest() == at_once.views_digest()
