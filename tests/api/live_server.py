"""A real ``label-ledger serve`` process on a free port, for tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EXECUTABLE = str(Path(sys.executable).with_name("label-ledger"))
STARTUP_SECONDS = 30


def run_cli(*args: str) -> str:
    """Runs ``label-ledger`` as a user would; returns its stdout."""
    done = subprocess.run(
        [EXECUTABLE, *args], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """``label-ledger serve --port <free> --db <url> [options]``, its base URL and its log."""

    def __init__(self, store_url: str, log: Path, *options: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [EXECUTABLE, "serve", "--access-log", "--port", str(self.port), "--db", store_url]
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [*command, *options],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_serving()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_until_serving(self) -> None:
        # Readiness polling, not a timed assertion: the limit only bounds a broken start.
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"serve did not answer /healthz: {self.log.read_text()}")
