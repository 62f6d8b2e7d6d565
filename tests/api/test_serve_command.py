"""``label-ledger serve`` refuses to start in one line when it cannot serve."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from api.cli.main import cli


def test_a_taken_port_is_one_line_and_a_failure(store_url: str) -> None:
    assert CliRunner().invoke(cli, ["db", "init", "--db", store_url]).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--db", store_url])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"label-ledger: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_an_unreachable_database_is_one_line_and_a_failure() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound but not listening: connections are refused
        url = f"postgresql://postgres@127.0.0.1:{port}/test"
        result = CliRunner().invoke(cli, ["serve", "--port", "0", "--db", url])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "cannot reach PostgreSQL" in result.stderr
