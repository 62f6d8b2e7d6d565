"""Signed checkpoints: keys, the C2SP note, stage closures, consistency, auditors' checkpoints."""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.cli.main import cli
from domain.commands import CloseStage
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.merkle import root_coordinates
from infrastructure.projections import rebuild_projections
from infrastructure.tamper import (
    SigningKey,
    latest_checkpoint,
    list_checkpoints,
    make_checkpoint,
    parse_checkpoint,
    public_key_info,
    verify_ledger,
)
from infrastructure.tamper.errors import (
    InconsistentCheckpoint,
    InvalidCheckpoint,
    SigningKeyError,
)
from infrastructure.tamper.keys import load_verifier_key, parse_signing_key, parse_verifier_key
from infrastructure.tamper.notes import Checkpoint, sign_checkpoint
from tests.builders import grant_stage_4, open_stage_4, register, run

NAME = "label-ledger.test/poles"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "ledger.key"
    path.parent.mkdir()
    result = CliRunner().invoke(cli, ["keygen", "--out", str(path), "--name", NAME])
    assert result.exit_code == 0, result.output
    return path


@contextmanager
def behind_the_back(store_url: str) -> Iterator[Any]:
    """Runs raw SQL on the ledger's database; yields run(statement_with_{tables}, params)."""
    parsed = urlparse(store_url)
    if parsed.scheme == "sqlite":
        conn: Any = sqlite3.connect(parsed.path[1:], isolation_level=None)
        names = {"events": "stored_events", "position": "rowid", "prefix": ""}
    else:
        schema = parse_qs(parsed.query)["schema"][0]
        conn = psycopg.connect(store_url.partition("?")[0], autocommit=True)
        names = {"events": f'"{schema}".ledger_events', "position": "notification_id"}
        names["prefix"] = f'"{schema}".'

    def run(statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = statement.format(**names)
        cursor = conn.execute(sql if parsed.scheme == "sqlite" else sql.replace("?", "%s"), params)
        return list(cursor.fetchall()) if cursor.description else []

    try:
        yield run
    finally:
        conn.close()


def restore_backup_taken_at(store_url: str, size: int) -> None:
    """What restoring a backup of the ledger taken when it had ``size`` events leaves."""
    with behind_the_back(store_url) as run:
        run("DELETE FROM {events} WHERE {position} > ?", (size,))
        run("DELETE FROM {prefix}signed_checkpoints WHERE tree_size > ?", (size,))
        for level, index in run("SELECT level, idx FROM {prefix}merkle_nodes"):
            if (index + 1) << level > size:
                run("DELETE FROM {prefix}merkle_nodes WHERE level = ? AND idx = ?", (level, index))


def history_with_closed_stage(ledger: Ledger) -> None:
    open_stage_4(ledger)
    for slug in ("aerospace-valley", "polymeris", "minalogic"):
        register(ledger, slug)
        grant_stage_4(ledger, slug)
    run(ledger, CloseStage(number=4, closed_on=date(2022, 12, 31)))


# --- keys and notes (pure) --------------------------------------------------


def test_keygen_writes_a_private_key_file_and_prints_the_public_key(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    result = CliRunner().invoke(cli, ["keygen", "--out", str(path), "--name", NAME])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith(f"PRIVATE+KEY+{NAME}+")
    public = (tmp_path / "ledger.key.pub").read_text().strip()
    assert public in result.output
    again = CliRunner().invoke(cli, ["keygen", "--out", str(path)])
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output


def test_keys_use_the_signed_note_formats_and_key_ids() -> None:
    """Verifier key = name+id+base64(0x01||key), id = SHA-256(name\\n0x01||key)[:4]."""
    key = SigningKey.generate(NAME)
    name, key_id, encoded = key.verifier.text().split("+", 2)
    raw = base64.b64decode(encoded)
    assert (name, len(raw), raw[0]) == (NAME, 33, 1)
    assert key_id == sha256(NAME.encode() + b"\n" + raw).digest()[:4].hex()
    assert parse_signing_key(key.text()).key_id == key.key_id
    assert parse_verifier_key(key.verifier.text()).public_key == key.verifier.public_key


@pytest.mark.parametrize(
    "text",
    ["", "just-a-name", f"{NAME}+00000000+AAAA", f"{NAME}+deadbeef+" + "A" * 44, "a b+00+AA"],
)
def test_malformed_keys_are_named_errors(text: str) -> None:
    with pytest.raises(SigningKeyError):
        parse_verifier_key(text)


def test_a_checkpoint_is_a_c2sp_signed_note() -> None:
    key = SigningKey.generate(NAME)
    root = sha256(b"root").digest()
    checkpoint = Checkpoint(
        origin=NAME, tree_size=406, root_hash=root, timestamp="2026-01-01T00:00:00.000000Z"
    )
    note = sign_checkpoint(checkpoint, key).note
    body, signature_line = note.split("\n\n")
    assert body.split("\n") == [
        NAME,
        "406",
        base64.b64encode(root).decode(),
        "timestamp 2026-01-01T00:00:00.000000Z",
    ]
    dash, name, encoded = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", NAME)
    raw = base64.b64decode(encoded)
    assert raw[:4] == key.key_id
    Ed25519PublicKey.from_public_bytes(key.verifier.public_key).verify(
        raw[4:], (body + "\n").encode()
    )
    parsed = parse_checkpoint(note)
    assert parsed.checkpoint == checkpoint
    assert parsed.is_signed_by(key.verifier)
    assert not parsed.is_signed_by(SigningKey.generate(NAME).verifier)


@pytest.mark.parametrize(
    "damage",
    [
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.replace("406", "4o6"),
        lambda n: n.replace("timestamp t\n", "timestamp t\ntimestamp t\n"),
        lambda n: n.replace("timestamp t\n", "timestamp t\n\x07bell\n"),
        lambda n: n.replace("\u2014", "-"),
        lambda n: n.replace("=\n", "\n", 1),
    ],
)
def test_malformed_checkpoint_notes_are_rejected(damage: Any) -> None:
    key = SigningKey.generate(NAME)
    checkpoint = Checkpoint(origin=NAME, tree_size=406, root_hash=bytes(32), timestamp="t")
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint(damage(sign_checkpoint(checkpoint, key).note))


# --- checkpoints in the ledger ------------------------------------------------


def test_closing_a_stage_signs_a_checkpoint_in_the_same_transaction(
    store_url: str, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(key_file))
    ledger = open_ledger(store_url)
    try:
        history_with_closed_stage(ledger)
        closed_at = ledger.last_position()
        register(ledger, "cap-digital")
        checkpoints = list_checkpoints(ledger)
        assert [(c.seq, c.tree_size) for c in checkpoints] == [(1, closed_at)]
        assert checkpoints[0].origin == NAME
        report = verify_ledger(ledger)
        assert report.ok
        assert report.signatures_checked
        assert report.checkpoints_checked == 1
    finally:
        ledger.close()


def test_without_a_signing_key_closing_a_stage_signs_nothing_and_verify_still_checks(
    ledger: Ledger,
) -> None:
    history_with_closed_stage(ledger)
    assert list_checkpoints(ledger) == []
    assert latest_checkpoint(ledger) is None
    report = verify_ledger(ledger)
    assert report.ok
    assert not report.signatures_checked
    assert report.tree_size == ledger.last_position()


def test_an_unreadable_configured_key_fails_loudly_when_the_ledger_opens(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(tmp_path / "missing.key"))
    with pytest.raises(SigningKeyError, match="not found"):
        open_ledger(store_url)


def test_a_checkpoint_lists_and_serves_what_it_signed(ledger: Ledger) -> None:
    key = SigningKey.generate(NAME)
    register(ledger, "polymeris")
    first = make_checkpoint(ledger, key)
    register(ledger, "minalogic")
    second = make_checkpoint(ledger, key)
    assert [c.tree_size for c in list_checkpoints(ledger)] == [1, 2]
    assert latest_checkpoint(ledger) == second
    signed = parse_checkpoint(first.note)
    assert signed.is_signed_by(key.verifier)
    assert signed.checkpoint.root_hash.hex() == first.root_hash
    info = public_key_info(key)
    assert (info.name, info.key_id, info.algorithm) == (NAME, key.key_id.hex(), "Ed25519")
    assert load_verifier_key(info.verifier_key).public_key == key.verifier.public_key


def test_the_log_refuses_to_sign_a_checkpoint_inconsistent_with_an_earlier_one(
    ledger: Ledger, store_url: str
) -> None:
    key = SigningKey.generate(NAME)
    for slug in ("aerospace-valley", "polymeris", "minalogic"):
        register(ledger, slug)
    make_checkpoint(ledger, key)
    register(ledger, "vitagora")
    level, index = root_coordinates(3)[0]
    with behind_the_back(store_url) as run:
        run(
            "UPDATE {prefix}merkle_nodes SET hash = ? WHERE level = ? AND idx = ?",
            (bytes(32), level, index),
        )
    with pytest.raises(InconsistentCheckpoint, match="rewritten"):
        make_checkpoint(ledger, key)
    assert len(list_checkpoints(ledger)) == 1


def test_a_stage_closure_on_a_rewritten_log_is_refused_whole(
    store_url: str, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closure's checkpoint would contradict the earlier one: nothing is written."""
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(key_file))
    ledger = open_ledger(store_url)
    try:
        open_stage_4(ledger)
        register(ledger, "polymeris")
        make_checkpoint(ledger, parse_signing_key(key_file.read_text()))
        with behind_the_back(store_url) as tamper:
            tamper(
                "UPDATE {prefix}merkle_nodes SET hash = ? WHERE level = 1 AND idx = 0", (bytes(32),)
            )
        with pytest.raises(InconsistentCheckpoint):
            run(ledger, CloseStage(number=4, closed_on=date(2022, 12, 31)))
        assert ledger.last_position() == 2
        assert len(list_checkpoints(ledger)) == 1
    finally:
        ledger.close()


def test_a_truncated_log_cannot_be_checkpointed(ledger: Ledger, store_url: str) -> None:
    key = SigningKey.generate(NAME)
    for slug in ("aerospace-valley", "polymeris", "minalogic"):
        register(ledger, slug)
    make_checkpoint(ledger, key)
    with behind_the_back(store_url) as run:
        run("DELETE FROM {events} WHERE {position} = 3")
        run("DELETE FROM {prefix}merkle_nodes WHERE level = 0 AND idx = 2")
    with pytest.raises(InconsistentCheckpoint, match="truncated"):
        make_checkpoint(ledger, key)


# --- the CLI and auditors' saved checkpoints ----------------------------------


def test_cli_checkpoint_prints_saves_and_lists(
    store_url: str, key_file: Path, tmp_path: Path
) -> None:
    ledger = open_ledger(store_url)
    try:
        register(ledger, "polymeris")
    finally:
        ledger.close()
    runner = CliRunner()
    saved = tmp_path / "auditor.checkpoint"
    made = runner.invoke(
        cli, ["checkpoint", "--db", store_url, "--key", str(key_file), "--out", str(saved)]
    )
    assert made.exit_code == 0, made.output
    assert made.output == saved.read_text()
    assert parse_checkpoint(saved.read_text()).checkpoint.tree_size == 1
    listed = runner.invoke(cli, ["checkpoint", "--list", "--db", store_url])
    assert listed.exit_code == 0
    assert listed.output.startswith("#1    size 1 ")


def test_cli_checkpoint_without_a_key_is_one_line_and_exit_1(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    assert CliRunner().invoke(cli, ["db", "init", "--db", store_url]).exit_code == 0
    result = CliRunner().invoke(cli, ["checkpoint", "--db", store_url])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "label-ledger keygen" in result.output


def test_verify_proves_the_log_extends_an_auditors_saved_checkpoint(
    store_url: str, key_file: Path, tmp_path: Path
) -> None:
    ledger = open_ledger(store_url)
    try:
        history_with_closed_stage(ledger)
        saved = tmp_path / "auditor.checkpoint"
        saved.write_text(make_checkpoint(ledger, parse_signing_key(key_file.read_text())).note)
        register(ledger, "cap-digital")
        size = ledger.last_position()
    finally:
        ledger.close()
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            "--db",
            store_url,
            "--since-checkpoint",
            str(saved),
            "--public-key",
            f"{key_file}.pub",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"tree size {size}," in result.output
    assert f"extends your checkpoint of size {size - 1}" in result.output


def test_a_rolled_back_database_fails_an_auditors_checkpoint_loudly(
    store_url: str, key_file: Path, tmp_path: Path
) -> None:
    key = parse_signing_key(key_file.read_text())
    ledger = open_ledger(store_url)
    try:
        history_with_closed_stage(ledger)
        backup_size = ledger.last_position()
        register(ledger, "cap-digital")
        register(ledger, "vitagora")
        saved = tmp_path / "auditor.checkpoint"
        saved.write_text(make_checkpoint(ledger, key).note)
        restore_backup_taken_at(store_url, backup_size)
        rebuild_projections(ledger, verify=False)
        arguments = [
            "verify",
            "--db",
            store_url,
            "--since-checkpoint",
            str(saved),
            "--key",
            str(key_file),
        ]
        rolled_back = CliRunner().invoke(cli, arguments)
        assert rolled_back.exit_code == 1
        assert f"at position {backup_size + 1}: log-truncated" in rolled_back.output
        assert "rolled back" in rolled_back.output
        register(ledger, "axelera")
        register(ledger, "minalogic-2")
        diverged = CliRunner().invoke(cli, arguments)
        assert diverged.exit_code == 1
        assert f"at position {backup_size + 1}: log-truncated" in diverged.output
        assert "your saved checkpoint" in diverged.output
    finally:
        ledger.close()


def test_an_auditors_checkpoint_signed_by_another_key_is_named_forged(ledger: Ledger) -> None:
    register(ledger, "polymeris")
    genuine = SigningKey.generate(NAME)
    stored = parse_checkpoint(make_checkpoint(ledger, genuine).note)
    impostor_note = sign_checkpoint(stored.checkpoint, SigningKey.generate(NAME)).note
    report = verify_ledger(
        ledger, public_key=genuine.verifier, since=parse_checkpoint(impostor_note)
    )
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (1, "checkpoint-forged")
    assert "your saved checkpoint" in report.problem.detail


# --- C2SP strictness --------------------------------------------------------------


def test_a_plain_c2sp_checkpoint_without_extension_lines_parses() -> None:
    key = SigningKey.generate(NAME)
    plain = Checkpoint(origin=NAME, tree_size=7, root_hash=sha256(b"r").digest())
    note = sign_checkpoint(plain, key).note
    assert note.count("\n") == 5  # origin, size, root, blank line, signature
    parsed = parse_checkpoint(note)
    assert parsed.checkpoint == plain
    assert parsed.checkpoint.timestamp is None
    assert parsed.is_signed_by(key.verifier)


def test_unknown_extension_lines_are_kept_and_covered_by_the_signature() -> None:
    key = SigningKey.generate(NAME)
    checkpoint = Checkpoint(
        origin=NAME,
        tree_size=7,
        root_hash=sha256(b"r").digest(),
        timestamp="2026-01-01T00:00:00.000000Z",
        other_extensions=("witness-hint example.org/w",),
    )
    parsed = parse_checkpoint(sign_checkpoint(checkpoint, key).note)
    assert parsed.checkpoint == checkpoint
    assert parsed.is_signed_by(key.verifier)
    edited = sign_checkpoint(checkpoint, key).note.replace("example.org", "example.net")
    assert not parse_checkpoint(edited).is_signed_by(key.verifier)


def test_a_note_with_a_good_and_a_bad_signature_by_the_logs_key_is_rejected(
    ledger: Ledger, tmp_path: Path
) -> None:
    key = SigningKey.generate(NAME)
    register(ledger, "polymeris")
    note = make_checkpoint(ledger, key).note
    good = note.rstrip("\n").split("\n")[-1]
    name, encoded = good.removeprefix("\u2014 ").split(" ")
    raw = base64.b64decode(encoded)
    bad_signature = raw[:4] + bytes(64)
    bad = f"\u2014 {name} {base64.b64encode(bad_signature).decode()}"
    doubled = note + bad + "\n"
    assert not parse_checkpoint(doubled).is_signed_by(key.verifier)
    saved = tmp_path / "doubled.note"
    saved.write_text(doubled)
    public = tmp_path / "log.pub"
    public.write_text(key.verifier.text())
    result = CliRunner().invoke(
        cli,
        ["verify", "--since-checkpoint", str(saved), "--public-key", str(public),
         "--db", _url_of(ledger)],
    )
    assert result.exit_code == 1
    assert "checkpoint-forged" in result.output


@pytest.mark.parametrize("name", ["bell\x07log", "tab\tlog", "new\nline", "del\x7flog", "a+b", ""])
def test_keygen_refuses_a_name_with_control_characters_spaces_or_plus(
    name: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k"), "--name", name])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "invalid key name" in result.output
    assert not (tmp_path / "k").exists()


def _url_of(ledger: Ledger) -> str:
    env = ledger.settings.env
    if ledger.settings.dialect == "sqlite":
        return f"sqlite:///{env['SQLITE_DBNAME']}"
    return (
        f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/"
        f"{env['POSTGRES_DBNAME']}?schema={env['POSTGRES_SCHEMA']}"
    )
