"""What the measurements of one store share: its databases, the ledger, the settings."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from bench.baselines import Library
from bench.http_load import Server
from bench.report import Row
from bench.stores import Space
from bench.synthetic import ImportReport
from infrastructure.ledger import Ledger


class Settings(msgspec.Struct, kw_only=True):
    events: int
    smoke: bool = False
    batch_size: int = 10_000
    baseline_events: int = 200_000
    """Events the library's default import writes (its rate is per event)."""
    deep_events: int = 1_000
    repeats: int = 30
    proofs: int = 200
    http_seconds: float = 10.0
    http_warmup: float = 2.0
    command_clients: int = 16
    read_clients: int = 32
    seed: int = 2005
    only: list[str] = []
    """Row groups to measure (empty: all); the ledger is always imported."""

    def wants(self, group: str) -> bool:
        return not self.only or group in self.only


class Context:
    """One store's run: the imported ledger and the library's baseline application."""

    def __init__(self, kind: str, space: Space, workdir: Path, settings: Settings) -> None:
        self.kind = kind
        self.space = space
        self.workdir = workdir
        self.settings = settings
        self.url = space.ledger_url("ledger")
        self.ledger: Ledger | None = None
        self.imported: ImportReport | None = None
        self.library: Library | None = None
        self.deep_slug = "deep-history"
        self.deep_library_id: Any = None
        self.token: str | None = None
        self.servers: dict[str, Server] = {}
        self.missing: list[str] = []
        self.profiles: dict[str, str] = {}

    @property
    def store(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def server(self, name: str, start: Callable[[], Server]) -> Server:
        """A server kept running for the rest of this store's run (ready when returned)."""
        if name not in self.servers:
            self.servers[name] = start()
        server = self.servers[name]
        server.wait_ready()
        return server

    def stop_server(self, name: str) -> None:
        server = self.servers.pop(name, None)
        if server is not None:
            server.stop()

    def close(self) -> None:
        for name in list(self.servers):
            self.stop_server(name)
        for app in (self.ledger, self.library):
            if app is not None:
                app.close()
        self.ledger = self.library = None

    def require_ledger(self) -> Ledger:
        assert self.ledger is not None, "the bulk import runs first"
        return self.ledger

    def row(self, **fields: Any) -> Row:
        return Row(store=self.store, **fields)

    def not_measured(self, key: str, what: str, target: str, unit: str, why: str) -> Row:
        self.missing.append(f"{self.store}: {what}: {why}")
        return self.row(key=key, what=what, target=target, unit=unit, note=f"not measured: {why}")


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> list[float]:
    """Seconds of each of ``repeats`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return seconds


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
