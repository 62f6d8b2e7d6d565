"""Group commit: concurrent commands share transactions but keep their own outcomes."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import date

import msgspec

from domain.commands import Command, Context, ReportMembership
from domain.errors import DuplicateSlug
from infrastructure.ledger import Ledger, Pending
from infrastructure.receipts import Receipt
from infrastructure.writing.group_commit import GroupCommitter
from infrastructure.writing.writer import Result, Writer
from tests.builders import ADMIN, MEMBERS, register, registration


def membership(slug: str, sme: int = 3) -> ReportMembership:
    members = msgspec.structs.replace(MEMBERS, sme=sme)
    return ReportMembership(slug=slug, as_of=date(2023, 1, 1), members=members)


def in_threads(ledger: Ledger, commands: Sequence[tuple[Command, Context]]) -> list[object]:
    """Executes each command from its own thread, all at once; outcome or error, in order."""
    outcomes: list[object] = [None] * len(commands)
    barrier = threading.Barrier(len(commands))

    def execute(index: int, command: Command, context: Context) -> None:
        barrier.wait()
        try:
            outcomes[index] = ledger.execute(command, context)
        except Exception as error:
            outcomes[index] = error

    threads = [
        threading.Thread(target=execute, args=(i, c, ctx)) for i, (c, ctx) in enumerate(commands)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_commands_all_land_with_dense_positions(ledger: Ledger) -> None:
    slugs = [f"cluster-{n}" for n in range(16)]
    for slug in slugs:
        register(ledger, slug)
    ledger.enable_group_commit()
    outcomes = in_threads(ledger, [(membership(s, n), ADMIN) for s in slugs for n in range(5)])
    assert all(isinstance(o, Receipt) for o in outcomes)
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=1000)]
    assert positions == list(range(1, 16 + 16 * 5 + 1))
    assert all(len(ledger.get_cluster(s).memberships) == 5 for s in slugs)


def test_concurrent_commands_on_one_cluster_are_decided_in_turn(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    ledger.enable_group_commit()
    outcomes = in_threads(ledger, [(membership("aerospace-valley", n), ADMIN) for n in range(12)])
    versions = sorted(o.version for o in outcomes if isinstance(o, Receipt))
    assert versions == list(range(2, 14))


class GatedWriter(Writer):
    """The ledger's writer, held at its first batch until ``open``: whatever is submitted
    meanwhile lands in the next batch, together."""

    def __init__(self, writer: Writer) -> None:
        self.__dict__.update(writer.__dict__)
        self._gate = threading.Event()
        self.batches: list[list[Pending]] = []

    def execute(self, items: Sequence[Pending]) -> list[Result]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self._gate.wait(timeout=10)
        return super().execute(items)

    def open(self) -> None:
        self._gate.set()


def in_one_batch(ledger: Ledger, commands: Sequence[tuple[Command, Context]]) -> tuple[
    list[object], GatedWriter
]:
    """Submits a blocker, then ``commands``, which the writer takes as one batch."""
    writer = GatedWriter(ledger.writer)
    ledger.committer = GroupCommitter(writer)
    blocker = ledger.submit(registration("blocker"), ADMIN)
    while not writer.batches:
        time.sleep(0.001)
    futures = [ledger.submit(command, context) for command, context in commands]
    writer.open()
    blocker.result(timeout=10)
    outcomes: list[object] = []
    for future in futures:
        try:
            outcomes.append(future.result(timeout=10))
        except Exception as error:
            outcomes.append(error)
    ledger.disable_group_commit()
    return outcomes, writer


def test_a_refused_command_in_a_batch_fails_alone(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    before = ledger.last_position()
    commands = [
        (membership("aerospace-valley", 1), ADMIN),
        (registration("aerospace-valley"), ADMIN),
        (membership("aerospace-valley", 2), ADMIN),
    ]
    outcomes, writer = in_one_batch(ledger, commands)
    assert [len(batch) for batch in writer.batches] == [1, 3]
    assert isinstance(outcomes[1], DuplicateSlug)
    assert [o.version for o in outcomes if isinstance(o, Receipt)] == [2, 3]
    assert ledger.last_position() == before + 3  # the blocker and two reports


class FailOnSme:
    """An append hook failing whenever a membership report counts ``sme`` SMEs."""

    def __init__(self, sme: int) -> None:
        self.sme = b'"sme":%d' % sme

    def create_tables(self, tx: object) -> None:
        pass

    def on_append(self, tx: object, appended: list) -> None:  # type: ignore[type-arg]
        if any(self.sme in a.state for a in appended):
            raise RuntimeError("the store refused this one")


def test_a_batch_that_fails_as_a_whole_is_written_again_one_command_at_a_time(
    ledger: Ledger,
) -> None:
    slugs = [f"cluster-{n}" for n in range(4)]
    for slug in slugs:
        register(ledger, slug)
    ledger.store.hooks.append(FailOnSme(99))
    commands = [(membership(slug, 99 if slug == "cluster-2" else 1), ADMIN) for slug in slugs]
    outcomes, writer = in_one_batch(ledger, commands)
    assert [len(batch) for batch in writer.batches] == [1, 4]
    assert isinstance(outcomes[2], RuntimeError)
    assert [isinstance(o, Receipt) for o in outcomes] == [True, True, False, True]
    assert [len(ledger.get_cluster(s).memberships) for s in slugs] == [1, 1, 0, 1]
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert positions == list(range(1, len(positions) + 1))


def test_one_key_sent_twice_in_one_batch_appends_once(ledger: Ledger) -> None:
    register(ledger, "aerospace-valley")
    keyed = msgspec.structs.replace(ADMIN, idempotency_key="report-2023")
    outcomes, _ = in_one_batch(ledger, [(membership("aerospace-valley"), keyed)] * 3)
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    assert [r.replayed for r in receipts] == [False, True, True]
    assert {r.position for r in receipts} == {receipts[0].position}
    assert len(ledger.get_cluster("aerospace-valley").memberships) == 1
