"""Authentication hygiene: one Authorization header, and guessing tokens is throttled per
address (429 with Retry-After) on the commands, the auditors' reads and the web login."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http import auth_throttle
from api.http.auth_throttle import FAILURE_BURST, FailedAuthentications
from api.http.problems import HttpProblem
from infrastructure.ledger import Ledger
from tests.api.http_builders import MEMBERSHIP, bearer, labelled
from tests.builders import issue

REPORT = "/clusters/aerospace-valley/membership-reports"
WRONG = bearer("llt_not-a-token")


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: FastAPI) -> FrozenClock:
    """Stops the server's failure buckets from refilling while a test floods them."""
    frozen = FrozenClock()
    app.state.failed_authentications.clock = frozen
    return frozen


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str]) -> TestClient:
    labelled(client, admin)
    return client


@pytest.fixture
def elsewhere(app: FastAPI) -> Iterator[TestClient]:
    """A client at another address."""
    with TestClient(app, client=("192.0.2.7", 40000)) as other:
        yield other


# --- the bucket ----------------------------------------------------------------------


def test_an_address_may_fail_a_burst_then_waits_for_its_allowance_to_refill() -> None:
    clock = FrozenClock()
    failures = FailedAuthentications(rate=10, burst=50, clock=clock)
    for _ in range(50):
        failures.check("198.51.100.1")
        failures.failed("198.51.100.1")
    with pytest.raises(HttpProblem) as refused:
        failures.check("198.51.100.1")
    assert refused.value.kind.status == 429
    assert refused.value.headers == {"Retry-After": "1"}
    clock.now += 0.1
    failures.check("198.51.100.1")  # one failure refilled
    failures.failed("198.51.100.1")
    assert failures.wait("198.51.100.1") == pytest.approx(0.1)


def test_other_addresses_keep_their_whole_allowance() -> None:
    failures = FailedAuthentications(rate=10, burst=3, clock=FrozenClock())
    for _ in range(3):
        failures.failed("198.51.100.1")
    assert failures.wait("198.51.100.1") > 0
    assert failures.wait("198.51.100.2") == 0


def test_a_full_allowance_is_never_exceeded_by_waiting() -> None:
    clock = FrozenClock()
    failures = FailedAuthentications(rate=10, burst=5, clock=clock)
    failures.failed("198.51.100.1")
    clock.now += 3600
    for _ in range(5):
        failures.failed("198.51.100.1")
    assert failures.wait("198.51.100.1") > 0


def test_the_addresses_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_throttle, "TRACKED_ADDRESSES", 100)
    failures = FailedAuthentications(rate=10, burst=1, clock=FrozenClock())
    for host in range(1000):
        failures.failed(f"10.0.{host // 256}.{host % 256}")
    assert failures.wait("10.0.3.231") > 0  # the most recent is remembered
    assert failures.wait("10.0.0.0") == 0  # the oldest were forgotten


# --- two Authorization headers --------------------------------------------------------


