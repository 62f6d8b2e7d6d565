"""Rebuilding the read models from the events, on each store: streamed in committed
batches, equal to the incremental read models, and resumable after a crash."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from domain.commands import ReviewCriteria
from domain.errors import ProjectionBehind, ProjectionFailed
from domain.events import LedgerEvent
from domain.records import Advance, ClusterRecord
from infrastructure.history.seeding import seed_history
from infrastructure.ledger import Ledger
from infrastructure.projections import (
    catch_up_projections,
    read_models,
    rebuild_projections,
)
from infrastructure.projections import queries as q
from tests.builders import grant_stage_4, membership, open_stage_4, register, run
from tests.integration.test_projections import read_model_rows, tracked


@pytest.fixture
def busy_ledger(ledger: Ledger) -> Ledger:
    """A stage, five clusters and some fifty events."""
    open_stage_4(ledger)
    for n in range(5):
        slug = f"pole-{n}"
        register(ledger, slug)
        grant_stage_4(ledger, slug)
        for year in range(2019, 2027):
            run(ledger, membership(slug, as_of=date(year, 12, 31), sme=100 + year))
    return ledger


def test_a_rebuild_commits_each_batch_with_its_tracking_position(busy_ledger: Ledger) -> None:
    ledger = busy_ledger
    committed: list[tuple[int, int]] = []
    rebuild_projections(
        ledger, progress=lambda p: committed.append((p.position, tracked(ledger))), batch_size=10
    )
    last = ledger.last_position()
    assert committed == [(p, p) for p in [*range(10, last, 10), last]]


def test_a_page_writing_many_rows_per_table_rebuilds_the_incremental_read_models(
    ledger: Ledger,
) -> None:
    # Over a hundred reviews and facets in one page: bulk inserts (COPY on PostgreSQL).
    open_stage_4(ledger)
    for n in range(40):
        register(ledger, f"pole-{n}")
        grant_stage_4(ledger, f"pole-{n}")
    for n in range(120):
        run(ledger, ReviewCriteria(
            slug=f"pole-{n % 40}", stage=4, reviewed_on=date(2020, 1, 1 + n // 40),
            reviewer="DGE", kind="annual", measurements={"members": 100.0 + n},
            outcome="compliant",
        ))
    incremental = read_model_rows(ledger)
    rebuild_projections(ledger)
    assert read_model_rows(ledger) == incremental
    assert len(incremental["cluster_reviews"]) == 120


def test_a_crash_mid_rebuild_stops_at_the_last_applied_event_and_a_rerun_completes(
    busy_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = busy_ledger
    incremental = read_model_rows(ledger)
    failing = ledger.positioned_events("cluster:pole-3")[5]
    monkeypatch.setattr(read_models, "advance_cluster_record", failing_at(failing.event))
    with pytest.raises(ProjectionFailed, match=f"position {failing.position}"):
        rebuild_projections(ledger, batch_size=10)
    assert tracked(ledger) == failing.position - 1
    with pytest.raises(ProjectionBehind):
        q.list_cluster_status(ledger)
    monkeypatch.undo()
    catch_up_projections(ledger)
    assert read_model_rows(ledger) == incremental
    rebuild_projections(ledger)
    assert read_model_rows(ledger) == incremental


def test_a_crash_mid_rebuild_keeps_the_events_before_the_failing_one(
    busy_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = busy_ledger
    failing = ledger.positioned_events("cluster:pole-3")[5]
    monkeypatch.setattr(read_models, "advance_cluster_record", failing_at(failing.event))
    with pytest.raises(ProjectionFailed):
        rebuild_projections(ledger, batch_size=1000)
    with ledger.read() as tx:
        tx.execute(
            f"SELECT state FROM {tx.table('cluster_states')} WHERE cluster_id = ?",
            ("cluster:pole-3",),
        )
        (state,) = tx.fetchone() or pytest.fail("pole-3 was not kept")
    kept: ClusterRecord = read_models.CLUSTER_DECODER.decode(state)
    assert kept.cluster.version == failing.event.originator_version - 1


def failing_at(target: LedgerEvent) -> object:
    """The cluster handler, made to crash on one event."""
    original = read_models.advance_cluster_record

    def advance(record: ClusterRecord | None, events: list[LedgerEvent]) -> Advance:
        if any(e.originator_version == target.originator_version
               and e.originator_id == target.originator_id for e in events):
            msg = "simulated crash in a handler"
            raise RuntimeError(msg)
        return original(record, events)

    return advance


def test_rebuild_command_prints_the_rate_and_final_position(
    busy_ledger: Ledger, store_url: str
) -> None:
    result = CliRunner().invoke(cli, ["rebuild", "--db", store_url])
    assert result.exit_code == 0, result.output
    last = busy_ledger.last_position()
    assert f"rebuilt the read models from {last} events" in result.output
    assert result.output.rstrip().endswith(f"position {last}")
    assert "events/s" in result.output


def test_rebuild_refuses_a_broken_log_and_writes_nothing(ledger: Ledger, store_url: str) -> None:
    from infrastructure.tamper.errors import MerkleLogDamaged
    from tests.raw_store import RawStore

    seed_history(ledger)
    raw = RawStore(store_url)
    try:
        raw.flip_byte(10, b"actor")
        clusters_before = raw.run(f"SELECT COUNT(*) FROM {raw.table('cluster_states')}")
        with pytest.raises(MerkleLogDamaged, match="at position 10: payload-altered"):
            rebuild_projections(ledger)
        assert raw.run(f"SELECT COUNT(*) FROM {raw.table('cluster_states')}") == clusters_before
    finally:
        raw.close()
