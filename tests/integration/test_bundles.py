"""Offline audit bundles: written from either store, verified with no database at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from api.cli.main import cli
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.tamper import (
    Bundle,
    SigningKey,
    build_bundle,
    encode_bundle,
    make_checkpoint,
    verify_bundle,
)
from infrastructure.tamper.errors import InvalidBundle
from tests.builders import grant_stage_4, membership, open_stage_4, register, run

NAME = "label-ledger.test/poles"
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/nowhere"


def history(ledger: Ledger) -> None:
    open_stage_4(ledger)
    for slug in ("aerospace-valley", "polymeris", "minalogic"):
        register(ledger, slug)
    grant_stage_4(ledger, "polymeris", conditions=("report on private funding",))
    run(ledger, membership("polymeris", as_of=date(2021, 12, 31), sme=120))
    grant_stage_4(ledger, "minalogic")


def sealed_bundle(ledger: Ledger, key: SigningKey) -> bytes:
    history(ledger)
    make_checkpoint(ledger, key)
    return encode_bundle(build_bundle(ledger, "polymeris").bundle)


def test_a_bundle_verifies_with_only_the_bundle_and_the_public_key(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_path = tmp_path / "ledger.key"
    runner = CliRunner()
    assert runner.invoke(cli, ["keygen", "--out", str(key_path), "--name", NAME]).exit_code == 0
    ledger = open_ledger(store_url)
    try:
        history(ledger)
    finally:
        ledger.close()
    bundle_path = tmp_path / "polymeris.bundle.json"
    written = runner.invoke(
        cli,
        [
            "bundle",
            "polymeris",
            "--out",
            str(bundle_path),
            "--key",
            str(key_path),
            "--db",
            store_url,
        ],
    )
    assert written.exit_code == 0, written.output
    bundle_bytes, public_key = bundle_path.read_bytes(), (tmp_path / "ledger.key.pub").read_text()
    auditor_machine = tmp_path / "auditor"  # holds nothing but the bundle and the key
    auditor_machine.mkdir()
    (auditor_machine / "b.json").write_bytes(bundle_bytes)
    (auditor_machine / "log.pub").write_text(public_key)
    monkeypatch.chdir(auditor_machine)
    result = runner.invoke(
        cli,
        ["verify-bundle", "b.json", "--public-key", "log.pub"],
        env={"LEDGER_DATABASE_URL": UNREACHABLE, "LEDGER_SIGNING_KEY": ""},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"OK: 3 events of polymeris proven in {NAME} at tree size 7 ")
    assert "registered as Polymeris" in lines[1]
    assert "conditional label granted" in lines[2]
    assert "membership reported: 120 members" in lines[3]


def test_changing_any_one_byte_of_a_bundle_makes_it_fail(ledger: Ledger) -> None:
    key = SigningKey.generate(NAME)
    sealed = sealed_bundle(ledger, key)
    assert len(verify_bundle(sealed, key.verifier).events) == 3

    @settings(max_examples=300, deadline=None)
    @given(index=st.integers(0, len(sealed) - 1), value=st.integers(0, 255))
    def check(index: int, value: int) -> None:
        if sealed[index] == value:
            return
        damaged = sealed[:index] + bytes([value]) + sealed[index + 1 :]
        with pytest.raises(InvalidBundle):
            verify_bundle(damaged, key.verifier)

    check()


@pytest.mark.parametrize(
    "region", [b'"state":"', b'"proof":["', b'"checkpoint":"', b'"cluster":"', b'"key_id":"']
)
def test_a_changed_byte_in_each_part_of_the_bundle_is_caught(ledger: Ledger, region: bytes) -> None:
    key = SigningKey.generate(NAME)
    sealed = sealed_bundle(ledger, key)
    at = sealed.index(region) + len(region) + 3
    damaged = sealed[:at] + bytes([sealed[at] ^ 0x02]) + sealed[at + 1 :]
    with pytest.raises(InvalidBundle):
        verify_bundle(damaged, key.verifier)


def test_cli_verify_bundle_reports_a_damaged_bundle_in_one_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    key = SigningKey.generate(NAME)
    sealed = sealed_bundle(ledger, key)
    at = sealed.index(b'"state":"') + 20
    (tmp_path / "b.json").write_bytes(sealed[:at] + b"Z" + sealed[at + 1 :])
    (tmp_path / "log.pub").write_text(key.verifier.text())
    result = CliRunner().invoke(
        cli, ["verify-bundle", str(tmp_path / "b.json"), "--public-key", str(tmp_path / "log.pub")]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("label-ledger: error: bundle does not verify:")


def test_a_bundle_does_not_verify_with_another_logs_key(ledger: Ledger) -> None:
    sealed = sealed_bundle(ledger, SigningKey.generate(NAME))
    with pytest.raises(InvalidBundle, match="key"):
        verify_bundle(sealed, SigningKey.generate(NAME).verifier)


def test_a_bundle_that_leaves_out_an_event_fails(ledger: Ledger) -> None:
    """Each event carries its own valid proof, but the cluster's versions must all be there."""
    key = SigningKey.generate(NAME)
    bundle = msgspec.json.decode(sealed_bundle(ledger, key), type=Bundle)
    gapped = msgspec.structs.replace(bundle, events=[bundle.events[0], *bundle.events[2:]])
    with pytest.raises(InvalidBundle, match="version 2 of cluster:polymeris is missing"):
        verify_bundle(encode_bundle(gapped), key.verifier)


