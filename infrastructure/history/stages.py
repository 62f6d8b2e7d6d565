"""The five stages (phases) of the policy: openings, period change, counts, closures.

The presentation gives each stage as a range of years ("Stage 1 (2005-2008)");
a range is recorded as 1 January of its first year to 31 December of its last.
Those two days represent the sourced years; they are not sourced days. A stage
is opened on the sourced day of the decision that opened it (stage 2 has none:
it opens on its first represented day), and closed on its last represented day.
"""

from __future__ import annotations

from datetime import date

from domain.values import Criterion, ReportedCount
from infrastructure.history.kinds import CloseStage, ExtendStage, OpenStage, ReportCount
from infrastructure.history.sources import cite

# The presentation's criteria list gives no thresholds.
PRESENTATION_CRITERIA: tuple[Criterion, ...] = (
    Criterion(code="members", description="Number of members"),
    Criterion(code="financial-autonomy", description="Financial stability and financial autonomy"),
    Criterion(
        code="european-projects",
        description="Number of projects accompanied at the European level",
    ),
    Criterion(code="ecosystem-animation", description="Quality of ecosystems' animation"),
    Criterion(code="expertise", description="Technical and market expertise"),
    Criterion(
        code="collaborative-projects",
        description="Number and quality of collaborative projects followed by the cluster",
    ),
)

# Phase IV eligibility thresholds [S33], then the presentation's unquantified criteria.
PHASE_IV_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        code="members",
        description="More than 150 members, growing over the last 3 years",
        threshold=150,
        unit="members",
        operator="gt",
    ),
    Criterion(
        code="private-funding-share",
        description="Private funding above 50% of resources, growing over the last 5 years",
        threshold=0.5,
        unit="fraction",
        operator="gt",
    ),
    Criterion(
        code="state-fui-funding",
        description="At least €10 M of State/FUI funding for collaborative projects, 2013-2018",
        threshold=10,
        unit="M€",
        operator="gte",
    ),
    *PRESENTATION_CRITERIA[2:],
    Criterion(
        code="european-strategy",
        description="A dedicated European strategy (collaborative projects targeting European "
        "funding, cooperation with European clusters)",
    ),
)

