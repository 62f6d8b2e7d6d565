"""Tampering behind the application's back: `verify` fails and names the first bad position.

Each test edits the database directly (raw sqlite3 / psycopg), as an intruder with
database access would, then runs the verifier on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from api.cli.main import cli
from infrastructure.access.tokens import hash_secret
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.projections import rebuild_projections
from infrastructure.tamper import SigningKey, make_checkpoint, verify_ledger
from infrastructure.tamper.verification import VerificationReport
from tests.builders import grant_stage_4, membership, open_stage_4, register, run
from tests.raw_store import RawStore

KEY = SigningKey.generate("label-ledger.test/poles")
SLUGS = ["aerospace-valley", "polymeris", "minalogic", "cap-digital", "vitagora", "axelera"]


@pytest.fixture
def raw(store_url: str) -> Iterator[RawStore]:
    store = RawStore(store_url)
    try:
        yield store
    finally:
        store.close()


def build_history(ledger: Ledger) -> int:
    """A small, real label history (stage, clusters, decisions); returns its last position."""
    open_stage_4(ledger)
    for slug in SLUGS:
        register(ledger, slug)
    for slug in SLUGS[:4]:
        grant_stage_4(ledger, slug)
    for n, slug in enumerate(SLUGS):
        run(ledger, membership(slug, as_of=date(2021, 12, 31), sme=90 + n))
    return ledger.last_position()


def failure(report: VerificationReport) -> tuple[int, str]:
    assert not report.ok
    assert report.problem is not None
    return report.problem.position, report.problem.kind


def test_an_untouched_ledger_verifies_with_its_tree_size_and_root(ledger: Ledger) -> None:
    size = build_history(ledger)
    make_checkpoint(ledger, KEY)
    report = verify_ledger(ledger, public_key=KEY.verifier)
    assert report.ok, report.summary()
    assert report.tree_size == size == 17
    assert report.checkpoints_checked == 1
    assert report.summary().startswith(f"OK: tree size 17, root {report.root_hash};")


def test_one_changed_byte_of_a_payload_is_named_at_its_position(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.flip_byte(8, b"Prime Minister")
    report = verify_ledger(ledger)
    assert failure(report) == (8, "payload-altered")
    assert "cluster:aerospace-valley@2" in report.summary()


def test_any_flipped_bit_of_any_payload_is_named_at_its_position(
    ledger: Ledger, raw: RawStore
) -> None:
    size = build_history(ledger)

    @settings(max_examples=25, deadline=None)
    @given(position=st.integers(1, size), data=st.data())
    def check(position: int, data: st.DataObject) -> None:
        original = raw.state(position)
        offset = data.draw(st.integers(0, len(original) - 1), label="offset")
        bit = data.draw(st.integers(0, 7), label="bit")
        flipped = (
            original[:offset] + bytes([original[offset] ^ (1 << bit)]) + original[offset + 1 :]
        )
        raw.set_state(position, flipped)
        try:
            assert failure(verify_ledger(ledger)) == (position, "payload-altered")
        finally:
            raw.set_state(position, original)

    check()


def test_a_payload_that_no_longer_decodes_is_named_at_its_position(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.set_state(4, raw.state(4).replace(b'"actor":', b'"actor";'))
    assert failure(verify_ledger(ledger)) == (4, "payload-altered")


def test_a_deleted_row_is_named_at_its_position(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    raw.delete(6)
    report = verify_ledger(ledger)
    assert failure(report) == (6, "row-deleted")


def test_deleting_the_last_rows_is_a_truncated_log(ledger: Ledger, raw: RawStore) -> None:
    size = build_history(ledger)
    raw.delete(size)
    raw.delete(size - 1)
    assert failure(verify_ledger(ledger)) == (size - 1, "log-truncated")


def test_two_swapped_rows_are_named_as_reordered(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    raw.swap(3, 12)
    report = verify_ledger(ledger)
    assert failure(report) == (3, "rows-reordered")
    assert report.problem is not None
    assert "recorded at position 12" in report.problem.detail


def test_swapped_versions_of_one_aggregate_are_named_as_reordered(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.swap(8, 12)  # aerospace-valley's grant (v2) and its membership report (v3)
    report = verify_ledger(ledger)
    assert failure(report) == (8, "rows-reordered")
    assert report.problem is not None
    assert "cluster:aerospace-valley@3, recorded at position 12" in report.problem.detail


def test_swapped_neighbours_are_named_as_reordered(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    raw.swap(7, 8)
    assert failure(verify_ledger(ledger)) == (7, "rows-reordered")


def test_truncating_and_reappending_is_named_at_the_first_replaced_position(
    ledger: Ledger, raw: RawStore
) -> None:
    """Leaves and nodes are rebuilt consistently: only the signed checkpoint remembers."""
    size = build_history(ledger)
    make_checkpoint(ledger, KEY)
    raw.truncate(size - 3)
    rebuild_projections(ledger, verify=False)  # as an intruder would, so that the app appends again
    for slug in ("pole-a", "pole-b", "pole-c"):
        register(ledger, slug)
    assert ledger.last_position() == size
    report = verify_ledger(ledger, public_key=KEY.verifier)
    assert failure(report) == (size - 2, "log-truncated")
    assert report.problem is not None
    assert "checkpoint #1" in report.problem.detail


def test_a_replaced_checkpoint_signature_is_named_as_forged(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    make_checkpoint(ledger, KEY)
    register(ledger, "pole-a")
    note = raw.note(1)
    body, _, _signature_line = note.rpartition("\n\n")
    impostor = SigningKey.generate(KEY.name)
    forged = base64.b64encode(KEY.key_id + impostor.sign(body.encode() + b"\n")).decode()
    raw.set_note(1, f"{body}\n\n\u2014 {KEY.name} {forged}\n")
    report = verify_ledger(ledger, public_key=KEY.verifier)
    assert failure(report) == (17, "checkpoint-forged")
    assert report.problem is not None
    assert "signature does not verify" in report.problem.detail


def test_an_altered_stored_leaf_is_told_from_an_altered_event(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.set_node(0, 4, b"\x42" * 32)
    report = verify_ledger(ledger)
    assert failure(report) == (5, "tree-altered")


def test_an_altered_inner_node_is_named_with_the_first_position_it_covers(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.set_node(2, 1, b"\x42" * 32)
    report = verify_ledger(ledger)
    assert failure(report) == (5, "tree-altered")
    assert report.problem is not None
    assert "positions 5..8" in report.problem.detail


@pytest.mark.parametrize("chunk_bits", [2, 13])
def test_a_deleted_inner_node_or_stored_leaf_is_named_where_it_was(
    ledger: Ledger, raw: RawStore, chunk_bits: int
) -> None:
    build_history(ledger)
    original = raw.run(f"SELECT hash FROM {raw.nodes} WHERE level = 1 AND idx = 3")[0][0]
    raw.run(f"DELETE FROM {raw.nodes} WHERE level = 1 AND idx = 3")
    report = verify_ledger(ledger, chunk_bits=chunk_bits)
    assert failure(report) == (7, "tree-altered")
    assert report.problem is not None
    assert "positions 7..8" in report.problem.detail
    raw.run(f"INSERT INTO {raw.nodes} (level, idx, hash) VALUES (1, 3, ?)", (bytes(original),))
    assert verify_ledger(ledger, chunk_bits=chunk_bits).ok
    raw.run(f"DELETE FROM {raw.nodes} WHERE level = 0 AND idx = 9")
    report = verify_ledger(ledger, chunk_bits=chunk_bits)
    assert failure(report) == (10, "tree-altered")
    assert report.problem is not None
    assert "leaf of position 10 is missing" in report.problem.detail


@pytest.mark.parametrize("chunk_bits", [0, 1, 2, 3, 13])
def test_chunk_size_changes_neither_the_root_nor_the_finding(
    ledger: Ledger, raw: RawStore, chunk_bits: int
) -> None:
    """Checkpoints on and off chunk edges; nodes above the chunks are checked too."""
    for slug in SLUGS[:2]:
        register(ledger, slug)
    make_checkpoint(ledger, KEY)
    for n in range(2, 22):
        register(ledger, f"pole-{n}")
        if n in (3, 6, 13, 14):
            make_checkpoint(ledger, KEY)
    reference = verify_ledger(ledger, public_key=KEY.verifier)
    report = verify_ledger(ledger, public_key=KEY.verifier, chunk_bits=chunk_bits)
    assert report.ok, report.summary()
    assert (report.root_hash, report.checkpoints_checked) == (reference.root_hash, 5)
    original = raw.run(f"SELECT hash FROM {raw.nodes} WHERE level = 3 AND idx = 1")[0][0]
    raw.set_node(3, 1, b"\x42" * 32)
    assert failure(verify_ledger(ledger, chunk_bits=chunk_bits)) == (9, "tree-altered")
    raw.set_node(3, 1, bytes(original))
    raw.flip_byte(11, b"pole-")
    report = verify_ledger(ledger, public_key=KEY.verifier, chunk_bits=chunk_bits)
    assert failure(report) == (11, "payload-altered")


def test_worker_processes_find_the_same_root_and_the_same_damage(
    ledger: Ledger, raw: RawStore
) -> None:
    size = build_history(ledger)
    make_checkpoint(ledger, KEY)
    serial = verify_ledger(ledger, public_key=KEY.verifier, chunk_bits=2)
    parallel = verify_ledger(ledger, public_key=KEY.verifier, chunk_bits=2, jobs=2)
    assert parallel.ok, parallel.summary()
    assert (parallel.tree_size, parallel.root_hash) == (size, serial.root_hash)
    raw.swap(6, 13)
    assert failure(verify_ledger(ledger, chunk_bits=2, jobs=2)) == (6, "rows-reordered")


def test_cli_verify_prints_ok_with_the_tree_size_and_root(store_url: str) -> None:
    ledger = open_ledger(store_url)
    try:
        build_history(ledger)
    finally:
        ledger.close()
    result = CliRunner().invoke(cli, ["verify", "--db", store_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: tree size 17, root ")


def test_cli_verify_exits_1_naming_the_event_after_a_one_byte_edit(
    store_url: str, raw: RawStore
) -> None:
    ledger = open_ledger(store_url)
    try:
        build_history(ledger)
    finally:
        ledger.close()
    raw.flip_byte(3, b"Polymeris")
    result = CliRunner().invoke(cli, ["verify", "--db", store_url])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "at position 3: payload-altered" in lines[0]
    assert "cluster:polymeris@1" in lines[0]
    assert "Traceback" not in result.output


# --- derived data: read models, tokens, checkpoint commitments ------------------------


def edit_record_name(raw: RawStore, cluster_id: str, name: str) -> None:
    import msgspec

    from domain.records import ClusterRecord

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


def test_a_read_model_edited_directly_is_named_by_its_row(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    edit_record_name(raw, "cluster:polymeris", "Polymeris (falsified)")
    report = verify_ledger(ledger)
    assert report.problem is not None
    assert report.problem.kind == "read-model-differs"
    assert "row cluster:polymeris differs from what the events imply in cluster_states" in (
        report.problem.detail
    )
    head = raw.run(
        f"SELECT MAX({raw.position}) FROM {raw.events} WHERE originator_id = ?",
        ("cluster:polymeris",),
    )[0][0]
    assert report.problem.position == head


def test_a_token_row_slipped_into_a_table_authorises_nothing(
    ledger: Ledger, raw: RawStore
) -> None:
    """Only token events authorise: a table of token hashes, as release 0.1 kept, is no
    way in, whoever writes a row into it."""
    build_history(ledger)
    secret = "llt_intruder"
    raw.run(
        f"CREATE TABLE {raw.table('api_tokens')} (token_hash TEXT PRIMARY KEY, "
        "name TEXT NOT NULL, role TEXT NOT NULL, revoked INTEGER NOT NULL)"
    )
    raw.run(
        f"INSERT INTO {raw.table('api_tokens')} (token_hash, name, role, revoked) "
        "VALUES (?, ?, ?, 0)",
        (hash_secret(secret), "intruder", "admin"),
    )
    assert ledger.caller(secret) is None


def test_a_deleted_facet_row_is_named_missing(ledger: Ledger, raw: RawStore) -> None:
    build_history(ledger)
    raw.run(
        f"DELETE FROM {raw.table('cluster_facets')} WHERE cluster_id = ? AND facet = 'region'",
        ("cluster:minalogic",),
    )
    report = verify_ledger(ledger)
    assert report.problem is not None
    assert "cluster:minalogic region Occitanie is missing from cluster_facets" in (
        report.problem.detail
    )


def test_deep_verification_compares_the_columns_beside_each_record(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    raw.run(
        f"UPDATE {raw.table('cluster_states')} SET slug = 'elsewhere' WHERE cluster_id = ?",
        ("cluster:vitagora",),
    )
    assert verify_ledger(ledger).ok
    deep = verify_ledger(ledger, deep=True)
    assert deep.problem is not None
    assert "row cluster:vitagora differs" in deep.problem.detail


def test_a_checkpoint_signed_over_edited_read_models_is_named(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    edit_record_name(raw, "cluster:polymeris", "Polymeris (falsified)")
    size = make_checkpoint(ledger, KEY).tree_size
    report = verify_ledger(ledger, public_key=KEY.verifier)
    assert failure(report) == (size, "checkpoint-views-differ")


def test_checkpoint_commitments_are_checked_at_their_sizes(ledger: Ledger) -> None:
    build_history(ledger)
    make_checkpoint(ledger, KEY)
    register(ledger, "nouveau-pole")
    make_checkpoint(ledger, KEY)
    report = verify_ledger(ledger, public_key=KEY.verifier)
    assert report.ok, report.summary()
    assert report.checkpoint_commitments_checked == 2
    assert report.views_checked == 4  # cluster states, reviews, stage states, facets


def test_an_event_retyped_to_text_is_a_finding_not_a_crash(
    ledger: Ledger, raw: RawStore
) -> None:
    build_history(ledger)
    column = "CAST(state AS TEXT)" if raw.sqlite else "encode(state, 'escape')"
    if raw.sqlite:
        raw.run(f"UPDATE {raw.events} SET state = {column} WHERE {raw.position} = 5")
        report = verify_ledger(ledger)
        assert report.problem is not None
        assert report.problem.position == 5
    else:  # PostgreSQL keeps its column types: a version re-typed is impossible there
        assert verify_ledger(ledger).ok


def test_a_version_retyped_to_text_is_named_at_its_position(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's columns keep their types, so nothing can be re-typed there."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger = open_ledger(url)
    raw = RawStore(url)
    try:
        build_history(ledger)
        raw.run(f"UPDATE {raw.events} SET originator_version = 'seven' WHERE {raw.position} = 6")
        report = verify_ledger(ledger)
        assert failure(report) == (6, "payload-altered")
        assert "its version is a str" in report.summary()
    finally:
        raw.close()
        ledger.close()
