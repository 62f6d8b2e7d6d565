"""Tamper evidence over HTTP: checkpoint and key for anyone; proofs and checks for auditors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from infrastructure.composition import open_ledger
from infrastructure.ledger import Ledger
from infrastructure.merkle import verify_consistency, verify_inclusion
from infrastructure.tamper import SigningKey, parse_checkpoint
from infrastructure.tamper.keys import write_key_pair
from tests.api.http_builders import bearer, labelled, post, registration
from tests.builders import issue

KEY = SigningKey.generate("label-ledger.test/api")


class Signed:
    """A ledger opened with a signing key, its client and an admin's and auditor's headers."""

    def __init__(self, ledger: Ledger, client: TestClient) -> None:
        self.ledger = ledger
        self.client = client
        self.admin = bearer(issue(ledger, "dge", "admin"))
        self.auditor = bearer(issue(ledger, "ccomptes", "auditor"))


@pytest.fixture
def signed(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Signed]:
    private, _ = write_key_pair(tmp_path / "ledger.key", KEY)
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(private))
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            yield Signed(ledger, client)
    finally:
        ledger.close()


@pytest.fixture
def closed(signed: Signed) -> Signed:
    """Stage 5 closed: the closure signs a checkpoint of the whole log."""
    labelled(signed.client, signed.admin)
    post(signed.client, "/stages/5/closure", {"closed_on": "2026-12-31"}, signed.admin)
    return signed


def test_the_latest_checkpoint_is_public(closed: Signed) -> None:
    response = closed.client.get("/ledger/checkpoint")
    assert response.status_code == 200
    checkpoint = response.json()
    assert checkpoint["tree_size"] == closed.ledger.last_position()
    signed = parse_checkpoint(checkpoint["note"])
    assert signed.is_signed_by(KEY.verifier)
    assert signed.checkpoint.root_hash.hex() == checkpoint["root_hash"]


def test_no_checkpoint_yet_is_a_404(signed: Signed) -> None:
    response = signed.client.get("/ledger/checkpoint")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/no-checkpoint"


def test_the_public_key_is_public(signed: Signed) -> None:
    response = signed.client.get("/ledger/public-key")
    assert response.status_code == 200
    assert response.json()["key_id"] == KEY.verifier.key_id.hex()


def test_a_ledger_without_key_has_no_public_key(client: TestClient) -> None:
    response = client.get("/ledger/public-key")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/no-signing-key"


def test_an_inclusion_proof_verifies_against_the_checkpoint_root(closed: Signed) -> None:
    size = closed.client.get("/ledger/checkpoint").json()["tree_size"]
    response = closed.client.get(
        f"/ledger/proofs/inclusion?position=3&tree_size={size}", headers=closed.auditor
    )
    assert response.status_code == 200
    proof = response.json()
    assert verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        2,
        size,
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(proof["root_hash"]),
    )


def test_a_consistency_proof_verifies(closed: Signed) -> None:
    size = closed.ledger.last_position()
    response = closed.client.get(
        f"/ledger/proofs/consistency?first=3&second={size}", headers=closed.auditor
    )
    proof = response.json()
    assert verify_consistency(
        3,
        size,
        bytes.fromhex(proof["first_root"]),
        bytes.fromhex(proof["second_root"]),
        [bytes.fromhex(h) for h in proof["path"]],
    )


@pytest.mark.parametrize(
    "query",
    [
        "/ledger/proofs/inclusion?position=99",
        "/ledger/proofs/inclusion?position=2&tree_size=999",
        "/ledger/proofs/consistency?first=5&second=2",
    ],
)
def test_a_proof_outside_the_log_is_a_422(closed: Signed, query: str) -> None:
    response = closed.client.get(query, headers=closed.auditor)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_the_verification_of_an_untouched_ledger_is_ok(closed: Signed) -> None:
    report = closed.client.get("/ledger/verification", headers=closed.auditor).json()
    assert report["ok"] is True
    assert report["tree_size"] == closed.ledger.last_position()
    assert report["signatures_checked"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/ledger/proofs/inclusion?position=1",
        "/ledger/proofs/consistency?first=1",
        "/ledger/verification",
    ],
)
def test_proofs_and_verification_are_for_auditors(closed: Signed, path: str) -> None:
    assert closed.client.get(path).status_code == 401


def test_the_public_key_is_published_from_the_pub_file_without_the_private_key(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, public = write_key_pair(tmp_path / "ledger.key", KEY)
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.setenv("LEDGER_PUBLIC_KEY", str(public))
    ledger = open_ledger(store_url)
    try:
        with TestClient(create_app(ledger)) as client:
            response = client.get("/ledger/public-key")
    finally:
        ledger.close()
    assert response.status_code == 200
    assert response.json()["verifier_key"] == KEY.verifier.text()


def test_every_signed_checkpoint_is_listed_oldest_first(closed: Signed) -> None:
    listed = closed.client.get("/ledger/checkpoints").json()
    assert [c["seq"] for c in listed] == list(range(1, len(listed) + 1))
    assert all(parse_checkpoint(c["note"]).is_signed_by(KEY.verifier) for c in listed)


def test_concurrent_verification_calls_share_one_run(closed: Signed) -> None:
    from concurrent.futures import ThreadPoolExecutor

    app = closed.client.app
    cache = app.state.verification_cache  # type: ignore[attr-defined]
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: closed.client.get("/ledger/verification", headers=closed.auditor),
                range(4),
            )
        )
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.json()["ok"] for a in answers)
    assert cache.runs == 1
    closed.client.get("/ledger/verification", headers=closed.auditor)
    assert cache.runs == 1  # kept for its tree size
    labelled_more = closed.ledger.last_position()
    post(closed.client, "/clusters", registration("nouveau-pole"), closed.admin)
    assert closed.ledger.last_position() > labelled_more
    closed.client.get("/ledger/verification", headers=closed.auditor)
    assert cache.runs == 2  # the log moved on: a new run


def test_a_cluster_bundle_over_http_is_the_clis_bundle(closed: Signed) -> None:
    from infrastructure.tamper import build_bundle, encode_bundle, verify_bundle

    response = closed.client.get("/clusters/aerospace-valley/bundle", headers=closed.auditor)
    assert response.status_code == 200
    assert response.content == encode_bundle(build_bundle(closed.ledger, "aerospace-valley").bundle)
    report = verify_bundle(response.content, KEY.verifier)
    assert report.complete
    assert closed.client.get("/clusters/aerospace-valley/bundle").status_code == 401
