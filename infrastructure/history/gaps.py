"""What the sources could not give, kept as data beside the seeded facts."""

from __future__ import annotations

from collections import Counter

import msgspec


class Gap(msgspec.Struct, frozen=True, kw_only=True):
    """A fact the seed leaves out or records only approximately, and why."""

    kind: str
    subject: str
    detail: str
    sources: tuple[str, ...] = ()


UNIDENTIFIED = "unidentified"
INFERRED = "inferred"
ARITHMETIC = "arithmetic"
UNNAMED = "unnamed"
APPROXIMATE_DAY = "approximate-day"
UNDATED = "undated"
OUTCOME = "outcome"
IDENTITY = "identity"
CONFLICT = "conflict"
UNDATED_RENAME = "undated-rename"
NOT_RECORDED = "not-recorded"
REPRESENTATION = "representation"

GAPS: tuple[Gap, ...] = (
    Gap(kind=UNIDENTIFIED, subject="stage 5: the 55th pôle of 27 March 2023",
        detail="one of the 55 could not be identified; no name is seeded "
        "(Pôle Européen de la Céramique is a candidate from memory only)", sources=("S1",)),
    Gap(kind=INFERRED, subject="stage 5: BioValley France, ALPHA-RLH, Finance Innovation, "
        "NextMove, S2E2, Hippolia",
        detail="phase V membership is inferred, not sourced: no stage-5 grant is seeded "
        "(their sourced facts are)", sources=("S60", "S59", "S22", "S38", "S51", "S52")),
    Gap(kind=ARITHMETIC, subject="stage 1: 67 -> 71",
        detail="67 labelled on 12 July 2005 (66 in S24), Mov'eo and Orpheme on 6 March 2006, "
        "5 on 5 July 2007 'added to the 66' for 71: the exact arithmetic is unresolved",
        sources=("S20", "S22", "S24", "S57")),
    Gap(kind=ARITHMETIC, subject="stage 4: 56 -> 54",
        detail="56 labelled on 5 February 2019, 54 at the end of phase IV: which labels ended "
        "is given only for Nov@log (liquidated) and Elastopôle/Plastipolis (merged)",
        sources=("S35", "S1")),
    Gap(kind=ARITHMETIC, subject="stage 5: 55 reported, 48 seeded on 27 March 2023",
        detail="47 explicitly sourced labels plus Avenia (weakly sourced); 6 inferred and "
        "1 unidentified make up the 55", sources=("S1", "S2")),
    Gap(kind=UNNAMED, subject="stage 1: the 52 national pôles of 12 July 2005",
        detail="the list behind S21's 'la liste' was not obtained; only pôles a source names "
        "are granted (and untiered when the source gives no tier)", sources=("S21",)),
    Gap(kind=UNNAMED, subject="stage 2: groups 1 and 2 of the 2008 evaluation",
        detail="58 pôles had their label confirmed for 2009-2011; only 7 are named by the "
        "sources found", sources=("S25", "X-2008-groups")),
    Gap(kind=UNNAMED, subject="stage 3: labels for 2013-2018",
        detail="no source found names the pôles labelled for phase III: stage 3 holds counts "
        "and mergers, no grants", sources=("S31", "S34")),
    Gap(kind=UNNAMED, subject="stage 4: 16 of the 48 four-year labels",
        detail="only 32 four-year labels are named by the sources found (e.g. Cap Digital, "
        "Systematic, Medicen, NextMove are not)", sources=("S34", "S35", "S36", "S67")),
    Gap(kind=APPROXIMATE_DAY, subject="stage 2: the 2008 decision on the evaluation groups",
        detail="no day given: recorded on 1 January 2008 with the precision in the "
        "decision reference (Xylofutur's letter of 11 August 2008 is dated)",
        sources=("S25",)),
    Gap(kind=APPROXIMATE_DAY, subject="Fibres + Alsace Energivie -> Fibres-Energivie",
        detail="'début 2015': recorded on 1 January 2015", sources=("S72",)),
    Gap(kind=APPROXIMATE_DAY, subject="Advancity -> Cap Digital",
        detail="'mai 2018': recorded on 1 May 2018", sources=("X-advancity-merger",)),
    Gap(kind=APPROXIMATE_DAY, subject="DERBI relabelled with the Cemater merger condition",
        detail="'early 2024' (reported on 30 January 2024): recorded on 1 January 2024",
        sources=("S42",)),
    Gap(kind=APPROXIMATE_DAY, subject="ViaMéca + Mont-Blanc Industries -> CIMES",
        detail="recorded on 5 February 2019, the day CIMES was labelled in their place; "
        "no legal merger date is given", sources=("S36",)),
    Gap(kind=UNDATED, subject="PICOM -> Cap Digital",
        detail="'end 2019' has no day; the first day of 2019 would precede PICOM's stage-4 "
        "label, so the merger is left out and PICOM stays active in the ledger",
        sources=("S6",)),
    Gap(kind=UNDATED, subject="Mov'eo + ARIA Normandie + RAVI",
        detail="merger in November 2019 without a day; ARIA and RAVI are not pôles: left "
        "out (the renaming to NextMove on 7 January 2021 is seeded)", sources=("S38",)),
    Gap(kind=UNDATED, subject="Végépolys + Céréales Vallée",
        detail="merger project of 2019 without a day: left out; Céréales Vallée stays active",
        sources=("S35",)),
    Gap(kind=UNDATED, subject="Terralia + PASS -> ABEN (Innov'Alliance)",
        detail="rapprochement at the end of 2018 without a day: left out; PASS stays active, "
        "Terralia is not registered", sources=("S67", "S35")),
    Gap(kind=UNDATED, subject="Eurobiomed + Cancer-Bio-Santé; Imaginove into Minalogic",
        detail="consolidations around phase IV without a day: left out, the absorbed "
        "structures are not registered", sources=("S70", "S36")),
    Gap(kind=UNDATED, subject="MTA absorbed by Mov'eo",
        detail="absorption announced for the end of 2009 while the CIADT of 11 May 2010 "
        "withdrew MTA's label: the withdrawal is seeded, the absorption is not",
        sources=("S26",)),
    Gap(kind=UNDATED, subject="DREAM + Hydreos -> aquanova; end of France Water Team",
        detail="merger due by the end of the first half of 2024 and France Water Team's "
        "disappearance (January 2024) have no day: left out", sources=("S69", "S42")),
    Gap(kind=OUTCOME, subject="France Water Team in March 2023",
        detail="refused for phase V: a refusal is not a grant, so nothing is recorded "
        "(its stage-4 label expired with stage 4)", sources=("S9", "S40")),
    Gap(kind=OUTCOME, subject="the eight one-year labels of 2019",
        detail="whether each was prolonged to 2022 is not sourced: they read as lapsed after "
        "4 February 2020 (Nov@log was liquidated, Elastopôle merged)", sources=("S34",)),
    Gap(kind=OUTCOME, subject="Materalia's one-year phase V label",
        detail="its prolongation is not sourced: it reads as lapsed after 26 March 2024",
        sources=("S2",)),
    Gap(kind=UNDATED_RENAME, subject="renamings without a day",
        detail="Agrimip Innovation -> Agri Sud-Ouest Innovation, IPMF -> Xylofutur, "
        "MAUD -> Matikem, Eau -> Aqua-Valley, Alsace BioValley -> BioValley France, "
        "IAR -> Bioeconomy For Change, iD4CAR -> ID4Mobility, ABEN -> Innov'Alliance, "
        "Pôle Mondial du Végétal -> Végépolys Valley, Microtechniques -> PMT, Industrie "
        "financière -> Finance Innovation: registered under the later name, the earlier name "
        "kept in decision references", sources=("S22", "S66", "S69", "S6", "S35")),
    Gap(kind=IDENTITY, subject="links the sources do not state",
        detail="Nucléaire Bourgogne / Nuclear Valley, 'Automobile haut de gamme (Bretagne)' / "
        "ID4Mobility, 'Industries du Commerce' / PICOM, 'viandes et produits carnés' / "
        "Innoviandes, 'agronutrition en milieu tropical' / Qualitropic, 'céréales de Chappes' "
        "/ Céréales Vallée, 'fruits et légumes d'Avignon' / Terralia: kept apart or left "
        "without their 2005 label", sources=("S24", "S26", "S65")),
    Gap(kind=CONFLICT, subject="IAR's 2005 tier",
        detail="'à vocation mondiale' in S21, among the national pôles in S65: granted "
        "without a tier", sources=("S21", "S65")),
    Gap(kind=CONFLICT, subject="the count after 11 May 2010",
        detail="71 (S75) or 72 with Medee (a magazine brief); the CIADT asked for a further "
        "examination of Medee, which is not seeded", sources=("S75",)),
    Gap(kind=NOT_RECORDED, subject="ESCA / European Cluster Excellence labels",
        detail="Fibres-Energivie Gold 'fin 2017', Pôle Européen de la Céramique Bronze 2012, "
        "Optitec and SCS gold (2019) have no day; Gold validity is unsourced: no European "
        "label is seeded, so the bronze requirement of stages 3-4 is recorded but no pôle's "
        "bronze label is", sources=("S72", "S29", "S43", "S44")),
    Gap(kind=NOT_RECORDED, subject="evaluation classifications (2008, 2012)",
        detail="groups 1-3 and 'très performant'/'performant'/'moins performant' are named for "
        "few pôles and without days: not recorded as criteria reviews", sources=("S28", "S29")),
    Gap(kind=NOT_RECORDED, subject="phase V thresholds and membership figures",
        detail="phase V numeric thresholds were not obtained; network-wide figures (18,500 "
        "members; the 31%/31%/8%/18% split) are not per-pôle reports", sources=("S1", "S46")),
    Gap(kind=REPRESENTATION, subject="years recorded as days",
        detail="stage periods are 1 January - 31 December of the sourced years; pôles known "
        "only from the 2008 evaluation are registered on 1 January 2009, with their stage-2 "
        "label; conditional labels end on a day derived from their sourced duration",
        sources=("P-progress",)),
)


def gap_summary(gaps: tuple[Gap, ...] = GAPS) -> str:
    """One line: how many gaps of each kind."""
    counts = Counter(g.kind for g in gaps)
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"{len(gaps)} gaps in the sources ({kinds})"
