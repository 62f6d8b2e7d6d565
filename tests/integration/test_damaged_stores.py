"""A damaged, foreign, truncated or read-only store is one line naming it, never a traceback;
a read-only ledger (file or PostgreSQL role) answers every read command."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eventsourcing.persistence import PersistenceError

from api.cli.main import cli
from infrastructure.composition import open_ledger
from infrastructure.history.seeding import seed_history
from infrastructure.tamper import SigningKey, make_checkpoint
from tests.conftest import POSTGRES_URL, fresh_store, postgres_admin_connection

COMMANDS = [
    ["status"],
    ["history", "polymeris"],
    ["stage", "4"],
    ["report"],
    ["verify"],
    ["token", "list"],
    ["export", "--out", "{out}/archive.gz"],
    ["backup", "--out", "{out}/copy.db"],
    ["db", "check"],
    ["seed"],
    ["rebuild"],
    ["token", "create", "--role", "admin", "--name", "dge"],
    ["serve", "--port", "0"],
]
READS = [
    ["status"],
    ["history", "polymeris"],
    ["verify"],
    ["bundle", "polymeris", "--out", "{out}/bundle.json"],
    ["token", "list"],
    ["export", "--out", "{out}/archive.gz"],
    ["backup", "--out", "{out}/copy.db"],
    ["db", "check"],
]
WRITES = [["seed"], ["token", "create", "--role", "admin", "--name", "dge"], ["rebuild"]]


def run(arguments: list[str], url: str, out: Path) -> Result:
    return CliRunner().invoke(cli, [*(a.format(out=out) for a in arguments), "--db", url])


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded SQLite ledger with a signed checkpoint, closed: every page in the file."""
    path = tmp_path_factory.mktemp("seeded") / "ledger.db"
    ledger = open_ledger(f"sqlite:///{path}")
    seed_history(ledger)
    make_checkpoint(ledger, SigningKey.generate())
    ledger.close()
    assert not path.with_name("ledger.db-wal").exists()
    return path


Damage = Callable[[Path, Path], None]
"""Turns a copy of the seeded file (first argument) into the damaged store (second)."""


def random_bytes(seeded: Path, store: Path) -> None:
    store.write_bytes(random.Random(1).randbytes(40_000))


def text(seeded: Path, store: Path) -> None:
    store.write_text("label-ledger\n")