STAGE_FACTS = (
    OpenStage(
        number=1,
        title="Stage 1 (2005-2008): launch of the policy facilitating collaborative R&D projects",
        starts_on=date(2005, 1, 1),
        ends_on=date(2008, 12, 31),
        decided_by="CIADT (Comité interministériel d'aménagement et de développement du "
        "territoire), 12 July 2005",
        opened_on=date(2005, 7, 12),
        criteria=PRESENTATION_CRITERIA,
        reported_counts=(
            ReportedCount(
                count=67,
                as_of=date(2005, 7, 12),
                description="pôles labelled by the CIADT of 12 July 2005: 6 'mondiaux', "
                "9 'à vocation mondiale', 52 national",
                source=cite("S20", "S21"),
            ),
        ),
        source=cite("P-progress", "P-criteria", "S20", "S21"),
    ),
    ReportCount(
        number=1,
        reported=ReportedCount(
            count=71,
            as_of=date(2007, 7, 5),
            description="official total after the 5 pôles of the CIACT of 5 July 2007 "
            "(the 67 -> 71 arithmetic is not resolved by the sources)",
            source=cite("S22", "S23", "S57"),
        ),
        source=cite("S22", "S23", "S57"),
    ),
    CloseStage(number=1, closed_on=date(2008, 12, 31), source=cite("P-progress")),
    OpenStage(
        number=2,
        title="Stage 2 (2009-2012): projects and companies growth to widen the ecosystem",
        starts_on=date(2009, 1, 1),
        # 2009-2011 as first decided; the CIADT of 11 May 2010 extended it to 2012.
        ends_on=date(2011, 12, 31),
        decided_by="Government, after the 2008 evaluation by BCG and CM International",
        opened_on=date(2009, 1, 1),
        criteria=PRESENTATION_CRITERIA,
        source=cite("P-progress", "P-criteria", "S25", "S28"),
    ),
    ExtendStage(
        number=2,
        ends_on=date(2012, 12, 31),
        decided_on=date(2010, 5, 11),
        decided_by="CIADT of 11 May 2010",
        reason="phase 2 prolonged by one year, to 2012, with its evaluation in 2012",
        source=cite("S26", "P-progress"),
    ),
    ReportCount(
        number=2,
        reported=ReportedCount(
            count=71,
            as_of=date(2010, 5, 11),
            description="the total stayed at 71 after 6 withdrawals and 6 new eco-tech pôles",
            source=cite("S75"),
        ),
        source=cite("S75"),
    ),
    CloseStage(number=2, closed_on=date(2012, 12, 31), source=cite("P-progress", "S26")),
    OpenStage(
        number=3,
        title="Stage 3 (2013-2018): focus on new products for the market",
        starts_on=date(2013, 1, 1),
        ends_on=date(2018, 12, 31),
        decided_by="Government (phase 3 launched on 9 January 2013)",
        opened_on=date(2013, 1, 9),
        criteria=PRESENTATION_CRITERIA,
        minimum_european_label="bronze",
        reported_counts=(
            ReportedCount(
                count=71,
                as_of=date(2012, 6, 15),
                description="pôles evaluated in 2012 (report of 15 June 2012): 20 'très "
                "performants', 35 'performants', 16 'moins performants'",
                source=cite("S29", "S30"),
            ),
        ),
        source=cite("P-progress", "P-europe", "P-criteria", "S31"),
    ),
    ReportCount(
        number=3,
        reported=ReportedCount(
            count=66,
            as_of=date(2018, 10, 19),
            description="pôles at the end of phase III, when the phase IV call closed",
            source=cite("S34", "S36", "S32", "S72"),
        ),
        source=cite("S34", "S36", "S32", "S72"),
    ),
    CloseStage(number=3, closed_on=date(2018, 12, 31), source=cite("P-progress")),
    OpenStage(
        number=4,
        title="Stage 4 (2019-2022): harmonization of practices and higher expectations",
        starts_on=date(2019, 1, 1),
        ends_on=date(2022, 12, 31),
        decided_by="State-Regions selection committee; decision of the Prime Minister",
        opened_on=date(2019, 2, 5),
        criteria=PHASE_IV_CRITERIA,
        minimum_european_label="bronze",
        reported_counts=(
            ReportedCount(
                count=56,
                as_of=date(2019, 2, 5),
                description="pôles labelled: 48 for four years, 8 for one year "
                "'prolongeable à 4 ans sous conditions'",
                source=cite("S78", "S35", "S34"),
            ),
        ),
        source=cite("P-progress", "P-europe", "S33", "S35", "S78"),
    ),
    ReportCount(
        number=4,
        reported=ReportedCount(
            count=54,
            as_of=date(2022, 12, 31),
            description="pôles at the end of phase IV ('Only 54 clusters but larger'); "
            "the 56 -> 54 reconciliation is not given by the sources",
            source=cite("S1", "P-progress"),
        ),
        source=cite("S1", "P-progress"),
    ),
    CloseStage(number=4, closed_on=date(2022, 12, 31), source=cite("P-progress")),
    OpenStage(
        number=5,
        title="Stage 5 (2023-2026): stricter evaluation during the stage",
        starts_on=date(2023, 1, 1),
        ends_on=date(2026, 12, 31),
        decided_by="The State with the Regions; announced by Roland Lescure, minister "
        "delegate for industry",
        opened_on=date(2023, 3, 27),
        criteria=PRESENTATION_CRITERIA,
        reported_counts=(
            ReportedCount(
                count=55,
                as_of=date(2023, 3, 27),
                description="pôles labelled for phase V: 53 renewed and 2 new",
                source=cite("S1", "S2"),
            ),
        ),
        source=cite("P-progress", "P-criteria", "P-2023", "S1", "S2"),
    ),
    ReportCount(
        number=5,
        reported=ReportedCount(
            count=57,
            as_of=date(2024, 1, 8),
            description="pôles labelled for phase V after the two water pôles of 8 January 2024",
            source=cite("S50", "S19", "S69"),
        ),
        source=cite("S50", "S19", "S69"),
    ),
)
