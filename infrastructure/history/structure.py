"""Mergers, renamings and the one dissolution the sources date.

A merger the sources give only a month or a year for is recorded on the first
day of that month or year, with the precision in its decision reference; a
merger they give no usable date for stays out (see gaps.py).
"""

from __future__ import annotations

from datetime import date

from infrastructure.history.kinds import Dissolve, Fact, Merge, Rename
from infrastructure.history.sources import cite


def _merge(slug: str, into: str, on: date, decision_ref: str, *keys: str) -> Merge:
    return Merge(slug=slug, into=into, effective_on=on, decision_ref=decision_ref,
                 source=cite(*keys))


MOVEO_2006 = "CIACT of 6 March 2006: Normandy Motor Valley and Vestapolis merged into Mov'eo"
FIBRES_2015 = "merger of Fibres and Alsace Energivie, 'début 2015' (day not given by the source)"
SAFE_2015 = (
    "merger voted by the extraordinary general assemblies of Pégase and Risques, Cannes, "
    "18 December 2015"
)
ALPHA_2017 = (
    "merger voted on 8 December 2016 ('hier' in the article of 9 December 2016); the merged "
    "pôle fully operational on 1 January 2017"
)
QUALIMED_2017 = (
    "fusion-absorption validated by the general assembly of 20 June 2017 in Arcachon "
    "(new statutes in September 2017)"
)
ADVANCITY_2018 = "Cap Digital absorbed Advancity in May 2018 (day not given by the source)"
CIMES_2019 = (
    "CIMES, the grouping of ViaMéca and Mont-Blanc Industries, was labelled in their place on "
    "5 February 2019; the sources give no separate legal date for the merger"
)
EURAMATERIALS_2019 = "formal merger into EuraMaterials; its predecessors dissolved on 30 June 2019"
POLYMERIS_2020 = (
    "merger decided by the general assemblies of Elastopôle and Plastipolis on 18 December "
    "2020, effective 31 December 2020"
)

MERGERS = (
    _merge("normandy-motor-valley", "nextmove", date(2006, 3, 6), MOVEO_2006, "S20"),
    _merge("vestapolis", "nextmove", date(2006, 3, 6), MOVEO_2006, "S20"),
    _merge("fibres-grand-est", "fibres-energivie", date(2015, 1, 1), FIBRES_2015, "S72", "S51"),
    _merge("energivie", "fibres-energivie", date(2015, 1, 1), FIBRES_2015, "S72", "S51"),
    _merge("pegase", "safe-cluster", date(2015, 12, 18), SAFE_2015, "X-safe-merger",
           "X-safe-merger-held"),
    _merge("risques", "safe-cluster", date(2015, 12, 18), SAFE_2015, "X-safe-merger",
           "X-safe-merger-held"),
    _merge("route-des-lasers", "alpha-rlh", date(2017, 1, 1), ALPHA_2017, "S59"),
    _merge("elopsys", "alpha-rlh", date(2017, 1, 1), ALPHA_2017, "S59"),
    _merge("qualimediterranee", "agri-sud-ouest-innovation", date(2017, 6, 20), QUALIMED_2017,
           "X-qualimed-merger", "S87"),
    _merge("advancity", "cap-digital", date(2018, 5, 1), ADVANCITY_2018, "X-advancity-merger",
           "S51"),
    _merge("viameca", "cimes", date(2019, 2, 5), CIMES_2019, "S36"),
    _merge("mont-blanc-industries", "cimes", date(2019, 2, 5), CIMES_2019, "S36"),
    _merge("up-tex", "euramaterials", date(2019, 6, 30), EURAMATERIALS_2019, "S41", "S64"),
    _merge("matikem", "euramaterials", date(2019, 6, 30), EURAMATERIALS_2019, "S41", "S64"),
    _merge("plastipolis", "polymeris", date(2020, 12, 31), POLYMERIS_2020, "S37"),
    _merge("elastopole", "polymeris", date(2020, 12, 31), POLYMERIS_2020, "S37"),
)

RENAMES = (
    Rename(slug="france-water-team", name="France Water Team", effective_on=date(2019, 9, 12),
           source=cite("S40", "X-fwt-created")),
    Rename(slug="nextmove", name="NextMove", effective_on=date(2021, 1, 7), source=cite("S38")),
    Rename(slug="aquanova", name="aquanova", effective_on=date(2024, 1, 31),
           source=cite("X-aquanova-named", "S69")),
)

DISSOLUTIONS = (
    Dissolve(
        slug="novalog",
        effective_on=date(2020, 9, 11),
        reason="judicial liquidation opened by the Tribunal de grande instance du Havre "
        "(no public subsidy in 2020)",
        source=cite("S39"),
    ),
)

STRUCTURE: tuple[Fact, ...] = (*MERGERS, *RENAMES, *DISSOLUTIONS)
