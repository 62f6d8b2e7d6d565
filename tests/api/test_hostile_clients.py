"""Hostile clients against a real ``label-ledger serve``: each gets a clear answer, and
another client reading a cluster's status meanwhile is never held up.

Each test runs one attack while a victim (``tests/api/victim.py``, in its own process)
reads ``GET /clusters/aerospace-valley`` in a loop on its own connection, and checks the
attack's answers and the victim's worst latency (``VICTIM_BOUND``; run with ``-rP`` to see
each measure). Attacks that reach the ledger (bodies, tokens, keys) run on both stores;
those stopped at the connection (headers, deadlines, connection counts) run on SQLite
alone, since no store plays any part in them. The server runs with short deadlines so
that the module stays quick: the defaults are the same code with larger numbers.
"""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from api.http.decoding import MAX_NESTING
from api.http.server_limits import KEEP_ALIVE_SECONDS, LINGER_SECONDS, MAX_HEAD_BYTES
from infrastructure.composition import open_ledger
from tests.api.http_builders import EXTENSION, GRANT_5, STAGE_5, bearer, registration
from tests.api.live_server import LiveServer
from tests.builders import issue
from tests.conftest import STORES, fresh_store

ROOT = Path(__file__).resolve().parents[2]
VICTIM_BOUND = 0.25
"""The worst latency the victim may see during any attack, in seconds."""
HEADERS_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 600
READ = "/clusters/aerospace-valley"
ATTACKER = "127.0.0.2"
"""Another loopback address, so the token flood is throttled apart from everyone else."""
JSON = {"Content-Type": "application/json"}


class Served(msgspec.Struct, frozen=True):
    server: LiveServer
    admin: dict[str, str]
    auditor: dict[str, str]

    @property
    def port(self) -> int:
        return self.server.port


@pytest.fixture(scope="module", params=STORES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A served ledger: stage 5 open, aerospace-valley labelled, polymeris registered."""
    folder = tmp_path_factory.mktemp("hostile")
    with fresh_store(request.param, folder) as url:
        ledger = open_ledger(url)
        try:
            admin = bearer(issue(ledger, "dge", "admin"))
            auditor = bearer(issue(ledger, "ccomptes", "auditor"))
        finally:
            ledger.close()
        server = LiveServer(
            url,
            folder / "serve.log",
            *("--headers-timeout", str(HEADERS_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)),
            *("--max-connections", str(MAX_CONNECTIONS)),
        )
        try:
            with server.client() as http:
                for path, body in [
                    ("/stages", STAGE_5),
                    ("/clusters", registration("aerospace-valley")),
                    ("/clusters", registration("polymeris")),
                    ("/clusters/aerospace-valley/label-grants", GRANT_5),
                ]:
                    assert http.post(path, json=body, headers=admin).status_code == 201
            yield Served(server, admin, auditor)
        finally:
            server.stop()


connection_only = pytest.mark.parametrize("served", ["sqlite"], indirect=True)


# --- the victim -------------------------------------------------------------------------


class Seen(msgspec.Struct):
    count: int = 0
    worst: float = 0.0
    statuses: dict[int, int] = {}


@contextmanager
def victim(served: Served, attack: str) -> Iterator[Seen]:
    """Runs the victim for the duration of the block, then checks what it saw."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.api.victim", served.server.base_url, READ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        seen = Seen()
        yield seen
    finally:
        process.stdin.close()
        output = process.stdout.read()
        process.wait(timeout=30)
    summary = msgspec.json.decode(output.splitlines()[-1], type=Seen)
    seen.count, seen.worst, seen.statuses = summary.count, summary.worst, summary.statuses
    print(f"{attack}: the victim's worst latency was {seen.worst * 1000:.1f} ms "
          f"over {seen.count} reads")
    assert seen.count > 0
    assert seen.statuses == {200: seen.count}
    assert seen.worst < VICTIM_BOUND, f"{attack}: {seen.worst * 1000:.0f} ms"


def in_threads(calls: list[Callable[[], Any]], workers: int = 4) -> list[Any]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))


# --- raw connections ------------------------------------------------------------------------


def connect(served: Served, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", served.port), timeout=30,
                                    source_address=(source, 0))


