"""The server's metrics in the Prometheus text format (``GET /metrics``).

Counted as requests are answered: requests by method, route template and status, and the
latency of every command the ledger decided. Read when scraped, in one short transaction:
the ledger's position, the read models' lag, the latest checkpoint's age, the group-commit
batch sizes and the last verification this server ran. Each application has a registry of
its own, so that several in one process (the tests) never mix their counts.

Counting runs on the event loop for every request, so label children are kept in plain
dicts: a ``.labels()`` lookup costs microseconds, a dict hit a few dozen nanoseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from infrastructure.ledger import Ledger
from infrastructure.store.errors import store_error_from
from infrastructure.tamper.verification_cache import LastRun
from infrastructure.vitals import read_vitals

MEDIA_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The classic text format, which every Prometheus version reads."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
"""The route label of a request no route matched: raw paths would be unbounded labels."""
COMMAND_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
LastVerification = Callable[[], LastRun | None]


class LedgerMetrics:
    def __init__(self, ledger: Ledger, last_verification: LastVerification) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "label_ledger_http_requests",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._commands = Histogram(
            "label_ledger_command_duration_seconds",
            "Time from a command's request to its answer, for commands the ledger decided",
            ("command",),
            buckets=COMMAND_SECONDS,
            registry=self.registry,
        )
        self.registry.register(LedgerCollector(ledger, last_verification))
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._command_children: dict[str, Any] = {}

    def request(self, method: str, route: str, status: int) -> None:
        key = (method, route, status)
        child = self._request_children.get(key)
        if child is None:
            label = method if method in METHODS else "other"
            child = self._requests.labels(label, route, str(status))
            self._request_children[key] = child
        child.inc()

    def command(self, name: str, seconds: float) -> None:
        child = self._command_children.get(name)
        if child is None:
            child = self._command_children[name] = self._commands.labels(name)
        child.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class LedgerCollector(Collector):
    """The gauges read when scraped; a store that fails is ``label_ledger_store_up 0``."""

    def __init__(self, ledger: Ledger, last_verification: LastVerification) -> None:
        self.ledger = ledger
        self.last_verification = last_verification

    def collect(self) -> Iterable[Metric]:
        yield from self._store()
        yield batch_sizes(self.ledger)
        yield from verification(self.last_verification())

    def describe(self) -> Iterable[Metric]:
        return ()  # read at scrape time only: never while the registry is being built

    def _store(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("label_ledger_store_up", "1 if the store answered this scrape")
        try:
            vitals = read_vitals(self.ledger)
        except Exception as error:
            if store_error_from(error, self.ledger.settings.where) is None:
                raise
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "label_ledger_position", "The ledger's last position", value=vitals.position
        )
        yield GaugeMetricFamily(
            "label_ledger_read_model_lag",
            "Events recorded that the read models have not applied yet",
            value=vitals.read_model_lag,
        )
        if vitals.checkpoint_signed_at is not None:
            age = time.time() - vitals.checkpoint_signed_at.timestamp()
            yield GaugeMetricFamily(
                "label_ledger_checkpoint_age_seconds",
                "Seconds since the latest checkpoint was signed (absent: none was)",
                value=max(age, 0.0),
            )


def batch_sizes(ledger: Ledger) -> Metric:
    seen = ledger.batch_sizes.seen()
    cumulative, buckets = 0, []
    for bound, count in zip(seen.bounds, seen.counts, strict=False):
        cumulative += count
        buckets.append((str(bound), cumulative))
    buckets.append(("+Inf", seen.batches))
    return HistogramMetricFamily(
        "label_ledger_group_commit_batch_size",
        "Commands per group-commit transaction",
        buckets=buckets,
        sum_value=seen.commands,
    )


def verification(last: LastRun | None) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "label_ledger_verification_ok",
        "The last full verification this server ran: 1 passed, 0 failed, -1 none ran",
        value=-1 if last is None else int(last.ok),
    )
    if last is not None:
        yield GaugeMetricFamily(
            "label_ledger_verification_finished_timestamp_seconds",
            "When the last full verification this server ran finished",
            value=last.finished,
        )
