"""The audit client against a server whose database is altered behind its back.

The server is the real application over the ``ledger`` fixture (both stores), reached
in process; every attack edits the database directly (``RawStore``), as an intruder
with database access would. The client trusts only the log's public key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from domain.records import ClusterRecord
from infrastructure.auditor import AuditReport, audit
from infrastructure.history.seeding import seed_history
from infrastructure.ledger import Ledger
from infrastructure.projections import rebuild_projections
from infrastructure.tamper import MerkleLogHook, SigningKey, make_checkpoint
from tests.builders import issue, register
from tests.raw_store import RawStore

KEY = SigningKey.generate("label-ledger.test/audit")
URL = "http://ledger.test"


class Served:
    """A seeded, checkpointed ledger behind the API, an auditor's token and the raw store."""

    def __init__(self, ledger: Ledger, store_url: str) -> None:
        self.ledger = ledger
        seed_history(ledger)
        self.token = issue(ledger, "ccomptes", "auditor")
        self.size = make_checkpoint(ledger, KEY).tree_size
        self.http = TestClient(create_app(ledger), base_url=URL)
        self.raw = RawStore(store_url)

    def audit(self, state: Path | None = None, **options: object) -> AuditReport:
        return audit(
            URL,
            public_key=KEY.verifier.text(),
            state_dir=state,
            token=self.token,
            http=self.http,
            **options,  # type: ignore[arg-type]
        )

    def checkpoint(self) -> int:
        return make_checkpoint(self.ledger, KEY).tree_size

    def position_of_grant(self, slug: str) -> int:
        return int(
            self.raw.run(
                f"SELECT MIN({self.raw.position}) FROM {self.raw.events} "
                "WHERE originator_id = ? AND topic = ?",
                (f"cluster:{slug}", "label-ledger/LabelGranted/v1"),
            )[0][0]
        )


@pytest.fixture
def served(ledger: Ledger, store_url: str) -> Iterator[Served]:
    server = Served(ledger, store_url)
    try:
        yield server
    finally:
        server.raw.close()


def failed(report: AuditReport) -> tuple[int, str]:
    assert not report.ok, report.summary()
    assert report.problem is not None
    return report.problem.position, report.problem.kind


# --- an intact ledger ------------------------------------------------------------


def test_an_intact_ledger_passes_from_empty_state(served: Served) -> None:
    report = served.audit()
    assert report.ok, report.summary()
    assert report.tree_size == served.size
    assert report.new_events == served.size
    assert report.clusters_checked > 40
    assert report.stages_checked == 5


def test_runs_are_incremental_and_only_read_what_is_new(served: Served, tmp_path: Path) -> None:
    first = served.audit(tmp_path)
    assert (first.ok, first.new_events) == (True, served.size)
    again = served.audit(tmp_path)
    assert (again.ok, again.new_events, again.previous_size) == (True, 0, served.size)
    register(served.ledger, "nouveau-pole")
    size = served.checkpoint()
    later = served.audit(tmp_path)
    assert later.ok, later.summary()
    assert (later.previous_size, later.tree_size) == (served.size, size)
    assert later.new_events == size - served.size


def test_without_a_key_the_servers_is_trusted_on_first_use_and_kept(
    served: Served, tmp_path: Path
) -> None:
    for hook in served.ledger.store.hooks:
        if isinstance(hook, MerkleLogHook):
            hook.public_key = KEY.verifier  # as LEDGER_PUBLIC_KEY=FILE.pub would
    first = audit(URL, state_dir=tmp_path, token=served.token, http=served.http)
    assert first.ok
    assert first.key_from_server
    second = audit(URL, state_dir=tmp_path, token=served.token, http=served.http)
    assert second.ok
    assert not second.key_from_server
    other = audit(
        URL,
        public_key=SigningKey.generate("label-ledger.test/audit").verifier.text(),
        state_dir=tmp_path,
        token=served.token,
        http=served.http,
    )
    assert failed(other)[1] == "checkpoint-forged"