def answer_of(sock: socket.socket, timeout: float = 30) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed."""
    started = time.monotonic()
    sock.settimeout(timeout)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return answer, time.monotonic() - started


def answers_of(sockets: list[socket.socket], timeout: float = 30) -> list[tuple[bytes, float]]:
    """``answer_of`` for many connections at once, read in one thread."""
    started = time.monotonic()
    answers: dict[socket.socket, tuple[bytes, float]] = {}
    received = dict.fromkeys(sockets, b"")
    with selectors.DefaultSelector() as selector:
        for sock in sockets:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        while len(answers) < len(sockets) and time.monotonic() - started < timeout:
            for key, _ in selector.select(timeout=1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                received[sock] += chunk
                if not chunk:
                    selector.unregister(sock)
                    sock.close()
                    answers[sock] = (received[sock], time.monotonic() - started)
    return [answers.get(sock, (received[sock], timeout)) for sock in sockets]


DRIP_SECONDS = 0.02


def drip(sock: socket.socket, data: bytes) -> None:
    """Sends ``data`` a byte at a time, ``DRIP_SECONDS`` apart, until the server cuts it."""
    try:
        for byte in data:
            sock.sendall(bytes([byte]))
            time.sleep(DRIP_SECONDS)
    except (ConnectionResetError, BrokenPipeError):
        pass


def admin_post_head(served: Served, content_length: int) -> bytes:
    """The head of an admin's ``POST /clusters`` announcing ``content_length`` bytes."""
    return (
        b"POST /clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: " + served.admin["Authorization"].encode() + b"\r\n"
        b"Content-Length: %d\r\n\r\n" % content_length
    )


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def problem_of(answer: bytes) -> dict[str, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    problem: dict[str, Any] = msgspec.json.decode(body)
    return problem


def resident_kib(served: Served) -> int:
    status = Path(f"/proc/{served.server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


# --- bodies (both stores) -------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


NESTED_BODIES = {
    "/clusters": nested(10_000),
    "/clusters/polymeris/renaming": b'{"name": ' + nested(10_000) + b', "effective_on": "2024"}',
    "/clusters/aerospace-valley/corrections": (
        b'{"event_id": "cluster:aerospace-valley@2", "reason": "x", "amended": '
        b'{"decision_ref": ' + nested(10_000) + b"}}"
    ),
}


def test_json_nested_ten_thousand_levels_is_a_422_and_holds_no_one_up(served: Served) -> None:
    def send(path: str, body: bytes) -> httpx.Response:
        with served.server.client() as http:
            return http.post(path, content=body, headers={**served.admin, **JSON})

    calls = [lambda p=p, b=b: send(p, b) for p, b in NESTED_BODIES.items()] * 10
    with victim(served, "JSON nested 10,000 levels, 30 requests"):
        answers = in_threads(calls)
    assert {a.status_code for a in answers} == {422}
    assert {a.json()["detail"] for a in answers} == {
        f"the body nests arrays and objects deeper than {MAX_NESTING} levels"
    }


def test_fifty_thousand_unknown_fields_are_a_422_and_hold_no_one_up(served: Served) -> None:
    flood = b"{" + b",".join(b'"field_%05d": 1' % i for i in range(50_000)) + b"}"
    assert len(flood) > 700_000

    def send() -> httpx.Response:
        with served.server.client() as http:
            return http.post("/clusters", content=flood, headers={**served.admin, **JSON})

    with victim(served, "50,000 unknown fields (0.7 MB), 12 requests"):
        answers = in_threads([send] * 12)
    assert {a.status_code for a in answers} == {422}
    assert all(a.json()["detail"].endswith("and 49952 more") for a in answers)


# --- tokens and keys (both stores) ------------------------------------------------------------


def test_a_flood_of_unknown_tokens_is_throttled_with_429_and_holds_no_one_up(
    served: Served,
) -> None:
    def guesses(count: int) -> list[httpx.Response]:
        transport = httpx.HTTPTransport(local_address=ATTACKER)
        with httpx.Client(base_url=served.server.base_url, transport=transport) as http:
            return [
                http.get("/events", headers={
                    "Authorization": f"Bearer llt_guess-{n}",
                    "X-Forwarded-For": f"198.51.100.{n % 250}",  # not trusted from there
                })
                for n in range(count)
            ]

    with victim(served, "1,000 unknown tokens"), served.server.client() as admin:
        started = time.monotonic()
        answers = [a for batch in in_threads([lambda: guesses(250)] * 4) for a in batch]
        elapsed = time.monotonic() - started
        written = admin.post(
            "/clusters/aerospace-valley/membership-reports",
            json={"as_of": "2023-12-31", "members": {"very_small": 1, "sme": 1,
                  "intermediate_large": 1, "research": 1, "other": 1}},
            headers=served.admin,
        )
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) == {401, 429}
    assert 50 <= statuses[401] <= 50 + 10 * elapsed + 10  # the burst, then 10 a second
    throttled = next(a for a in answers if a.status_code == 429)
    assert throttled.json()["type"] == "/problems/too-many-failed-authentications"
    assert int(throttled.headers["retry-after"]) >= 1
    assert written.status_code == 201  # the admin, at another address, is never throttled


def test_a_key_refused_by_a_rule_answers_its_refusal_again_once_the_rule_would_pass(
    served: Served,
) -> None:
    """Under ``serve`` (group commit) too: a key's 409 never later executes as a 201."""
    path = "/clusters/polymeris/label-extensions"
    keyed = {**served.admin, "Idempotency-Key": f"ext-{served.port}"}
    with served.server.client() as http:
        first = http.post(path, json=EXTENSION, headers=keyed)
        assert first.status_code == 409
        grant = http.post("/clusters/polymeris/label-grants", json=GRANT_5, headers=served.admin)
        assert grant.status_code == 201
        again = http.post(path, json=EXTENSION, headers=keyed)
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["idempotent-replayed"] == "true"


@connection_only
def test_two_authorization_headers_are_a_400(served: Served) -> None:
    headers = [("Authorization", served.admin["Authorization"]), ("Authorization", "Bearer x")]
    with served.server.client() as http:
        write = http.post("/clusters", json=registration("twice"), headers=headers)
        read = http.get("/events", headers=headers)
        created = http.get("/clusters/twice")
    assert (write.status_code, read.status_code, created.status_code) == (400, 400, 404)
    assert write.json()["type"] == read.json()["type"] == "/problems/malformed-header"


# --- headers (connection only) -----------------------------------------------------------------


def endless_head(served: Served, size: int) -> int:
    """Sends a header of ``size`` bytes that never ends; the status answered."""
    sock = connect(served)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * 65536
        for _ in range(size // len(chunk)):
            sock.sendall(chunk)
    except (ConnectionResetError, BrokenPipeError):
        pass  # the server stopped reading: its answer waits in the socket
    return status_of(answer_of(sock)[0])


@connection_only
def test_unfinished_sixteen_megabyte_headers_are_a_431_and_the_server_stays_small(
    served: Served,
) -> None:
    before = resident_kib(served)
    with victim(served, "10 unfinished 16 MB headers"):
        statuses = in_threads([lambda: endless_head(served, 16 << 20)] * 10, workers=10)
    grown = resident_kib(served) - before
    print(f"the server grew by {grown} KiB")
    assert statuses == [431] * 10
    assert grown < 32 * 1024  # it grew by 200 MB before the limit


@connection_only
def test_a_complete_eight_megabyte_header_is_a_431_naming_the_limit(served: Served) -> None:
    sock = connect(served)
    with suppress(ConnectionResetError, BrokenPipeError):
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (8 << 20) + b"\r\n")
    answer, _ = answer_of(sock)
    assert status_of(answer) == 431
    problem = problem_of(answer)
    assert problem["type"] == "/problems/headers-too-large"
    assert problem["detail"] == f"the request line and headers exceed {MAX_HEAD_BYTES} bytes"


@connection_only
def test_more_than_a_hundred_header_fields_are_a_431(served: Served) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % n for n in range(101))
    sock = connect(served)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    answer, _ = answer_of(sock)
    assert status_of(answer) == 431
    assert problem_of(answer)["detail"] == "more than 100 header fields"
    with served.server.client() as http:  # a hundred is still fine
        hundred = {f"X-Field-{n}": "1" for n in range(95)}
        assert http.get("/healthz", headers=hundred).status_code == 200


