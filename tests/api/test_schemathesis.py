"""Schemathesis against a live server's own OpenAPI schema, with an admin token.

Every operation is exercised (coverage, fuzzing and stateful phases, positive and
negative data); the run fails on any 5xx and on any response that does not match
the documented status codes, content types, headers and schemas, or that ignores
authentication. It is bounded (few examples per operation, a fixed seed) so that the
suite stays fast; run ``st run`` by hand with more examples to search further.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infrastructure.composition import open_ledger
from infrastructure.history.seeding import seed_history
from tests.api.live_server import LiveServer
from tests.builders import issue

SCHEMATHESIS = str(Path(sys.executable).with_name("st"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
    ]
)
MAX_EXAMPLES = "5"
NEVER_ENDING = ["/events/live"]
"""Streams that do not end while the server runs (tested by tests/api/test_live_feed.py)."""
SEED = "20261126"


def config(slugs: list[str], stages: list[int]) -> str:
    """Points a share of the generated slugs and stage numbers at what the seed recorded."""
    return "\n".join(
        [
            "[dictionaries.slugs]",
            f"values = {slugs!r}".replace("'", '"'),
            "[dictionaries.stages]",
            f"values = {stages!r}",
            "[parameters]",
            '"path.slug" = { dictionary = "slugs", probability = 0.7 }',
            '"path.number" = { dictionary = "stages", probability = 0.7 }',
            '"path.stage" = { dictionary = "stages", probability = 0.7 }',
            '"body.stage" = { dictionary = "stages", probability = 0.7 }',
            '"body.into" = { dictionary = "slugs", probability = 0.7 }',
            "",
        ]
    )


class Target:
    def __init__(self, server: LiveServer, token: str, config_file: Path) -> None:
        self.server = server
        self.token = token
        self.config_file = config_file


@pytest.fixture
def target(store_url: str, tmp_path: Path) -> Iterator[Target]:
    """A seeded ledger served live, an admin token and the run's configuration."""
    ledger = open_ledger(store_url)
    try:
        seed_history(ledger)
        token = issue(ledger, "fuzzer", "admin")
        config_file = tmp_path / "schemathesis.toml"
        config_file.write_text(config(ledger.cluster_slugs()[:12], ledger.stage_numbers()))
    finally:
        ledger.close()
    server = LiveServer(store_url, tmp_path / "serve.log")
    try:
        yield Target(server, token, config_file)
    finally:
        server.stop()


def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(target: Target) -> None:
    schema_url = f"{target.server.base_url}/openapi.json"
    paths = httpx.get(schema_url).json()["paths"]
    operations = sum(len(p) for path, p in paths.items() if path not in NEVER_ENDING)
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(target.config_file),
            "run",
            schema_url,
            "--checks",
            CHECKS,
            *(option for path in NEVER_ENDING for option in ("--exclude-path", path)),
            "--header",
            f"Authorization: Bearer {target.token}",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        cwd=target.config_file.parent,  # its cache directory stays out of the checkout
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert re.search(rf"Tested: {operations}\b", output), output[-3000:]
    assert target.token not in output
    log = target.server.log.read_text().splitlines()
    requests = [json.loads(line) for line in log if '"logger":"label_ledger.http"' in line]
    logged = [line["status"] for line in requests if "status" in line]
    assert len(logged) > 500
    assert [status for status in logged if status >= 500] == []
