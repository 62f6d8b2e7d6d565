"""The writer: runs batches of commands, one transaction each, one batch at a time."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from infrastructure.access.tokens import TokenRegistry
from infrastructure.mapper import MsgspecMapper
from infrastructure.receipts import Receipt
from infrastructure.store.recorders import LedgerRecorder
from infrastructure.writing.batch import BatchRun, Clock, Pending, utc_now
from infrastructure.writing.states import WriterStates

Result = Receipt | BaseException


def refuse_whole_if_any_refused(outcomes: Sequence[Result]) -> None:
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            raise BatchRefused(index, outcome)


class BatchRefused(Exception):
    """A command of an all-or-nothing batch was refused: nothing of the batch was appended."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(f"command {index + 1} of the batch was refused: {error}")
        self.index = index
        self.error = error


class Writer:
    """Decides and appends commands; a process has one per ledger.

    A batch that fails as a whole (the store refused a statement, a hook found the log
    damaged) is run again one command per transaction, so that each command gets its own
    answer: one bad command never fails the others.
    """

    def __init__(
        self, store: LedgerRecorder, mapper: MsgspecMapper, registry: TokenRegistry
    ) -> None:
        self.store = store
        self.mapper = mapper
        self.registry = registry
        self.states = WriterStates(mapper)
        self.clock: Clock = utc_now
        """Recorded time of each command (tests fix it to get the same leaves everywhere)."""
        self._lock = threading.Lock()

    def execute(self, items: Sequence[Pending], *, atomic: bool = False) -> list[Result]:
        """Each command's receipt or error. ``atomic``: all commands are appended, or, if
        the ledger refuses any, none is and :class:`BatchRefused` names the first refusal."""
        with self._lock:
            try:
                return self._run(items, atomic=atomic)
            except BatchRefused:
                raise
            except Exception as error:
                if len(items) == 1 or atomic:
                    return [error] * len(items)
            return [self._run_alone(item) for item in items]

    def _run_alone(self, item: Pending) -> Result:
        try:
            return self._run([item])[0]
        except Exception as error:
            return error

    def _run(self, items: Sequence[Pending], *, atomic: bool = False) -> list[Result]:
        try:
            with self.store.write_transaction() as tx:
                self.store.lock_for_append(tx)
                run = BatchRun(tx, self.states, self.registry, self.mapper, self.clock)
                outcomes: list[Result] = list(run.run(items, self.store))
                if atomic:
                    refuse_whole_if_any_refused(outcomes)  # raising rolls the batch back
        except BaseException:
            # States loaded or decided in the failed transaction may not match the log.
            self.states.clear()
            raise
        self.states.put_all(run.working, run.position)
        self.registry.absorb(run.token_events(), run.position)
        return outcomes
