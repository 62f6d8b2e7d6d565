"""Small builders for memorable test facts: commands, as every writer sends them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec

from domain.access import Role
from domain.cluster import Cluster
from domain.commands import (
    Command,
    Context,
    CorrectClusterEvent,
    CriterionSpec,
    GrantLabel,
    IssueToken,
    Members,
    OpenStage,
    RegisterCluster,
    ReportMembership,
    RotateToken,
    StageRequirements,
)
from domain.decisions import Decisions
from domain.events import LedgerEvent
from domain.stage import Stage
from domain.values import Provenance, cluster_id, stage_id
from infrastructure.access.tokens import hash_secret, new_secret
from infrastructure.ledger import Ledger
from infrastructure.receipts import Receipt

ADMIN = Context(actor="test-admin", source="https://example.test/decision")
STAGE_4_CRITERIA = (
    CriterionSpec(
        code="members", description="more than 150 members", threshold=150, operator="gt"
    ),
    CriterionSpec(
        code="private-funding",
        description="private funding above 50%",
        threshold=0.5,
        unit="share",
        operator="gt",
    ),
)
MEMBERS = Members(very_small=300, sme=280, intermediate_large=150, research=70, other=30)


def provenance(actor: str = "test-admin") -> Provenance:
    return Provenance(actor=actor, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))


def run(ledger: Ledger, command: Command, context: Context = ADMIN) -> Receipt:
    """Executes one command as the test admin."""
    return ledger.execute(command, context)


def stage_4_opening(**overrides: Any) -> OpenStage:
    facts: dict[str, Any] = {
        "number": 4,
        "title": "Stage 4",
        "starts_on": date(2019, 1, 1),
        "ends_on": date(2022, 12, 31),
        "decided_by": "Prime Minister",
        "criteria": STAGE_4_CRITERIA,
        "requirements": StageRequirements(minimum_european_label="bronze"),
    }
    facts.update(overrides)
    return OpenStage(**facts)


def registration(slug: str, name: str | None = None, **overrides: Any) -> RegisterCluster:
    facts: dict[str, Any] = {
        "slug": slug,
        "name": name or slug.replace("-", " ").title(),
        "registered_on": date(2005, 7, 12),
        "regions": ("Occitanie",),
        "themes": ("aéronautique",),
    }
    facts.update(overrides)
    return RegisterCluster(**facts)


def stage_4_grant(slug: str, **overrides: Any) -> GrantLabel:
    facts: dict[str, Any] = {
        "slug": slug,
        "stage": 4,
        "decided_on": date(2019, 2, 5),
        "decided_by": "Prime Minister",
        "effective_from": date(2019, 2, 5),
    }
    facts.update(overrides)
    return GrantLabel(**facts)


def open_stage_4(ledger: Ledger, **overrides: Any) -> Receipt:
    return run(ledger, stage_4_opening(**overrides))


def register(ledger: Ledger, slug: str, name: str | None = None) -> Receipt:
    return run(ledger, registration(slug, name))


def grant_stage_4(ledger: Ledger, slug: str, **overrides: Any) -> Receipt:
    return run(ledger, stage_4_grant(slug, **overrides))


class Story:
    """Commands decided in memory exactly as the ledger decides them, with no store."""

    def __init__(self) -> None:
        self.decisions = Decisions(keep_histories=True)

    def given(self, *commands: Command) -> Story:
        for command in commands:
            self.decisions.decide(command, provenance())
        return self

    def when(self, command: Command) -> tuple[LedgerEvent, ...]:
        """The events that record ``command`` (applied to the story), or its error."""
        return self.decisions.decide(command, provenance())

    def cluster(self, slug: str) -> Cluster:
        state: Cluster = self.decisions.state(cluster_id(slug))
        return state

    def stage(self, number: int) -> Stage:
        state: Stage = self.decisions.state(stage_id(number))
        return state

    def history(self, aggregate_id: str) -> list[LedgerEvent]:
        return list(self.decisions.histories.get(aggregate_id, []))


def issue(ledger: Ledger, name: str, role: Role, actor: str = "cli:test") -> str:
    """Issues a token as the CLI does; its secret."""
    secret = new_secret()
    command = IssueToken(name=name, role=role, token_hash=hash_secret(secret))
    ledger.execute(command, Context(actor=actor))
    return secret


def rotate(ledger: Ledger, name: str, actor: str = "cli:test", **facts: Any) -> str:
    """Gives a token a new secret as the CLI does; the new secret."""
    secret = new_secret()
    command = RotateToken(name=name, token_hash=hash_secret(secret), **facts)
    ledger.execute(command, Context(actor=actor))
    return secret


def membership(slug: str, as_of: date = date(2019, 12, 31), **counts: int) -> ReportMembership:
    """A membership report; the kinds of member not counted are zero."""
    zero = Members(very_small=0, sme=0, intermediate_large=0, research=0, other=0)
    return ReportMembership(slug=slug, as_of=as_of, members=msgspec.structs.replace(zero, **counts))


def correction(event_id: str, reason: str, **facts: Any) -> CorrectClusterEvent:
    """A correction of a cluster's event (``amended`` absent: a retraction)."""
    slug = event_id.split("@", maxsplit=1)[0].removeprefix("cluster:")
    return CorrectClusterEvent(slug=slug, event_id=event_id, reason=reason, **facts)
