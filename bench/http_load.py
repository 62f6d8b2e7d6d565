"""A closed-loop HTTP load generator and the servers it loads.

N client threads, each with its own keep-alive connection, send one request, wait for
the answer, send the next, for a bounded time and count. Throughput is the answered
requests over the timed window; latencies are per request, end to end. Servers run as
subprocesses on 127.0.0.1; their CPU time is read from ``/proc``.

The connection is the standard library's ``http.client`` by default: on the 2-core
machine of docs/benchmarks.md an ``httpx.Client`` request cost 1.3 ms of client CPU
against 0.25 ms, so httpx clients saturated before the server did. ``client="httpx"``
keeps the httpx keep-alive client.

Loads run under ``wrk`` instead when it is on the PATH (``apt-get install wrk``): the
same closed loop (one request in flight per connection), but its client costs a
fraction of the Python threads' CPU, which on two cores is taken from the server. The
requests are the ones ``make`` gives (written to a file the wrk script reads, each sent
once: warm-up and timed window get different ones, so every idempotency key is fresh);
``LoadResult.generator`` says which generator ran, and both sides of a comparison of
HTTP loads use the same one. ``BENCH_LOAD_GENERATOR=python`` keeps the Python threads.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import msgspec

GENERATOR_VARIABLE = "BENCH_LOAD_GENERATOR"
Request = tuple[str, str, bytes | None, dict[str, str]]
"""method, path, body, headers"""
RequestMaker = Callable[[int, int], Request]
"""(client index, request number) -> request"""


class LoadResult(msgspec.Struct, kw_only=True):
    clients: int
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    server_cpu_seconds: float | None = None
    client_cpu_seconds: float | None = None
    generator: str = "python http.client threads"

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return 1000 * self.server_cpu_seconds / self.requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server subprocess, waited for until ``ready_path`` answers."""

    def __init__(
        self, argv: Sequence[str], port: int, log: Path, ready_path: str, *, wait: bool = True
    ) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.ready_path = ready_path
        self.ready = False
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            list(argv), stdout=self._log, stderr=subprocess.STDOUT, env=_child_env()
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        if self.ready:
            return
        path = self.ready_path
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"server exited with {self.process.returncode}; see {self._log.name}"
                raise RuntimeError(msg)
            try:
                if httpx.get(self.base + path, timeout=1.0).status_code < 500:
                    self.ready = True
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        msg = f"server not ready after {timeout} s; see {self._log.name}"
        raise RuntimeError(msg)

    def cpu_seconds(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # A serving ledger verifies itself in full at start-up and every few minutes: on a
    # large ledger that run would overlap the timed window. The verification rows time it.
    env["LEDGER_VERIFY_EVERY"] = "0"
    return env


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


class Connection:
    """One keep-alive connection; ``send`` returns the status (or the error's name)."""

    def __init__(self, base: str, client: str) -> None:
        self._httpx = httpx.Client(base_url=base, timeout=30.0) if client == "httpx" else None
        host, port = base.removeprefix("http://").split(":")
        self._host, self._port = host, int(port)
        self._conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> str:
        if self._httpx is not None:
            try:
                response = self._httpx.request(method, path, content=body, headers=headers)
                return str(response.status_code)
            except httpx.HTTPError as error:
                return type(error).__name__
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
            response.read()
            return str(response.status)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return type(error).__name__

    def close(self) -> None:
        if self._httpx is not None:
            self._httpx.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def run_load(
    server: Server,
    make: RequestMaker,
    *,
    clients: int,
    seconds: float,
    warmup: float = 1.0,
    max_requests: int = 1_000_000,
    client: str = "stdlib",
) -> LoadResult:
    """Closed loop: ``clients`` threads for ``warmup`` + ``seconds``; only the latter counts."""
    server.wait_ready()
    if (
        client == "stdlib"
        and os.environ.get(GENERATOR_VARIABLE) != "python"
        and shutil.which("wrk")
    ):
        result = run_wrk(server, make, clients=clients, seconds=seconds, warmup=warmup)
        if result is not None:
            return result
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[Counter[str]] = [Counter() for _ in range(clients)]
    start_barrier = threading.Barrier(clients + 1)
    window: dict[str, float] = {}
    per_client = max(1, max_requests // clients)

    def loop(index: int) -> None:
        connection = Connection(server.base, client)
        number = 0
        start_barrier.wait()
        try:
            while True:
                now = time.perf_counter()
                if now >= window["end"] or len(latencies[index]) >= per_client:
                    return
                method, path, body, headers = make(index, number)
                number += 1
                status = connection.send(method, path, body, headers)
                done = time.perf_counter()
                if now >= window["start"]:
                    latencies[index].append(done - now)
                    statuses[index][status] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    window["start"] = time.perf_counter() + warmup
    window["end"] = window["start"] + seconds
    start_barrier.wait()
    time.sleep(max(0.0, window["start"] - time.perf_counter()))
    cpu_before, client_before = server.cpu_seconds(), time.process_time()
    for thread in threads:
        thread.join()
    ended = min(time.perf_counter(), window["end"])
    cpu_after, client_after = server.cpu_seconds(), time.process_time()
    merged = sorted(x for lat in latencies for x in lat)
    counts: Counter[str] = Counter()
    for c in statuses:
        counts.update(c)
    elapsed = max(ended - window["start"], 1e-9)
    return LoadResult(
        clients=clients,
        requests=len(merged),
        seconds=elapsed,
        throughput=len(merged) / elapsed,
        p50_ms=1000 * _percentile(merged, 0.50),
        p99_ms=1000 * _percentile(merged, 0.99),
        statuses=dict(counts),
        server_cpu_seconds=(
            None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        ),
        client_cpu_seconds=client_after - client_before,
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[index]


WRK_SCRIPT = """
-- One request per line: method, path, headers ("Name: value" joined by \\31), body, by tabs.
local requests = {}
for line in io.lines(os.getenv("WRK_REQUESTS")) do
  local method, path, header_text, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
  local headers = {}
  for name, value in header_text:gmatch("([^:\\31]+): ([^\\31]*)") do headers[name] = value end
  requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
end
local threads = {}
-- Globals: each thread's own, read back by thread:get in done(). Thread i sends lines
-- i, i + n, i + 2n, ... so that no two threads send the same request.
counter, stride, statuses, replayed = 0, 1, {}, 0
function setup(thread)
  thread:set("counter", #threads)
  table.insert(threads, thread)
end
function init(args)
  stride = tonumber(os.getenv("WRK_THREADS"))
end
function request()
  local line = counter % #requests + 1
  counter = counter + stride
  return requests[line]
end
function response(status, headers, body)
  if headers["Idempotent-Replayed"] then
    replayed = replayed + 1  -- the list wrapped around: a replay, not a new command
  else
    statuses[status] = (statuses[status] or 0) + 1
  end
end
function done(summary, latency, requests)
  local parts = {}
  local total = {}
  local replays = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
    replays = replays + thread:get("replayed")
  end
  for status, n in pairs(total) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  if replays > 0 then parts[#parts + 1] = string.format('"replayed": %d', replays) end
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"socket_errors": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""
# Requests written per second of load: above any rate seen here, so a list of unsafe
# requests does not wrap around (a wrapped one is counted as a replay, never a 201).
WRK_REQUESTS_PER_SECOND = 5_000


def wrk_lines(make: RequestMaker, clients: int, first: int, count: int) -> list[str] | None:
    """``count`` requests from ``make``, clients interleaved, as wrk script lines.

    None if a request cannot be written on one line (a tab or newline in it).
    """
    lines = []
    for number in range(first, first + max(1, count // clients)):
        for index in range(clients):
            method, path, body, headers = make(index, number)
            text = (body or b"").decode()
            header_text = "\x1f".join(f"{name}: {value}" for name, value in headers.items())
            fields = (method, path, header_text, text)
            if any(c in field for field in fields for c in "\t\n\r") or ("\x1f" in text):
                return None
            lines.append("\t".join(fields))
    return lines


def run_wrk(
    server: Server, make: RequestMaker, *, clients: int, seconds: float, warmup: float
) -> LoadResult | None:
    """The same closed loop under ``wrk``: ``clients`` connections, one request each.

    Warm-up and timed window send different requests (fresh idempotency keys).
    None when the requests cannot be given to wrk.
    """
    with tempfile.TemporaryDirectory(prefix="wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text(WRK_SCRIPT)
        threads = min(clients, 2)
        first = 0

        def wrk(duration: float, name: str) -> dict[str, object] | None:
            nonlocal first
            count = max(20_000, round(duration * WRK_REQUESTS_PER_SECOND))
            lines = wrk_lines(make, clients, first, count)
            if lines is None:
                return None
            first += count // clients + 1
            listing = Path(tmp) / f"{name}.txt"
            listing.write_text("\n".join(lines) + "\n")
            env = {**os.environ, "WRK_REQUESTS": str(listing), "WRK_THREADS": str(threads)}
            argv = [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(clients),
                "-d",
                f"{max(1, round(duration))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                server.base,
            ]
            out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
            line = next(x for x in out.splitlines() if x.startswith("WRK-RESULT "))
            result: dict[str, object] = json.loads(line.removeprefix("WRK-RESULT "))
            return result

        if warmup > 0 and wrk(warmup, "warmup") is None:
            return None
        cpu_before = server.cpu_seconds()
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        timed = wrk(seconds, "timed")
        if timed is None:
            return None
        cpu_after = server.cpu_seconds()
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = int(timed["duration_us"]) / 1e6  # type: ignore[call-overload]
    statuses = {str(k): int(v) for k, v in timed["statuses"].items()}  # type: ignore[attr-defined]
    if timed["socket_errors"]:
        statuses["socket errors"] = int(timed["socket_errors"])  # type: ignore[call-overload]
    requests = int(timed["requests"])  # type: ignore[call-overload]
    return LoadResult(
        clients=clients,
        requests=requests,
        seconds=elapsed,
        throughput=requests / elapsed,
        p50_ms=int(timed["p50_us"]) / 1000,  # type: ignore[call-overload]
        p99_ms=int(timed["p99_us"]) / 1000,  # type: ignore[call-overload]
        statuses=statuses,
        server_cpu_seconds=(
            None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        ),
        client_cpu_seconds=(client_after.ru_utime + client_after.ru_stime)
        - (client_before.ru_utime + client_before.ru_stime),
        generator="wrk",
    )
