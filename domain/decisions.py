"""Deciding commands: each by the rule registered for its type (``domain.rules``), alone
or in turn against the states the ones before it left."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# The rule modules register their rules (``@rule``) when imported.
from domain import cluster_commands, stage_commands, token_commands  # noqa: F401
from domain.commands import Command
from domain.errors import NeedsWholeHistory
from domain.events import EventCorrected, LedgerEvent
from domain.folds import apply, project
from domain.given import Given
from domain.rules import RULES
from domain.values import Provenance


class UndeclaredWrite(ValueError):
    """A rule returned an event of an aggregate its command does not declare it writes."""


def decide(command: Command, given: Given, p: Provenance) -> tuple[LedgerEvent, ...]:
    """The events that record ``command``, or a named domain error."""
    events = tuple(RULES[type(command)](command, given, p))
    declared = command.writes()
    for event in events:
        aggregate = event.originator_id
        if aggregate not in declared and not (
            command.READS_EVERY_CLUSTER and aggregate.startswith("cluster:")
        ):
            msg = f"{type(command).__name__} wrote {aggregate}, which it does not declare"
            raise UndeclaredWrite(msg)
    return events




class Decisions:
    """Commands decided in turn, each against the states the ones before it left.

    States come from ``lookup`` (the store's states) until a decision changes them; the
    changed ones are in ``working``. With ``keep_histories`` every event is kept per
    aggregate, so corrections can be decided with no store at all (tests, simulations);
    otherwise the caller provides the histories corrections need.
    """

    def __init__(
        self,
        lookup: Callable[[str], Any] | None = None,
        *,
        keep_histories: bool = False,
    ) -> None:
        self._lookup = lookup or (lambda _: None)
        self._keep_histories = keep_histories
        self.working: dict[str, Any] = {}
        self.histories: dict[str, list[LedgerEvent]] = {}

    def state(self, aggregate_id: str) -> Any:
        if aggregate_id in self.working:
            return self.working[aggregate_id]
        return self._lookup(aggregate_id)

    def decide(
        self, command: Command, p: Provenance, every_cluster: Sequence[str] = ()
    ) -> tuple[LedgerEvent, ...]:
        """Decides ``command`` and applies its events; raises the error that refuses it."""
        events = decide(command, self.given(command, every_cluster), p)
        for event in events:
            self.apply(event)
        return events

    def given(self, command: Command, every_cluster: Sequence[str] = ()) -> Given:
        ids = [*command.writes(), *command.reads()]
        if command.READS_EVERY_CLUSTER:
            # Clusters created by earlier decisions are not among the stored ones yet.
            ids += every_cluster
            ids += [i for i in self.working if i.startswith("cluster:")]
        return Given({i: self.state(i) for i in ids}, self.histories)

    def apply(self, event: LedgerEvent) -> None:
        aggregate_id = event.originator_id
        history = self.histories.get(aggregate_id)
        if history is None and self._keep_histories:
            history = self.histories[aggregate_id] = []
        if isinstance(event, EventCorrected):
            if history is None:
                raise NeedsWholeHistory(aggregate_id)
            state = project(aggregate_id, None, [*history, event])
        else:
            state = apply(aggregate_id, self.state(aggregate_id), event)
        self.working[aggregate_id] = state
        if history is not None:
            history.append(event)
