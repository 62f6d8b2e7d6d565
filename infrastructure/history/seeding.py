"""``seed_history``: records the sourced facts through the ledger's own commands.

Each fact is one command, so every invariant is checked as for any user; each
carries its source and a stable idempotency key, and facts whose key the ledger
already holds are skipped, so seeding twice appends nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from domain.errors import InvalidCommand
from infrastructure.history.facts import FACTS
from infrastructure.history.gaps import GAPS, Gap
from infrastructure.history.kinds import (
    CloseStage,
    Dissolve,
    Extend,
    ExtendStage,
    Fact,
    Grant,
    Merge,
    OpenStage,
    Register,
    Rename,
    ReportCount,
    Withdraw,
)
from infrastructure.history.tally import Tally, tally
from infrastructure.ledger import Ledger, Origin, Receipt

SEED_ACTOR = "seed"
PAGE_SIZE = 500


class SeedReport(msgspec.Struct, frozen=True, kw_only=True):
    appended: int
    skipped: int
    position: int
    facts: int
    gaps: tuple[Gap, ...]
    tallies: tuple[Tally, ...]


def seed_history(ledger: Ledger, facts: Sequence[Fact] = FACTS) -> SeedReport:
    """Appends the facts the ledger does not hold yet, in order, and reports."""
    present = recorded_keys(ledger)
    appended = skipped = 0
    for fact in facts:
        if fact.key in present:
            skipped += 1
            continue
        appended += len(record(ledger, fact).events)
    return SeedReport(
        appended=appended,
        skipped=skipped,
        position=ledger.last_position(),
        facts=len(facts),
        gaps=GAPS,
        tallies=tally(ledger),
    )


def recorded_keys(ledger: Ledger) -> set[str]:
    """Every idempotency key in the ledger, read once in pages of the global log."""
    recorder: Any = ledger.recorder
    mapper: Any = ledger.mapper
    keys: set[str] = set()
    start, inclusive = 1, True
    while True:
        page = recorder.select_notifications(start, PAGE_SIZE, inclusive_of_start=inclusive)
        keys.update(k for n in page if (k := mapper.to_domain_event(n).idempotency_key))
        if len(page) < PAGE_SIZE:
            return keys
        start, inclusive = page[-1].id, False


def record(ledger: Ledger, fact: Fact) -> Receipt:
    origin = Origin(actor=SEED_ACTOR, source=fact.source, idempotency_key=fact.key)
    return _RECORDERS[type(fact)](ledger, fact, origin)


def _open_stage(ledger: Ledger, f: OpenStage, o: Origin) -> Receipt:
    return ledger.open_stage(
        o,
        number=f.number,
        title=f.title,
        starts_on=f.starts_on,
        ends_on=f.ends_on,
        decided_by=f.decided_by,
        criteria=f.criteria,
        minimum_european_label=f.minimum_european_label,
        reported_counts=f.reported_counts,
        opened_on=f.opened_on,
    )


def _extend_stage(ledger: Ledger, f: ExtendStage, o: Origin) -> Receipt:
    return ledger.extend_stage_period(
        o, f.number, ends_on=f.ends_on, decided_on=f.decided_on, decided_by=f.decided_by,
        reason=f.reason,
    )


def _report_count(ledger: Ledger, f: ReportCount, o: Origin) -> Receipt:
    return ledger.report_stage_count(o, f.number, reported=f.reported)


def _close_stage(ledger: Ledger, f: CloseStage, o: Origin) -> Receipt:
    return ledger.close_stage(o, f.number, closed_on=f.closed_on)


def _register(ledger: Ledger, f: Register, o: Origin) -> Receipt:
    return ledger.register_cluster(
        o,
        slug=f.slug,
        name=f.name,
        registered_on=f.registered_on,
        regions=f.regions,
        themes=f.themes,
        website=f.website,
        founded_on=f.founded_on,
    )


def _rename(ledger: Ledger, f: Rename, o: Origin) -> Receipt:
    return ledger.rename_cluster(o, f.slug, name=f.name, effective_on=f.effective_on)


def _merge(ledger: Ledger, f: Merge, o: Origin) -> Receipt:
    return ledger.merge_cluster(
        o, f.slug, into=f.into, effective_on=f.effective_on, decision_ref=f.decision_ref
    )


def _dissolve(ledger: Ledger, f: Dissolve, o: Origin) -> Receipt:
    return ledger.dissolve_cluster(o, f.slug, effective_on=f.effective_on, reason=f.reason)


def _grant(ledger: Ledger, f: Grant, o: Origin) -> Receipt:
    return ledger.grant_label(
        o,
        f.slug,
        stage=f.stage,
        decided_on=f.decided_on,
        decided_by=f.decided_by,
        effective_from=f.effective_from,
        valid_until=f.valid_until,
        decision_ref=f.decision_ref,
        tier=f.tier,
        conditions=f.conditions,
    )


def _extend(ledger: Ledger, f: Extend, o: Origin) -> Receipt:
    check_active_stage(ledger, f.slug, f.stage)
    return ledger.extend_label(
        o, f.slug, decided_on=f.decided_on, valid_until=f.valid_until, reason=f.reason,
        conditions=f.conditions,
    )


def _withdraw(ledger: Ledger, f: Withdraw, o: Origin) -> Receipt:
    check_active_stage(ledger, f.slug, f.stage)
    return ledger.withdraw_label(
        o, f.slug, decided_on=f.decided_on, effective_on=f.effective_on,
        decided_by=f.decided_by, reason=f.reason, decision_ref=f.decision_ref,
    )


def check_active_stage(ledger: Ledger, slug: str, stage: int) -> None:
    """The ledger acts on a cluster's active label: it must be the fact's stage."""
    active = ledger.get_cluster(slug).active_label
    if active is not None and active.stage != stage:
        msg = f"{slug}'s active label is of stage {active.stage}, not {stage}"
        raise InvalidCommand(msg)


_RECORDERS: dict[type[Any], Callable[[Ledger, Any, Origin], Receipt]] = {
    OpenStage: _open_stage,
    ExtendStage: _extend_stage,
    ReportCount: _report_count,
    CloseStage: _close_stage,
    Register: _register,
    Rename: _rename,
    Merge: _merge,
    Dissolve: _dissolve,
    Grant: _grant,
    Extend: _extend,
    Withdraw: _withdraw,
}
