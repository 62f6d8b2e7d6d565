"""Small builders for memorable test facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.values import Criterion, Provenance
from infrastructure.ledger import Ledger, Origin

ADMIN = Origin(actor="test-admin", source="https://example.test/decision")
STAGE_4_CRITERIA = (
    Criterion(code="members", description="more than 150 members", threshold=150, operator="gt"),
    Criterion(
        code="private-funding",
        description="private funding above 50%",
        threshold=0.5,
        unit="share",
        operator="gt",
    ),
)


def provenance(actor: str = "test-admin") -> Provenance:
    return Provenance(actor=actor, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))


def open_stage_4(ledger: Ledger, **overrides: object) -> None:
    facts: dict[str, object] = {
        "number": 4,
        "title": "Stage 4",
        "starts_on": date(2019, 1, 1),
        "ends_on": date(2022, 12, 31),
        "decided_by": "Prime Minister",
        "criteria": STAGE_4_CRITERIA,
        "minimum_european_label": "bronze",
    }
    facts.update(overrides)
    ledger.open_stage(ADMIN, **facts)  # type: ignore[arg-type]


def register(ledger: Ledger, slug: str, name: str | None = None) -> None:
    ledger.register_cluster(
        ADMIN,
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        registered_on=date(2005, 7, 12),
        regions=("Occitanie",),
        themes=("aéronautique",),
    )


def grant_stage_4(ledger: Ledger, slug: str, **overrides: object) -> None:
    facts: dict[str, object] = {
        "stage": 4,
        "decided_on": date(2019, 2, 5),
        "decided_by": "Prime Minister",
        "effective_from": date(2019, 2, 5),
    }
    facts.update(overrides)
    ledger.grant_label(ADMIN, slug, **facts)  # type: ignore[arg-type]