def test_a_bundle_without_any_checkpoint_is_refused_in_one_line(store_url: str) -> None:
    ledger = open_ledger(store_url)
    try:
        history(ledger)
    finally:
        ledger.close()
    result = CliRunner().invoke(
        cli, ["bundle", "polymeris", "--out", "unused.json", "--db", store_url]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "no signed checkpoint" in result.output


def test_a_bundle_names_the_events_its_checkpoint_does_not_cover(ledger: Ledger) -> None:
    key = SigningKey.generate(NAME)
    history(ledger)
    make_checkpoint(ledger, key)
    run(ledger, membership("polymeris", as_of=date(2022, 12, 31), sme=130))
    written = build_bundle(ledger, "polymeris")
    assert (len(written.bundle.events), written.later_events, written.tree_size) == (3, 1, 7)
    assert len(verify_bundle(encode_bundle(written.bundle), key.verifier).events) == 3
    fresh = build_bundle(ledger, "polymeris", signer=key)
    assert (len(fresh.bundle.events), fresh.later_events, fresh.tree_size) == (4, 0, 8)


# --- completeness: the head proof ---------------------------------------------


def test_a_bundle_cut_short_fails_although_every_event_it_holds_is_proven(
    ledger: Ledger,
) -> None:
    """The withdrawal-hiding attack: leave the cluster's last event out."""
    key = SigningKey.generate(NAME)
    bundle = msgspec.json.decode(sealed_bundle(ledger, key), type=Bundle)
    cut = msgspec.structs.replace(bundle, events=bundle.events[:-1])
    with pytest.raises(InvalidBundle, match=r"at version 3 .* but the bundle ends at version 2"):
        verify_bundle(encode_bundle(cut), key.verifier)


def test_a_bundle_with_a_foreign_event_fails(ledger: Ledger) -> None:
    key = SigningKey.generate(NAME)
    history(ledger)
    make_checkpoint(ledger, key)
    polymeris = build_bundle(ledger, "polymeris").bundle
    minalogic = build_bundle(ledger, "minalogic").bundle
    foreign = msgspec.structs.replace(polymeris, events=[*polymeris.events, minalogic.events[-1]])
    with pytest.raises(InvalidBundle, match="belongs to cluster:minalogic"):
        verify_bundle(encode_bundle(foreign), key.verifier)


def test_a_head_proof_of_another_cluster_does_not_prove_completeness(ledger: Ledger) -> None:
    key = SigningKey.generate(NAME)
    history(ledger)
    make_checkpoint(ledger, key)
    polymeris = build_bundle(ledger, "polymeris").bundle
    minalogic = build_bundle(ledger, "minalogic").bundle
    swapped = msgspec.structs.replace(polymeris, head=minalogic.head)
    with pytest.raises(InvalidBundle, match="head of cluster:polymeris is not proven"):
        verify_bundle(encode_bundle(swapped), key.verifier)


def test_a_v1_bundle_proves_inclusion_only_and_is_accepted_only_when_asked(
    ledger: Ledger,
) -> None:
    key = SigningKey.generate(NAME)
    bundle = msgspec.json.decode(sealed_bundle(ledger, key), type=Bundle)
    v1 = encode_bundle(
        msgspec.structs.replace(bundle, format="label-ledger/bundle/v1", head=None)
    )
    with pytest.raises(InvalidBundle, match="not that none was left out"):
        verify_bundle(v1, key.verifier)
    report = verify_bundle(v1, key.verifier, allow_incomplete=True)
    assert (len(report.events), report.complete) == (3, False)
    assert verify_bundle(encode_bundle(bundle), key.verifier).complete


def test_a_checkpoint_without_heads_cannot_back_a_bundle(ledger: Ledger) -> None:
    """Checkpoints signed before heads commitments stay valid but prove no completeness."""
    from infrastructure.merkle import root_coordinates
    from infrastructure.tamper.checkpoints import sign_and_store
    from infrastructure.tamper.errors import NoCheckpoint
    from infrastructure.tamper.event_rows import event_table
    from infrastructure.tamper.node_store import fetch_nodes

    key = SigningKey.generate(NAME)
    history(ledger)
    with ledger.write() as tx:
        size = event_table(tx).last_position(tx)
        sign_and_store(tx, key, size, fetch_nodes(tx, root_coordinates(size)))
    with pytest.raises(NoCheckpoint, match="predates heads commitments"):
        build_bundle(ledger, "polymeris")
    assert build_bundle(ledger, "polymeris", signer=key).bundle.head is not None
