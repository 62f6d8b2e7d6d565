"""How any aggregate's state follows from its events, chosen by the aggregate's id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from domain.access import project_token
from domain.cluster import project_cluster
from domain.events import LedgerEvent
from domain.stage import project_stage

Projector = Callable[[Any, Iterable[LedgerEvent]], Any]
PROJECTORS: dict[str, Projector] = {
    "cluster": project_cluster,
    "stage": project_stage,
    "token": project_token,
}


def projector_of(aggregate_id: str) -> Projector:
    kind = aggregate_id.partition(":")[0]
    try:
        return PROJECTORS[kind]
    except KeyError:
        msg = f"no aggregate kind {kind!r} (aggregate {aggregate_id})"
        raise ValueError(msg) from None


def project(aggregate_id: str, state: Any, events: Iterable[LedgerEvent]) -> Any:
    """Folds ``events`` onto ``state`` (None: from the first event)."""
    return projector_of(aggregate_id)(state, events)
