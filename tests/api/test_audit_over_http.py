"""Auditing a real ``label-ledger serve`` over HTTP: the README's feed recipe and the audit
client's command, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.composition import open_ledger
from infrastructure.history.seeding import seed_history
from infrastructure.tamper import SigningKey, make_checkpoint
from infrastructure.tamper.keys import write_key_pair
from tests.api.live_server import EXECUTABLE, LiveServer
from tests.builders import issue
from tests.raw_store import RawStore

README = Path(__file__).resolve().parents[2] / "README.md"


class Audited:
    def __init__(self, store_url: str, folder: Path) -> None:
        self.store_url = store_url
        self.key = SigningKey.generate("label-ledger.test/http-audit")
        self.public_key = write_key_pair(folder / "ledger.key", self.key)[1]
        ledger = open_ledger(store_url)
        try:
            seed_history(ledger)
            self.token = issue(ledger, "ccomptes", "auditor")
            self.size = make_checkpoint(ledger, self.key).tree_size
        finally:
            ledger.close()
        self.server = LiveServer(store_url, folder / "serve.log")

    def audit(self, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXECUTABLE, "audit", self.server.base_url, "--public-key", str(self.public_key),
             *options],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env={"LEDGER_TOKEN": self.token, "PATH": "/usr/bin:/bin"},
        )


@pytest.fixture
def audited(store_url: str, tmp_path: Path) -> Iterator[Audited]:
    target = Audited(store_url, tmp_path)
    try:
        yield target
    finally:
        target.server.stop()


def readme_block(marker: str) -> str:
    text = README.read_text()
    found = re.search(re.escape(marker) + r"\n```python\n(.*?)```", text, re.DOTALL)
    assert found is not None, f"no python block after {marker} in the README"
    return found.group(1)


def test_the_readme_recipe_recomputes_the_root_from_the_feed_alone(audited: Audited) -> None:
    code = readme_block("<!-- feed-recipe -->")
    assert "import label" not in code
    assert "infrastructure" not in code
    namespace = {"API": audited.server.base_url, "TOKEN": audited.token}
    exec(compile(code, "README feed recipe", "exec"), namespace)
    assert len(namespace["leaves"]) >= audited.size  # type: ignore[arg-type]


def test_audit_passes_then_names_one_changed_byte(audited: Audited, tmp_path: Path) -> None:
    """The README's walkthrough: exit 0, one byte changed behind the server, exit 1 naming it."""
    state = tmp_path / "audit-state"
    first = audited.audit("--state", str(state))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("OK: ")
    assert f"tree size {audited.size}," in first.stdout
    raw = RawStore(audited.store_url)
    try:
        payload = raw.state(300)  # backdated by a century: one byte
        raw.set_state(300, payload.replace(b'"effective_on":"20', b'"effective_on":"19', 1))
    finally:
        raw.close()
    fresh = audited.audit()
    assert fresh.returncode == 1
    assert fresh.stderr.count("\n") == 1
    assert "audit failed at position 300: payload-altered" in fresh.stderr
    again = audited.audit("--state", str(state), "--recheck", str(audited.size))
    assert again.returncode == 1
    assert "audit failed at position 300: event-changed" in again.stderr