def test_a_checkpoint_signed_by_another_key_is_named_forged(served: Served) -> None:
    report = audit(
        URL,
        public_key=SigningKey.generate("label-ledger.test/audit").verifier.text(),
        token=served.token,
        http=served.http,
    )
    assert failed(report) == (served.size, "checkpoint-forged")


# --- attacks on the events -----------------------------------------------------------


def test_a_changed_payload_byte_is_named_at_its_position(served: Served) -> None:
    position = served.position_of_grant("polymeris")
    served.raw.flip_byte(position, b"decided_by")
    assert failed(served.audit()) == (position, "payload-altered")


def test_a_changed_payload_byte_is_caught_by_an_incremental_run_rereading_old_events(
    served: Served, tmp_path: Path
) -> None:
    assert served.audit(tmp_path).ok
    position = served.position_of_grant("polymeris")
    served.raw.flip_byte(position, b"decided_by")
    report = served.audit(tmp_path, recheck=served.size)
    assert failed(report) == (position, "event-changed")


def test_swapped_rows_are_named(served: Served) -> None:
    first = served.position_of_grant("polymeris")
    served.raw.swap(first, first + 1)
    position, kind = failed(served.audit())
    assert position == first
    assert kind in {"payload-altered", "rows-reordered"}


def test_swapped_rows_are_named_as_moved_by_an_incremental_run(
    served: Served, tmp_path: Path
) -> None:
    assert served.audit(tmp_path).ok
    first = served.position_of_grant("polymeris")
    served.raw.swap(first, first + 3)
    report = served.audit(tmp_path, recheck=served.size)
    assert failed(report) == (first, "rows-reordered")


def test_a_deleted_row_is_named(served: Served, tmp_path: Path) -> None:
    assert served.audit(tmp_path).ok
    position = served.position_of_grant("minalogic")
    served.raw.delete(position)
    assert failed(served.audit()) == (position, "row-deleted")
    assert failed(served.audit(tmp_path, recheck=served.size)) == (position, "row-deleted")


def test_a_truncated_and_reappended_tail_is_named(served: Served, tmp_path: Path) -> None:
    assert served.audit(tmp_path).ok
    keep = served.size - 30
    served.raw.truncate(keep)
    rebuild_projections(served.ledger, verify=False)
    for n in range(40):
        register(served.ledger, f"usurpateur-{n}")
    assert failed(served.audit()) == (keep + 1, "log-truncated")
    position, kind = failed(served.audit(tmp_path))
    assert (position, kind) == (keep + 1, "log-truncated")


def test_deleted_checkpoints_are_caught_by_an_auditor_who_kept_one(
    served: Served, tmp_path: Path
) -> None:
    register(served.ledger, "nouveau-pole")
    newer = served.checkpoint()
    assert served.audit(tmp_path).ok
    served.raw.run(f"DELETE FROM {served.raw.checkpoints} WHERE tree_size = ?", (newer,))
    assert failed(served.audit(tmp_path)) == (served.size + 1, "log-truncated")


def test_a_rewritten_log_is_caught_by_an_auditor_who_kept_its_state(
    served: Served, tmp_path: Path
) -> None:
    """Events and tree rewritten consistently, covering checkpoints deleted: only the
    kept state can tell, and it names the first changed position exactly."""
    assert served.audit(tmp_path).ok
    keep = served.size - 12
    served.raw.truncate(keep)
    served.raw.delete_checkpoints_after(0)
    rebuild_projections(served.ledger, verify=False)
    for n in range(20):
        register(served.ledger, f"usurpateur-{n}")
    served.checkpoint()
    position, kind = failed(served.audit(tmp_path))
    assert (position, kind) == (keep + 1, "log-rewritten")


# --- attacks on what is derived ------------------------------------------------------


def edit_cluster_name(raw: RawStore, cluster_id: str, name: str) -> None:
    table = raw.table("cluster_states")
    state = raw.run(f"SELECT state FROM {table} WHERE cluster_id = ?", (cluster_id,))[0][0]
    record = msgspec.msgpack.decode(bytes(state), type=ClusterRecord)
    edited = msgspec.structs.replace(
        record, cluster=msgspec.structs.replace(record.cluster, name=name)
    )
    raw.run(
        f"UPDATE {table} SET state = ? WHERE cluster_id = ?",
        (msgspec.msgpack.encode(edited), cluster_id),
    )