# --- deadlines (connection only) ------------------------------------------------------------------


@connection_only
def test_five_hundred_stalled_request_heads_are_answered_408_at_the_deadline(
    served: Served,
) -> None:
    with victim(served, "500 stalled request heads"):
        sockets = [connect(served) for _ in range(500)]
        for sock in sockets:
            sock.sendall(b"GET /clusters HTTP/1.1\r\nHost: x\r\n")
        answers = answers_of(sockets)
    assert {status_of(answer) for answer, _ in answers} == {408}
    waited = [elapsed for _, elapsed in answers]
    assert min(waited) >= HEADERS_TIMEOUT - 0.3
    assert max(waited) < HEADERS_TIMEOUT + LINGER_SECONDS + 5
    assert problem_of(answers[0][0])["type"] == "/problems/request-timeout"


@connection_only
def test_a_request_head_sent_a_byte_at_a_time_is_cut_at_the_deadline(served: Served) -> None:
    """Progress does not extend the deadline: a slow client cannot hold a connection."""
    head = b"GET /clusters HTTP/1.1\r\nHost: x\r\nUser-Agent: " + b"s" * 200 + b"\r\n\r\n"
    sock = connect(served)
    started = time.monotonic()
    with victim(served, "a request head dripped byte by byte"):
        drip(sock, head)  # the whole head would take 4.5 s
        answer, _ = answer_of(sock)
    assert status_of(answer) == 408
    assert time.monotonic() - started < len(head) * DRIP_SECONDS


