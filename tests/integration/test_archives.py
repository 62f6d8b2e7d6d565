"""``export`` → ``import`` moves a ledger between store kinds unchanged; a tampered archive is
refused at its first bad line and loads nothing; ``backup`` copies a live SQLite ledger."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result

from api.cli.main import cli
from infrastructure.composition import open_ledger
from infrastructure.history.seeding import seed_history
from infrastructure.tamper import SigningKey, make_checkpoint
from infrastructure.tamper.keys import write_key_pair
from tests.builders import issue
from tests.conftest import STORES, fresh_store, postgres_admin_connection

Lines = list[dict[str, object]]


class Source(msgspec.Struct, frozen=True):
    kind: str
    url: str
    archive: Path
    public_key: Path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def other(kind: str) -> str:
    return "postgresql" if kind == "sqlite" else "sqlite"


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """The sourced history with a token and two signed checkpoints, and its archive."""
    folder = tmp_path_factory.mktemp("source")
    key = SigningKey.generate("label-ledger.test/archives")
    _, public_key = write_key_pair(folder / "log.key", key)
    with fresh_store("sqlite", folder) as url:
        ledger = open_ledger(url)
        try:
            make_checkpoint(ledger, key)  # of the empty log: stands before every event
            seed_history(ledger)
            issue(ledger, "dge", "admin")
            make_checkpoint(ledger, key)
        finally:
            ledger.close()
        yield Source("sqlite", url, exported(url, folder), public_key)


@pytest.fixture(scope="module", params=STORES)
def source(
    request: pytest.FixtureRequest,
    sqlite_source: Source,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Source]:
    """That ledger on each store (on PostgreSQL, loaded from the SQLite one's archive)."""
    if request.param == "sqlite":
        yield sqlite_source
        return
    folder = tmp_path_factory.mktemp("postgres-source")
    with fresh_store("postgresql", folder) as url:
        loaded = run("import", str(sqlite_source.archive), "--db", url)
        assert loaded.exit_code == 0, loaded.output
        yield Source("postgresql", url, exported(url, folder), sqlite_source.public_key)


def exported(url: str, folder: Path) -> Path:
    result = run("export", "--out", str(folder / "ledger.gz"), "--db", url)
    assert result.exit_code == 0, result.output
    return folder / "ledger.gz"


@pytest.fixture
def target(source: Source, tmp_path: Path) -> Iterator[str]:
    """An empty store of the other kind than the source's."""
    with fresh_store(other(source.kind), tmp_path) as url:
        yield url


def read_lines(path: Path) -> Lines:
    with gzip.open(path, "rt") as handle:
        return [json.loads(line) for line in handle]


def write_lines(path: Path, lines: Lines) -> Path:
    with gzip.open(path, "wt") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def test_an_archive_moves_the_ledger_to_the_other_store_kind_unchanged(
    source: Source, target: str
) -> None:
    loaded = run(
        "import", str(source.archive), "--public-key", str(source.public_key), "--db", target
    )
    assert loaded.exit_code == 0, loaded.output
    assert "2 checkpoint(s)" in loaded.output
    assert "(signatures checked)" in loaded.output
    for command in (
        ["verify", "--public-key", str(source.public_key)],
        ["status", "--json"],
        ["history", "polymeris"],
        ["token", "list"],
        ["checkpoint", "--list"],
    ):
        before, after = run(*command, "--db", source.url), run(*command, "--db", target)
        assert (after.exit_code, after.output) == (before.exit_code, before.output), command
    assert (
        "2 checkpoint(s) consistent (signatures checked)"
        in run("verify", "--public-key", str(source.public_key), "--db", target).output
    )


def test_the_archive_holds_each_stored_event_with_its_leaf_and_the_checkpoints_in_place(
    source: Source,
) -> None:
    lines = read_lines(source.archive)
    header, body = lines[0], lines[1:]
    assert (header["kind"], header["format"], header["version"]) == (
        "header",
        "label-ledger-archive",
        1,
    )
    events = [line for line in body if line["kind"] == "event"]
    assert [e["position"] for e in events] == list(range(1, int(str(header["events"])) + 1))
    assert header["tree_size"] == len(events)
    assert body[0] == {"kind": "checkpoint", "seq": 1, "tree_size": 0, "note": body[0]["note"]}
    assert body[-1]["kind"] == "checkpoint"
    assert body[-1]["tree_size"] == len(events)
    assert header["origin"] == "label-ledger.test/archives"


Tampering = Callable[[Lines], tuple[Lines, int, str]]
"""Alters an archive's lines; gives the line number the import must name and its words."""


def payload_altered(lines: Lines) -> tuple[Lines, int, str]:
    event = dict(lines[10])
    payload = bytearray(msgspec.json.decode(json.dumps(event["payload"]), type=bytes))
    where = payload.index(b'"source":"') + len(b'"source":"')
    payload[where] ^= 0x20  # one letter of the evidence changes case
    event["payload"] = msgspec.json.decode(msgspec.json.encode(bytes(payload)))
    return [*lines[:10], event, *lines[11:]], 11, "does not give its leaf"


def leaf_input_altered(lines: Lines) -> tuple[Lines, int, str]:
    event = {**lines[20], "actor": "someone else"}
    return [*lines[:20], event, *lines[21:]], 21, "leaf inputs differ from its payload"


def line_removed(lines: Lines) -> tuple[Lines, int, str]:
    return [*lines[:30], *lines[31:]], 31, "where position 29 belongs"


def header_root_altered(lines: Lines) -> tuple[Lines, int, str]:
    header = {**lines[0], "root": "00" * 32}
    return [header, *lines[1:]], len(lines), "do not give the root the header announces"


def events_cut_off(lines: Lines) -> tuple[Lines, int, str]:
    return lines[:100], 100, "truncated"


def checkpoint_moved(lines: Lines) -> tuple[Lines, int, str]:
    return [lines[0], *lines[2:50], lines[1], *lines[50:]], 50, "checkpoint #1 of tree size 0"


@pytest.mark.parametrize(
    "tamper",
    [
        payload_altered,
        leaf_input_altered,
        line_removed,
        header_root_altered,
        events_cut_off,
        checkpoint_moved,
    ],
)
def test_a_tampered_archive_is_refused_at_its_first_bad_line_and_loads_nothing(
    source: Source, tmp_path: Path, tamper: Tampering
) -> None:
    lines, number, words = tamper(read_lines(source.archive))
    archive = write_lines(tmp_path / "tampered.gz", lines)
    with fresh_store(other(source.kind), tmp_path) as url:
        result = run("import", str(archive), "--db", url)
        assert result.exit_code == 1
        error = result.stderr.splitlines()[-1]
        assert error.startswith(f"label-ledger: error: {archive}, line {number}: "), error
        assert words in error
        assert error.endswith("nothing was imported")
        ledger = open_ledger(url, "read")
        try:
            assert ledger.last_position() == 0
        finally:
            ledger.close()


def test_a_checkpoint_signed_by_another_key_is_refused(
    source: Source, target: str, tmp_path: Path
) -> None:
    _, stranger = write_key_pair(tmp_path / "other.key", SigningKey.generate("someone.else"))
    result = run("import", str(source.archive), "--public-key", str(stranger), "--db", target)
    assert result.exit_code == 1
    assert "line 2: checkpoint #1 is not signed by someone.else" in result.stderr


def test_a_damaged_or_foreign_file_is_one_line(source: Source, target: str, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gz"
    cut.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    truncated = run("import", str(cut), "--db", target)
    assert "damaged or truncated" in truncated.stderr.splitlines()[-1]
    foreign = tmp_path / "notes.txt"
    foreign.write_text("hello\n")
    refused = run("import", str(foreign), "--db", target)
    assert refused.exit_code == 1
    assert len(refused.stderr.splitlines()) == 1


def test_import_refuses_a_store_that_holds_events(source: Source) -> None:
    result = run("import", str(source.archive), "--db", source.url)
    assert result.exit_code == 1
    assert "imported into an empty store only" in result.stderr


def test_export_never_overwrites_a_file(source: Source) -> None:
    before = source.archive.read_bytes()
    result = run("export", "--out", str(source.archive), "--db", source.url)
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert source.archive.read_bytes() == before


# --- backup --------------------------------------------------------------------------


def test_a_backup_copies_the_committed_ledger_while_a_writer_holds_a_transaction(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/live.db"
    ledger = open_ledger(url)
    seed_history(ledger)
    last = ledger.last_position()
    ledger.close()
    writer = sqlite3.connect(tmp_path / "live.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM merkle_nodes")  # never committed
        copied = run("backup", "--out", str(tmp_path / "copy.db"), "--db", url)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert copied.exit_code == 0, copied.output
    assert f": {last} events, root " in copied.output
    original = run("verify", "--db", url)
    copy = run("verify", "--db", f"sqlite:///{tmp_path}/copy.db")
    assert copy.exit_code == 0
    assert copy.output == original.output
    assert not (tmp_path / "copy.db-wal").exists()


def test_backup_never_overwrites_and_points_postgresql_to_pg_dump(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/live.db"
    open_ledger(url).close()
    (tmp_path / "taken.db").write_text("mine")
    refused = run("backup", "--out", str(tmp_path / "taken.db"), "--db", url)
    assert "already exists" in refused.stderr
    assert (tmp_path / "taken.db").read_text() == "mine"
    postgres = run("backup", "--out", str(tmp_path / "x"), "--db", "postgresql://u@h/db")
    assert postgres.exit_code == 1
    assert "pg_dump" in postgres.stderr


@pytest.mark.postgres
def test_a_postgresql_ledger_restored_by_pg_restore_verifies_as_it_was(
    sqlite_source: Source, tmp_path: Path
) -> None:
    """The README's PostgreSQL backup and restore: pg_dump of the schema, pg_restore, verify."""
    key = str(sqlite_source.public_key)
    with fresh_store("postgresql", tmp_path) as url:
        assert run("import", str(sqlite_source.archive), "--db", url).exit_code == 0
        before = run("verify", "--public-key", key, "--db", url)
        schema = url.rsplit("schema=", 1)[1]
        server = url.split("?", 1)[0]
        dump = tmp_path / "ledger.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}", server],
            check=True,
        )
        with postgres_admin_connection() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        subprocess.run(["pg_restore", f"--dbname={server}", str(dump)], check=True)
        after = run("verify", "--public-key", key, "--db", url)
    assert "2 checkpoint(s) consistent (signatures checked)" in before.output
    assert (after.exit_code, after.output) == (0, before.output)
