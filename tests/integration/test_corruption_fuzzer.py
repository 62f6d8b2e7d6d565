"""A corruption fuzzer: a seeded SQLite ledger damaged at random, deterministically.

Each case copies the seeded file, applies one kind of damage (byte flips at random
offsets, truncation, a zeroed page, a value re-typed, a deleted row of some table), then
runs ``verify`` and a read command. Every run must end with a finding or one error line
and exit code 1 (or succeed where the damage touched nothing that matters), never a
traceback. The counts of outcomes are printed (``pytest -s``) for the report.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli.main import cli
from infrastructure.composition import open_ledger
from infrastructure.history.seeding import seed_history
from infrastructure.tamper import SigningKey, make_checkpoint

CASES = 240
PAGE = 4096
TABLES = (
    "stored_events",
    "merkle_nodes",
    "signed_checkpoints",
    "cluster_states",
    "cluster_facets",
    "cluster_reviews",
    "stage_states",
    "projection_tracking",
    "idempotency_keys",
)
READS: list[Callable[[Path], list[str]]] = [
    lambda _: ["status"],
    lambda _: ["history", "polymeris"],
    lambda _: ["stage", "5"],
    lambda _: ["report"],
    lambda folder: ["bundle", "polymeris", "--out", str(folder / "b.json")],
    lambda _: ["status", "polymeris"],
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "seeded.db"
    ledger = open_ledger(f"sqlite:///{path}")
    try:
        seed_history(ledger)
        make_checkpoint(ledger, SigningKey.generate("label-ledger.test/fuzz"))
    finally:
        ledger.close()
    return path


def flip_bytes(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))
    return "byte flips"


def truncate(path: Path, rng: random.Random) -> str:
    data = path.read_bytes()
    path.write_bytes(data[: rng.randrange(len(data))])
    return "truncation"


def zero_page(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    page = rng.randrange(len(data) // PAGE)
    data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
    path.write_bytes(bytes(data))
    return "zeroed page"


def retype(path: Path, rng: random.Random) -> str:
    table, column, value = rng.choice(
        [
            ("stored_events", "state", "'not json'"),
            ("stored_events", "state", "CAST(state AS TEXT)"),
            ("stored_events", "topic", "NULL"),
            ("stored_events", "originator_version", "'seven'"),
            ("merkle_nodes", "hash", "'text'"),
            ("signed_checkpoints", "tree_size", "'big'"),
            ("signed_checkpoints", "note", "x'00ff'"),
            ("cluster_states", "state", "'text'"),
            ("stage_states", "state", "42"),
            ("projection_tracking", "position", "'far'"),
            ("cluster_reviews", "version", "'v'"),
            ("idempotency_keys", "status", "'maybe'"),
        ]
    )
    with Sql(path) as conn:
        where, params = _where_random_row(conn, table, rng)
        conn.execute(f"UPDATE {table} SET {column} = {value} WHERE {where}", params)
    return f"re-typed {table}.{column}"


def delete_row(path: Path, rng: random.Random) -> str:
    table = rng.choice(TABLES)
    with Sql(path) as conn:
        where, params = _where_random_row(conn, table, rng)
        conn.execute(f"DELETE FROM {table} WHERE {where}", params)
    return f"deleted row of {table}"


DAMAGE = (flip_bytes, truncate, zero_page, retype, delete_row)


class Sql:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *_: object) -> None:
        self.conn.close()


def _where_random_row(
    conn: sqlite3.Connection, table: str, rng: random.Random
) -> tuple[str, tuple[object, ...]]:
    """A WHERE clause picking one random row (merkle_nodes has no rowid: by its key)."""
    key = "level, idx" if table == "merkle_nodes" else "rowid"
    rows = conn.execute(f"SELECT {key} FROM {table}").fetchall()
    if not rows:
        return "0", ()
    picked = tuple(rng.choice(rows))
    if table == "merkle_nodes":
        return "level = ? AND idx = ?", picked
    return "rowid = ?", picked


def test_no_damage_makes_verify_or_a_read_command_crash(pristine: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    for case in range(CASES):
        rng = random.Random(case)
        damaged = tmp_path / f"case-{case}.db"
        shutil.copyfile(pristine, damaged)
        what = DAMAGE[case % len(DAMAGE)](damaged, rng)
        url = f"sqlite:///{damaged}"
        for arguments in (["verify"], READS[case % len(READS)](tmp_path)):
            result = runner.invoke(cli, [*arguments, "--db", url])
            outcome = _judge(result)
            outcomes[f"{arguments[0]}: {outcome}"] += 1
            if outcome == "crash":
                crashes.append(f"case {case} ({what}) {arguments[0]}: {result.exception!r}")
        damaged.unlink()
    print(f"\n{CASES} damaged files:", dict(sorted(outcomes.items())))
    assert not crashes, "\n".join(crashes[:10])


def _judge(result: object) -> str:
    exception = getattr(result, "exception", None)
    output = str(getattr(result, "output", ""))
    code = getattr(result, "exit_code", None)
    if exception is not None and not isinstance(exception, SystemExit):
        return "crash"
    if "Traceback" in output:
        return "crash"
    if code == 0:
        return "ok"
    lines = [line for line in output.splitlines() if line.startswith("label-ledger: error:")]
    return "finding or error" if lines else "crash"


HTTP_CASES = 40


def test_verification_over_http_on_a_damaged_store_is_a_finding_or_a_503(
    pristine: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from api.http.app import create_app
    from tests.builders import issue

    with_token = tmp_path / "with-token.db"
    shutil.copyfile(pristine, with_token)
    ledger = open_ledger(f"sqlite:///{with_token}")
    try:
        secret = issue(ledger, "cc", "auditor")
    finally:
        ledger.close()
    statuses: Counter[str] = Counter()
    for case in range(HTTP_CASES):
        rng = random.Random(10_000 + case)
        damaged = tmp_path / f"http-{case}.db"
        shutil.copyfile(with_token, damaged)
        DAMAGE[case % len(DAMAGE)](damaged, rng)
        try:
            ledger = open_ledger(f"sqlite:///{damaged}")
        except Exception:  # opening damaged files is the store settings' concern
            statuses["does not open"] += 1
            continue
        try:
            with TestClient(create_app(ledger), raise_server_exceptions=False) as client:
                response = client.get(
                    "/ledger/verification", headers={"Authorization": f"Bearer {secret}"}
                )
        finally:
            ledger.close()
        assert response.status_code != 500, response.text
        found = response.json().get("ok") is False if response.status_code == 200 else None
        statuses[f"{response.status_code}{' finding' if found else ''}"] += 1
    print(f"\n{HTTP_CASES} damaged stores over HTTP:", dict(sorted(statuses.items())))
