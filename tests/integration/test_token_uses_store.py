"""Store format 3 adds the tokens' last uses: a store of format 2 is read as it is, refused
to writers, and upgraded by ``db upgrade``, on both stores."""

from __future__ import annotations

from infrastructure.access.last_used import TABLE
from infrastructure.admin.layout import META_TABLE, STORE_FORMAT
from infrastructure.composition import open_ledger
from tests.builders import issue
from tests.integration.test_store_management import execute, one_error_line, run


def test_a_store_of_format_2_lists_tokens_and_is_upgraded_to_keep_their_uses(
    store_url: str,
) -> None:
    ledger = open_ledger(store_url)
    try:
        issue(ledger, "warehouse", "auditor")
    finally:
        ledger.close()
    execute(store_url, f"DROP TABLE {{schema}}{TABLE}")  # as written before format 3
    execute(store_url, f"UPDATE {{schema}}{META_TABLE} SET value = '2' WHERE key = 'format'")
    listed = run("token", "list", "--db", store_url)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines()[1].split("\t") == [
        "warehouse", "auditor", "active", "never", "never",
    ]
    refused = run("token", "rotate", "warehouse", "--db", store_url)
    assert "run label-ledger db upgrade" in one_error_line(refused)
    upgraded = run("db", "upgrade", "--db", store_url)
    assert f"from store format 2 to {STORE_FORMAT}" in upgraded.output
    assert TABLE in upgraded.output
    assert run("db", "check", "--db", store_url).exit_code == 0
    assert run("token", "rotate", "warehouse", "--db", store_url).exit_code == 0