@connection_only
def test_a_body_shorter_than_announced_is_answered_408_and_appends_nothing(
    served: Served,
) -> None:
    with served.server.client() as http:
        before = http.get("/healthz").json()["position"]
    body = b'{"slug": "short", "name": "Short"}'
    head = admin_post_head(served, len(body) + 10)
    with victim(served, "a body 10 bytes short"):
        sock = connect(served)
        sock.sendall(head + body)
        answer, waited = answer_of(sock)
    assert status_of(answer) == 408
    assert problem_of(answer)["instance"] == "/clusters"
    assert waited >= BODY_TIMEOUT - 0.3
    with served.server.client() as http:
        assert http.get("/healthz").json()["position"] == before


@connection_only
def test_a_body_dripped_a_byte_at_a_time_is_cut_at_the_deadline(served: Served) -> None:
    body = b'{"slug": "drip", "name": "' + b"d" * 200 + b'"}'
    head = admin_post_head(served, len(body))
    sock = connect(served)
    sock.sendall(head)
    started = time.monotonic()
    with victim(served, "a body dripped byte by byte"):
        drip(sock, body)  # the whole body would take 4.5 s
        answer, _ = answer_of(sock)
    assert status_of(answer) == 408
    assert time.monotonic() - started < len(body) * DRIP_SECONDS


@connection_only
def test_an_anonymous_post_is_answered_at_once_and_its_endless_body_cut_at_the_deadline(
    served: Served,
) -> None:
    sock = connect(served)
    sock.sendall(
        b"POST /clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\n\r\n{"
    )
    started = time.monotonic()
    sock.settimeout(10)
    first = sock.recv(65536)
    answered = time.monotonic() - started
    assert status_of(first) == 401
    assert answered < BODY_TIMEOUT  # authentication comes before the body
    _, closed = answer_of(sock)
    assert answered + closed >= BODY_TIMEOUT - 0.3  # then the rest is awaited until the deadline


@connection_only
def test_a_connection_that_sends_nothing_is_closed_after_the_keep_alive_timeout(
    served: Served,
) -> None:
    sock = connect(served)
    answer, waited = answer_of(sock)
    assert answer == b""
    assert KEEP_ALIVE_SECONDS - 0.3 <= waited < KEEP_ALIVE_SECONDS + 5


@connection_only
def test_beyond_the_connection_limit_requests_are_a_503_and_the_server_recovers(
    served: Served,
) -> None:
    idle = [connect(served) for _ in range(MAX_CONNECTIONS)]
    try:
        sock = connect(served)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer, _ = answer_of(sock)
    finally:
        for sock in idle:
            sock.close()
    assert status_of(answer) == 503
    assert b"retry-after: 1" in answer.lower()
    assert problem_of(answer)["type"] == "/problems/server-busy"
    deadline = time.monotonic() + 10
    with served.server.client() as http:
        while http.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)


@connection_only
def test_a_request_asking_to_upgrade_is_answered_and_its_connection_closed(
    served: Served,
) -> None:
    """No protocol is upgraded to, and the connection is not left half parsed and open."""
    sock = connect(served)
    sock.sendall(
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n"
    )
    answer, waited = answer_of(sock)
    assert status_of(answer) == 200
    assert b"connection: close" in answer.lower()
    assert waited < KEEP_ALIVE_SECONDS
