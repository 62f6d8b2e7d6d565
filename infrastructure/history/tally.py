"""The ledger's own label counts beside the counts the authorities published."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from domain.cluster import Cluster
from domain.stage_history import held_on
from infrastructure.ledger import Ledger


class Tally(msgspec.Struct, frozen=True, kw_only=True):
    """One reported count of a stage and how many labels the ledger holds that day."""

    stage: int
    as_of: date
    reported: int
    in_ledger: int
    description: str

    def line(self) -> str:
        day = f"{self.as_of.day} {self.as_of:%b %Y}"
        return (
            f"stage {self.stage}: {self.in_ledger} labels in the ledger on {day}, "
            f"{self.reported} reported ({self.description})"
        )


def labels_held(clusters: Iterable[Cluster], stage: int, day: date) -> int:
    return sum(
        1
        for cluster in clusters
        if any(lb.stage == stage and held_on(lb, day) for lb in cluster.labels)
    )


def tally(ledger: Ledger) -> tuple[Tally, ...]:
    """Every reported count of every stage, with the ledger's count for its day."""
    clusters = list(ledger.clusters())
    return tuple(
        Tally(
            stage=number,
            as_of=count.as_of,
            reported=count.count,
            in_ledger=labels_held(clusters, number, count.as_of),
            description=count.description,
        )
        for number in ledger.stage_numbers()
        for count in ledger.get_stage(number).reported_counts
    )
