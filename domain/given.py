"""What a command's rule reads: the states the ledger loaded for it, before it decides."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from domain.access import Token, token_id
from domain.cluster import Cluster
from domain.errors import ClusterNotFound, StageNotFound
from domain.events import LedgerEvent
from domain.stage import Stage
from domain.values import cluster_id, stage_id


class Given:
    """States by aggregate id (None: no such aggregate yet), and the whole histories of
    the aggregates a correction rewrites."""

    __slots__ = ("_histories", "_states")

    def __init__(
        self,
        states: Mapping[str, Any],
        histories: Mapping[str, Sequence[LedgerEvent]] | None = None,
    ) -> None:
        self._states = states
        self._histories = histories or {}

    def find_cluster(self, slug: str) -> Cluster | None:
        state: Cluster | None = self._states.get(cluster_id(slug))
        return state

    def cluster(self, slug: str) -> Cluster:
        cluster = self.find_cluster(slug)
        if cluster is None:
            msg = f"no cluster {slug!r} in the ledger"
            raise ClusterNotFound(msg)
        return cluster

    def find_stage(self, number: int) -> Stage | None:
        state: Stage | None = self._states.get(stage_id(number))
        return state

    def stage(self, number: int) -> Stage:
        stage = self.find_stage(number)
        if stage is None:
            msg = f"no stage {number} in the ledger"
            raise StageNotFound(msg)
        return stage

    def find_token(self, name: str) -> Token | None:
        state: Token | None = self._states.get(token_id(name))
        return state

    def clusters(self) -> Iterator[Cluster]:
        """Every cluster loaded, by id (all of them for a rule that reads every cluster)."""
        for aggregate_id in sorted(self._states):
            state = self._states[aggregate_id]
            if isinstance(state, Cluster):
                yield state

    def history(self, aggregate_id: str) -> Sequence[LedgerEvent]:
        return self._histories.get(aggregate_id, ())