@pytest.mark.parametrize("valid_first", [True, False], ids=["valid-first", "valid-second"])
def test_a_command_with_two_authorization_headers_is_a_400_and_appends_nothing(
    setup: TestClient, ledger: Ledger, admin: dict[str, str], valid_first: bool
) -> None:
    tokens = [admin["Authorization"], WRONG["Authorization"]]
    if not valid_first:
        tokens.reverse()
    before = ledger.last_position()
    headers = [("Authorization", token) for token in tokens]
    response = setup.post(REPORT, json=MEMBERSHIP, headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "send one Authorization header, not several"
    assert ledger.last_position() == before


@pytest.mark.parametrize("valid_first", [True, False], ids=["valid-first", "valid-second"])
def test_an_auditor_read_with_two_authorization_headers_is_a_400(
    setup: TestClient, auditor: dict[str, str], valid_first: bool
) -> None:
    tokens = [auditor["Authorization"], WRONG["Authorization"]]
    if not valid_first:
        tokens.reverse()
    headers = [("Authorization", token) for token in tokens]
    response = setup.get("/clusters/aerospace-valley/history", headers=headers)
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-header"


# --- guessing tokens -------------------------------------------------------------------


def flood(client: TestClient, method: str, path: str, count: int) -> list[int]:
    body = MEMBERSHIP if method == "POST" else None
    return [
        client.request(method, path, json=body, headers=WRONG).status_code for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", REPORT), ("GET", "/clusters/aerospace-valley/history"), ("GET", "/events")],
    ids=["command", "history", "feed"],
)
def test_unknown_tokens_beyond_the_burst_are_a_429_with_retry_after(
    setup: TestClient, clock: FrozenClock, method: str, path: str
) -> None:
    statuses = flood(setup, method, path, FAILURE_BURST + 5)
    assert statuses == [401] * FAILURE_BURST + [429] * 5
    refused = setup.request(method, path, headers=WRONG)
    assert refused.json()["type"] == "/problems/too-many-failed-authentications"
    assert refused.headers["retry-after"] == "1"
    clock.now += 0.1
    assert setup.request(method, path, json=MEMBERSHIP, headers=WRONG).status_code == 401


def test_a_throttled_address_is_refused_even_its_right_token_so_guesses_learn_nothing(
    setup: TestClient, clock: FrozenClock, admin: dict[str, str], ledger: Ledger
) -> None:
    flood(setup, "POST", REPORT, FAILURE_BURST)
    before = ledger.last_position()
    assert setup.post(REPORT, json=MEMBERSHIP, headers=admin).status_code == 429
    assert ledger.last_position() == before


def test_the_command_gateway_and_the_reads_share_one_allowance(
    setup: TestClient, clock: FrozenClock
) -> None:
    flood(setup, "POST", REPORT, FAILURE_BURST // 2)
    flood(setup, "GET", "/events", FAILURE_BURST - FAILURE_BURST // 2)
    assert setup.get("/events", headers=WRONG).status_code == 429


def test_valid_tokens_spend_nothing(
    setup: TestClient, clock: FrozenClock, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    for _ in range(3 * FAILURE_BURST):
        assert setup.get("/events?limit=1", headers=auditor).status_code == 200
    assert setup.post(REPORT, json=MEMBERSHIP, headers=admin).status_code == 201
    assert flood(setup, "GET", "/events", FAILURE_BURST) == [401] * FAILURE_BURST


def test_a_missing_token_is_no_guess(setup: TestClient, clock: FrozenClock) -> None:
    for _ in range(FAILURE_BURST + 5):
        assert setup.get("/events").status_code == 401
    assert setup.get("/events", headers=WRONG).status_code == 401


def test_a_revoked_token_counts_as_a_failed_authentication(
    setup: TestClient, clock: FrozenClock, ledger: Ledger
) -> None:
    from domain.commands import RevokeToken
    from tests.builders import run

    revoked = bearer(issue(ledger, "former", "auditor"))
    run(ledger, RevokeToken(name="former"))
    statuses = [setup.get("/events", headers=revoked).status_code for _ in range(FAILURE_BURST)]
    assert statuses == [401] * FAILURE_BURST
    assert setup.get("/events", headers=revoked).status_code == 429


def test_another_address_is_not_throttled_by_a_guesser(
    setup: TestClient, clock: FrozenClock, elsewhere: TestClient, admin: dict[str, str]
) -> None:
    flood(setup, "POST", REPORT, FAILURE_BURST + 1)
    assert elsewhere.post(REPORT, json=MEMBERSHIP, headers=admin).status_code == 201


def test_public_reads_are_never_throttled(setup: TestClient, clock: FrozenClock) -> None:
    flood(setup, "GET", "/events", FAILURE_BURST + 1)
    assert setup.get("/clusters/aerospace-valley").status_code == 200


# --- the web login --------------------------------------------------------------------


def login_form(client: TestClient) -> tuple[str, dict[str, str]]:
    page = client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf[1], {"Origin": "http://testserver"}


def log_in(client: TestClient, token: str) -> int:
    csrf, headers = login_form(client)
    form = {"token": token, "csrf": csrf, "next": "/ui/audit"}
    return client.post("/ui/login", data=form, headers=headers, follow_redirects=False).status_code


def test_wrong_tokens_at_the_login_form_are_throttled_with_a_429_page(
    setup: TestClient, clock: FrozenClock, auditor: dict[str, str]
) -> None:
    statuses = [log_in(setup, "llt_wrong") for _ in range(FAILURE_BURST + 1)]
    assert statuses == [401] * FAILURE_BURST + [429]
    csrf, headers = login_form(setup)
    form = {"token": auditor["Authorization"].removeprefix("Bearer "), "csrf": csrf}
    page = setup.post("/ui/login", data=form, headers=headers, follow_redirects=False)
    assert page.status_code == 429
    assert page.headers["retry-after"] == "1"
    assert "Too many unknown tokens" in page.text
    assert "ledger_session" not in page.headers.get("set-cookie", "")


def test_the_login_form_and_the_api_share_one_allowance(
    setup: TestClient, clock: FrozenClock
) -> None:
    flood(setup, "GET", "/events", FAILURE_BURST)
    assert log_in(setup, "llt_wrong") == 429


def test_unknown_session_cookies_count_as_failures_and_are_not_checked_once_throttled(
    setup: TestClient, clock: FrozenClock, auditor: dict[str, str]
) -> None:
    wrong_cookie = {"Cookie": "ledger_session=llt_guessed-cookie"}
    for _ in range(FAILURE_BURST):
        setup.get("/ui/audit", headers=wrong_cookie, follow_redirects=False)
    right_cookie = {"Cookie": f"ledger_session={auditor['Authorization'][7:]}"}
    page = setup.get("/ui/audit", headers=right_cookie, follow_redirects=False)
    assert page.status_code == 303  # shown signed out: the right cookie is not even checked
    assert setup.get("/events", headers=WRONG).status_code == 429


def test_a_login_form_with_its_token_twice_is_refused(
    setup: TestClient, auditor: dict[str, str]
) -> None:
    csrf, headers = login_form(setup)
    token = auditor["Authorization"].removeprefix("Bearer ")
    form = [("token", "llt_wrong"), ("token", token), ("csrf", csrf)]
    body = "&".join(f"{name}={value}" for name, value in form)
    response = setup.post(
        "/ui/login",
        content=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "given twice" in response.text
    assert "ledger_session" not in response.headers.get("set-cookie", "")


def test_two_session_cookies_are_no_session(setup: TestClient, auditor: dict[str, str]) -> None:
    token = auditor["Authorization"].removeprefix("Bearer ")
    one = {"Cookie": f"ledger_session={token}"}
    assert setup.get("/ui/audit", headers=one, follow_redirects=False).status_code == 200
    two = {"Cookie": f"ledger_session={token}; ledger_session=llt_other"}
    assert setup.get("/ui/audit", headers=two, follow_redirects=False).status_code == 303
