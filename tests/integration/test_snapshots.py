"""Snapshots: a cold load starts from the newest snapshot and is always the full replay's state."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest
from click.testing import CliRunner

from api.cli.main import cli
from domain.cluster import Cluster, project_cluster
from domain.values import cluster_id, event_id
from infrastructure.composition import open_ledger
from infrastructure.ledger import CLUSTERS, Ledger
from infrastructure.snapshot_audit import SnapshotFinding, audit_snapshots
from infrastructure.snapshots import SNAPSHOT_EVERY, TABLE, write_snapshot
from tests.builders import correction, grant_stage_4, membership, open_stage_4, register, run

SLUG = "aerospace-valley"
ID = cluster_id(SLUG)


def report(ledger: Ledger, times: int) -> None:
    for n in range(times):
        run(ledger, membership(SLUG, as_of=date(2019, 3, 1) + timedelta(days=n), sme=100 + n,
                               research=10))


@pytest.fixture
def busy(ledger: Ledger) -> Ledger:
    """A cluster with more events than a load folds before it takes a snapshot."""
    open_stage_4(ledger)
    register(ledger, SLUG)
    grant_stage_4(ledger, SLUG)
    report(ledger, SNAPSHOT_EVERY)
    return ledger


def replayed(ledger: Ledger) -> Cluster:
    cluster = project_cluster(None, ledger.aggregate_events(ID))
    assert cluster is not None
    return cluster


def cold_load(ledger: Ledger) -> Cluster:
    ledger.aggregate_cache.clear()
    return ledger.get_cluster(SLUG)


def snapshot_version(ledger: Ledger) -> int | None:
    with ledger.read() as tx:
        return tx.scalar(f"SELECT version FROM {tx.table(TABLE)} WHERE aggregate_id = ?", (ID,))


def test_a_load_that_folds_many_events_takes_a_snapshot(busy: Ledger) -> None:
    cluster = cold_load(busy)
    assert snapshot_version(busy) == cluster.version == SNAPSHOT_EVERY + 2


def test_a_cold_load_from_a_snapshot_equals_the_full_replay(busy: Ledger) -> None:
    cold_load(busy)
    assert cold_load(busy) == replayed(busy)


def test_events_written_after_the_snapshot_are_folded_on_load(busy: Ledger, store_url: str) -> None:
    cold_load(busy)
    other_process = open_ledger(store_url)
    try:
        report(other_process, 3)
    finally:
        other_process.close()
    loaded = cold_load(busy)
    assert loaded.version == SNAPSHOT_EVERY + 5
    assert loaded == replayed(busy)


def test_a_correction_after_the_snapshot_refolds_the_whole_history(busy: Ledger) -> None:
    cold_load(busy)
    run(busy, correction(event_id(ID, 2), reason="granted by mistake"))
    loaded = cold_load(busy)
    assert loaded.labels == ()
    assert loaded == replayed(busy)


def test_a_snapshot_taken_by_another_fold_is_ignored_and_replaced(busy: Ledger) -> None:
    cold_load(busy)
    with busy.write() as tx:
        tx.execute(f"UPDATE {tx.table(TABLE)} SET shape = 'Cluster/older-release/r0'")
    assert cold_load(busy) == replayed(busy)
    assert snapshot_version(busy) == SNAPSHOT_EVERY + 2


def test_an_unreadable_snapshot_is_ignored(busy: Ledger) -> None:
    cold_load(busy)
    with busy.write() as tx:
        tx.execute(f"UPDATE {tx.table(TABLE)} SET state = ?", (b"\x00not msgpack",))
    assert cold_load(busy) == replayed(busy)


def test_an_older_snapshot_never_replaces_a_newer_one(busy: Ledger) -> None:
    cold_load(busy)
    report(busy, SNAPSHOT_EVERY)
    newest = cold_load(busy).version
    older = project_cluster(None, busy.aggregate_events(ID)[: SNAPSHOT_EVERY + 2])
    assert older is not None
    with busy.write() as tx:
        write_snapshot(tx, ID, older.version, older, CLUSTERS.codec)
    assert snapshot_version(busy) == newest


def test_the_audit_finds_every_snapshot_equal_to_its_replay(busy: Ledger) -> None:
    cold_load(busy)
    report(busy, 5)
    assert list(audit_snapshots(busy)) == [
        SnapshotFinding(aggregate_id=ID, version=SNAPSHOT_EVERY + 2, verdict="matches")
    ]


def test_the_audit_names_an_altered_snapshot(busy: Ledger) -> None:
    cluster = cold_load(busy)
    forged = msgspec.structs.replace(cluster, labels=())
    with busy.write() as tx:
        tx.execute(f"DELETE FROM {tx.table(TABLE)}")
        write_snapshot(tx, ID, cluster.version, forged, CLUSTERS.codec)
    assert [f.verdict for f in audit_snapshots(busy)] == ["altered"]


def test_the_audit_reports_a_snapshot_loads_ignore(busy: Ledger) -> None:
    cold_load(busy)
    with busy.write() as tx:
        tx.execute(f"UPDATE {tx.table(TABLE)} SET state = ?", (b"\x00not msgpack",))
    assert [f.verdict for f in audit_snapshots(busy)] == ["ignored"]


def test_verify_snapshots_exits_0_when_every_snapshot_matches(busy: Ledger, store_url: str) -> None:
    cold_load(busy)
    result = CliRunner().invoke(cli, ["verify-snapshots", "--db", store_url])
    assert result.exit_code == 0, result.output
    assert "1 snapshot(s) match their replay" in result.output


def test_verify_snapshots_names_an_altered_snapshot_and_exits_1(
    busy: Ledger, store_url: str
) -> None:
    cluster = cold_load(busy)
    with busy.write() as tx:
        tx.execute(f"DELETE FROM {tx.table(TABLE)}")
        forged = msgspec.structs.replace(cluster, name="Forged")
        write_snapshot(tx, ID, cluster.version, forged, CLUSTERS.codec)
    result = CliRunner().invoke(cli, ["verify-snapshots", "--db", store_url])
    assert result.exit_code == 1
    assert f"{ID}@{cluster.version}" in result.output
    assert "Traceback" not in result.output


def test_under_group_commit_a_snapshot_rides_along_with_the_next_append(busy: Ledger) -> None:
    busy.enable_group_commit()
    try:
        taken_at = cold_load(busy).version
        assert snapshot_version(busy) is None
        report(busy, 1)
        assert snapshot_version(busy) == taken_at
        assert cold_load(busy) == replayed(busy)
    finally:
        busy.disable_group_commit()