def truncated(seeded: Path, store: Path) -> None:
    data = seeded.read_bytes()
    store.write_bytes(data[: len(data) // 2])


def header_zeroed(seeded: Path, store: Path) -> None:
    data = bytearray(seeded.read_bytes())
    data[:16] = bytes(16)
    store.write_bytes(bytes(data))


def schema_page_garbled(seeded: Path, store: Path) -> None:
    data = bytearray(seeded.read_bytes())
    data[100:4096] = random.Random(2).randbytes(3996)
    store.write_bytes(bytes(data))


def a_folder(seeded: Path, store: Path) -> None:
    store.mkdir()


def another_programs_database(seeded: Path, store: Path) -> None:
    with sqlite3.connect(store) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")


DAMAGES = {
    "not SQLite": (random_bytes, "is not a label-ledger store: it is not a SQLite database"),
    "a text file": (text, "is not a label-ledger store: it is not a SQLite database"),
    "truncated": (truncated, "is damaged: truncated: "),
    "header zeroed": (header_zeroed, "is not a label-ledger store: it is not a SQLite database"),
    "schema page garbled": (schema_page_garbled, "is damaged: database disk image is malformed"),
    "a folder": (a_folder, "is a folder, not a ledger file"),
    "another program's": (
        another_programs_database,
        "is not a label-ledger store: a SQLite database of tables customers",
    ),
}


@pytest.mark.parametrize("case", DAMAGES)
def test_every_command_on_a_damaged_or_foreign_file_is_one_line_naming_it(
    seeded_file: Path, tmp_path: Path, case: str
) -> None:
    damage, words = DAMAGES[case]
    store = tmp_path / "ledger.db"
    damage(seeded_file, store)
    for arguments in COMMANDS:
        result = run(arguments, f"sqlite:///{store}", tmp_path)
        assert result.exit_code == 1, (arguments, result.output)
        [line] = result.stderr.splitlines()
        assert line.startswith(f"label-ledger: error: {store} {words}"), (arguments, line)


def test_random_bytes_inside_the_pages_never_make_a_traceback(
    seeded_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.db"
    data = bytearray(seeded_file.read_bytes())
    start = len(data) // 3
    data[start : start + 20_000] = random.Random(3).randbytes(20_000)
    store.write_bytes(bytes(data))
    for arguments in COMMANDS[:-1]:
        result = run(arguments, f"sqlite:///{store}", tmp_path)
        assert "Traceback" not in result.output, arguments
        assert result.exit_code == 0 or len(result.stderr.splitlines()) == 1, arguments
    check = run(["db", "check"], f"sqlite:///{store}", tmp_path)
    assert "SQLite's integrity check fails" in check.stderr


def test_db_check_finds_an_event_retyped_to_text(seeded_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    shutil.copy(seeded_file, store)
    with sqlite3.connect(store) as connection:
        connection.execute("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE rowid = 5")
    check = run(["db", "check"], f"sqlite:///{store}", tmp_path)
    assert "the event at position 5 is not stored as bytes" in check.stderr
    exported = run(["export", "--out", "{out}/archive.gz"], f"sqlite:///{store}", tmp_path)
    assert exported.stderr.splitlines() == [
        f"label-ledger: error: {store}: the event at position 5 is stored as str, not as "
        "bytes: run label-ledger verify"
    ]


# --- read-only ------------------------------------------------------------------------


def test_a_read_opening_cannot_write_even_as_root(store_url: str) -> None:
    """Read commands open SQLite files ``mode=ro`` and PostgreSQL sessions read-only:
    the database itself refuses any write, whoever runs them."""
    open_ledger(store_url).close()
    ledger = open_ledger(store_url, "read")
    try:
        with (
            pytest.raises((sqlite3.OperationalError, PersistenceError), match=r"read-?only"),
            ledger.write() as tx,
        ):
            tx.execute(f"DELETE FROM {tx.table('merkle_nodes')}")
    finally:
        ledger.close()


def test_read_commands_leave_the_file_as_it_was(seeded_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    shutil.copy(seeded_file, store)
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    for arguments in READS:
        assert run(arguments, f"sqlite:///{store}", tmp_path).exit_code == 0, arguments
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before


@pytest.fixture
def read_only_copy(seeded_file: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the ledger, mode 0444 in a folder of mode 0555, and a folder for outputs,
    both outside pytest's private temporary folder so that an unprivileged user reaches them."""
    root = Path(tempfile.mkdtemp(prefix="label-ledger-ro-"))
    shelf, out = root / "shelf", root / "out"
    shelf.mkdir()
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    store = shelf / "ledger.db"
    shutil.copy(seeded_file, store)
    store.chmod(0o444)
    shelf.chmod(0o555)
    root.chmod(0o755)
    try:
        yield store, out
    finally:
        shelf.chmod(0o755)
        shutil.rmtree(root)


def as_unprivileged(work: Callable[[], object]) -> object:
    """Runs ``work`` as an ordinary user: in a child process as ``nobody`` when this one is
    root (root ignores file modes), else right here. The result crosses as JSON."""
    if os.geteuid() != 0:
        return work()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 0
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            payload = json.dumps({"result": work()}).encode()
        except BaseException as error:
            payload = json.dumps({"error": repr(error)}).encode()
            code = 1
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
        os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = json.loads(pipe.read() or b'{"error": "no answer"}')
    os.waitpid(child, 0)
    assert "error" not in answer, answer
    return answer["result"]


def test_a_read_only_ledger_answers_reads_and_refuses_writes_in_one_line(
    read_only_copy: tuple[Path, Path],
) -> None:
    store, out = read_only_copy
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    url = f"sqlite:///{store}"

    def commands() -> dict[str, object]:
        try:
            store.open("ab").close()
            writable = True
        except PermissionError:
            writable = False
        results = {
            " ".join(arguments): [result.exit_code, result.stderr]
            for arguments in READS + WRITES
            for result in [run(arguments, url, out)]
        }
        return {"writable": writable, "results": results}

    found = as_unprivileged(commands)
    assert isinstance(found, dict)
    assert found["writable"] is False, "the test needs a file this process may not write"
    results = found["results"]
    for arguments in READS:
        assert results[" ".join(arguments)][0] == 0, (arguments, results[" ".join(arguments)])
    for arguments in WRITES:
        code, stderr = results[" ".join(arguments)]
        assert code == 1
        assert stderr.splitlines() == [
            f"label-ledger: error: {store}: the file is read-only: this command writes "
            "(read commands work)"
        ]
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in store.parent.iterdir()) == ["ledger.db"]


@pytest.fixture
def seeded_schema(seeded_file: Path, tmp_path: Path) -> Iterator[str]:
    """The seeded ledger on PostgreSQL (loaded from the SQLite file's archive)."""
    with fresh_store("postgresql", tmp_path) as url:
        archive = str(tmp_path / "seeded.gz")
        source = f"sqlite:///{seeded_file}"
        assert run(["export", "--out", archive], source, tmp_path).exit_code == 0
        assert CliRunner().invoke(cli, ["import", archive, "--db", url]).exit_code == 0
        yield url


@contextmanager
def role_url(url: str, privileges: str) -> Iterator[str]:
    """The URL of a new role granted only ``privileges`` on the tables of ``url``'s schema."""
    role = f"role_{uuid.uuid4().hex[:12]}"
    schema = url.rsplit("schema=", 1)[1]
    with postgres_admin_connection() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        conn.execute(f'GRANT {privileges} ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
    try:
        base = POSTGRES_URL.replace("postgresql://postgres@", f"postgresql://{role}@")
        yield f"{base}?schema={schema}"
    finally:
        with postgres_admin_connection() as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def reader_url(seeded_schema: str) -> Iterator[str]:
    with role_url(seeded_schema, "SELECT") as url:
        yield url


@pytest.mark.postgres
def test_a_role_with_data_rights_only_writes_without_creating_tables(
    seeded_schema: str, tmp_path: Path
) -> None:
    with role_url(seeded_schema, "SELECT, INSERT, UPDATE, DELETE") as url:
        created = run(["token", "create", "--role", "auditor", "--name", "ccomptes"], url, tmp_path)
        assert created.exit_code == 0, created.output
        assert run(["db", "check"], url, tmp_path).output.splitlines()[-1] == "OK"
        rebuild = run(["rebuild"], url, tmp_path)
        [line] = rebuild.stderr.splitlines()
        assert "may not do this: must be owner of table" in line


@pytest.mark.postgres
def test_a_role_that_may_only_read_answers_reads_and_refuses_writes_in_one_line(
    reader_url: str, tmp_path: Path
) -> None:
    for arguments in [*READS[:-2], ["db", "check"]]:
        result = run(arguments, reader_url, tmp_path)
        assert result.exit_code == 0, (arguments, result.output)
    role = reader_url.split("//", 1)[1].split("@", 1)[0]
    for arguments in WRITES:
        result = run(arguments, reader_url, tmp_path)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"label-ledger: error: {reader_url}: role {role} may not write schema "
            f"{reader_url.rsplit('=', 1)[1]}: this command writes (read commands work)"
        ]


def test_a_ledger_this_user_may_not_read_is_one_line(read_only_copy: tuple[Path, Path]) -> None:
    store, out = read_only_copy
    hidden = out / "hidden.db"
    shutil.copy(store, hidden)
    hidden.chmod(0o000)

    def status() -> list[object]:
        result = run(["status"], f"sqlite:///{hidden}", out)
        return [result.exit_code, result.stderr]

    assert as_unprivileged(status) == [
        1,
        f"label-ledger: error: cannot read {hidden}: permission denied\n",
    ]
