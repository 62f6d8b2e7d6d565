"""No token hash in any response an auditor (or anyone) can read: JSON, NDJSON, bundles,
problems and pages, in clear or inside a base64 payload."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.tamper import SigningKey
from infrastructure.tamper.keys import write_key_pair
from tests.api.http_builders import MEMBERSHIP, bearer, labelled, post
from tests.builders import issue

KEY = SigningKey.generate("label-ledger.test/hashes")
AUDITOR_READS = [
    "/events?limit=10000",
    "/events/stream",
    "/clusters/aerospace-valley/history",
    "/clusters/aerospace-valley/bundle",
    "/clusters/aerospace-valley/status",
    "/compliance/5",
    "/ledger/verification",
    "/ledger/proofs/inclusion?position=1",
    "/ledger/proofs/consistency?first=1",
]
PUBLIC_READS = [
    "/clusters",
    "/clusters/aerospace-valley",
    "/stages",
    "/stages/5",
    "/reports/summary",
    "/reports/summary.csv",
    "/ledger/checkpoint",
    "/ledger/checkpoints",
    "/ledger/public-key",
    "/healthz",
    "/",
    "/ui/clusters/aerospace-valley",
    "/ui/stages/5",
]
AUDITOR_PAGES = [
    "/ui/audit",
    "/ui/audit/clusters/aerospace-valley",
    "/ui/audit/compliance/5",
    "/ui/audit/verification",
]


class Audited(msgspec.Struct, frozen=True):
    client: TestClient
    ledger: Ledger
    auditor_secret: str
    hashes: list[str]


@pytest.fixture
def audited(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Audited]:
    """A signed ledger with tokens issued and revoked among certification events."""
    private, _ = write_key_pair(tmp_path / "ledger.key", KEY)
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(private))
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            admin = bearer(issue(ledger, "dge", "admin"))
            auditor_secret = issue(ledger, "ccomptes", "auditor")
            labelled(client, admin)
            issue(ledger, "region", "admin")
            post(client, "/clusters/aerospace-valley/membership-reports", MEMBERSHIP, admin)
            post(client, "/stages/5/closure", {"closed_on": "2026-12-31"}, admin)
            ledger.refresh_tokens()
            hashes = [token.token_hash for token in ledger.tokens.tokens()]
            yield Audited(client, ledger, auditor_secret, hashes)
    finally:
        ledger.close()


def revealed(body: bytes, hashes: list[str]) -> list[str]:
    """The hashes a body shows, in clear or in any base64 string it carries."""
    texts = [body, *(_decoded(s) for s in _strings(body))]
    return [h for h in hashes if any(h.encode() in text for text in texts)]


def _strings(body: bytes) -> list[str]:
    found: list[str] = []
    for line in body.splitlines() or [body]:
        try:
            _collect(msgspec.json.decode(line), found)
        except msgspec.DecodeError:
            continue  # a page or a CSV: only its clear text is searched
    return found


def _collect(value: object, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def test_the_check_finds_a_hash_inside_a_base64_payload() -> None:
    payload = base64.b64encode(b'{"token_hash":"ab12"}').decode()
    assert revealed(msgspec.json.encode({"payload": payload}), ["ab12"]) == ["ab12"]


def test_no_auditor_read_shows_a_token_hash(audited: Audited) -> None:
    auditor = bearer(audited.auditor_secret)
    for path in AUDITOR_READS:
        response = audited.client.get(path, headers=auditor)
        assert response.status_code == 200, (path, response.text)
        assert revealed(response.content, audited.hashes) == [], path


def test_no_public_read_shows_a_token_hash(audited: Audited) -> None:
    for path in PUBLIC_READS:
        response = audited.client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert revealed(response.content, audited.hashes) == [], path


def test_no_auditor_page_shows_a_token_hash(audited: Audited) -> None:
    cookie = {"Cookie": f"ledger_session={audited.auditor_secret}"}
    for path in AUDITOR_PAGES:
        response = audited.client.get(path, headers=cookie, follow_redirects=False)
        assert response.status_code == 200, (path, response.text)
        assert revealed(response.content, audited.hashes) == [], path


def test_no_refusal_shows_a_token_hash(audited: Audited) -> None:
    auditor = bearer(audited.auditor_secret)
    refusals = [
        audited.client.post("/clusters/aerospace-valley/renaming", json={}, headers=auditor),
        audited.client.get("/events", headers=bearer("llt_wrong")),
        audited.client.get("/problems"),
    ]
    for response in refusals:
        assert revealed(response.content, audited.hashes) == []