def test_a_read_model_edited_directly_is_named_by_the_status_it_serves(
    served: Served, tmp_path: Path
) -> None:
    assert served.audit(tmp_path).ok
    edit_cluster_name(served.raw, "cluster:polymeris", "Polymeris (falsified)")
    head = served.raw.run(
        f"SELECT MAX({served.raw.position}) FROM {served.raw.events} WHERE originator_id = ?",
        ("cluster:polymeris",),
    )[0][0]
    for state in (None, tmp_path):  # a first run checks every status, later ones a sample
        report = served.audit(state, sample=1_000)
        assert failed(report) == (head, "served-view-differs")
        assert report.problem is not None
        assert "cluster:polymeris" in report.problem.detail
        assert "Polymeris (falsified)" in report.problem.detail


def test_a_checkpoint_signed_over_edited_read_models_is_named(served: Served) -> None:
    edit_cluster_name(served.raw, "cluster:polymeris", "Polymeris (falsified)")
    size = served.checkpoint()
    assert failed(served.audit()) == (size, "checkpoint-views-differ")


def rewrite_consistently(raw: RawStore, position: int) -> None:
    """One payload changed and the whole tree recomputed to fit it: a careful intruder."""
    from infrastructure.merkle import nodes_to_store_after_append
    from infrastructure.tamper.leaf import leaf_hashes

    payload = raw.state(position)
    raw.set_state(position, payload.replace(b'"effective_on":"20', b'"effective_on":"19', 1))
    rows = [
        (int(p), str(a), int(v), str(t), bytes(s))
        for p, a, v, t, s in raw.run(
            f"SELECT {raw.position}, originator_id, originator_version, topic, state "
            f"FROM {raw.events} ORDER BY {raw.position}"
        )
    ]
    raw.run(f"DELETE FROM {raw.nodes}")
    for level, index, digest in nodes_to_store_after_append(0, leaf_hashes(rows), {}):
        raw.run(
            f"INSERT INTO {raw.nodes} (level, idx, hash) VALUES (?, ?, ?)", (level, index, digest)
        )


def test_a_consistent_rewrite_is_named_exactly_by_verify_with_an_audit_state(
    served: Served, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from api.cli.main import cli

    assert served.audit(tmp_path).ok
    target = served.position_of_grant("polymeris")
    rewrite_consistently(served.raw, target)
    served.raw.delete_checkpoints_after(0)
    db = _url(served)
    plain = CliRunner().invoke(cli, ["verify", "--db", db])
    assert plain.exit_code == 0, plain.output  # nothing in the database tells
    note = tmp_path / "saved.note"
    note.write_text(_note(tmp_path))
    saved = CliRunner().invoke(cli, ["verify", "--db", db, "--since-checkpoint", str(note)])
    assert saved.exit_code == 1
    assert "log-rewritten" in saved.output
    exact = CliRunner().invoke(cli, ["verify", "--db", db, "--since-state", str(tmp_path)])
    assert exact.exit_code == 1
    assert f"at position {target}: log-rewritten" in exact.output
    assert failed(served.audit(tmp_path))[1] == "log-truncated"  # no checkpoint served now
    served.checkpoint()  # the server signs over the rewritten log
    assert failed(served.audit(tmp_path)) == (target, "log-rewritten")


def _note(folder: Path) -> str:
    from infrastructure.auditor.state import load_state

    state = load_state(folder)
    assert state is not None
    return state.note


def _url(served: Served) -> str:
    env = served.ledger.settings.env
    if served.ledger.settings.dialect == "sqlite":
        return f"sqlite:///{env['SQLITE_DBNAME']}"
    return (
        f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/"
        f"{env['POSTGRES_DBNAME']}?schema={env['POSTGRES_SCHEMA']}"
    )
