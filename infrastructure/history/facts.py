"""The sourced 2005-2026 history as one list of facts, in the order they are seeded.

The facts live in the modules beside this one: ``stages`` (openings, counts,
closures), ``clusters`` (the slug table), ``decisions_2005_2012`` and
``decisions_2019_2026`` (grants, extensions, withdrawals) and ``structure``
(mergers, renamings, dissolution). ``gaps`` lists what the sources did not give.
"""

from __future__ import annotations

from infrastructure.history.clusters import REGISTRATIONS
from infrastructure.history.decisions_2005_2012 import DECISIONS_2005_2012
from infrastructure.history.decisions_2019_2026 import DECISIONS_2019_2026
from infrastructure.history.gaps import GAPS, Gap
from infrastructure.history.kinds import Fact
from infrastructure.history.stages import STAGE_FACTS
from infrastructure.history.structure import STRUCTURE


def history_facts() -> tuple[Fact, ...]:
    """Every fact, by effective day (a stable sort keeps each module's order within a day)."""
    facts: tuple[Fact, ...] = (
        *STAGE_FACTS,
        *REGISTRATIONS,
        *STRUCTURE,
        *DECISIONS_2005_2012,
        *DECISIONS_2019_2026,
    )
    return tuple(sorted(facts, key=lambda fact: fact.order))


FACTS = history_facts()

__all__ = ["FACTS", "GAPS", "Gap", "history_facts"]
