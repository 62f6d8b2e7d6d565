"""Label decisions of stages 1 and 2 (2005-2012): CIADT/CIACT grants, the 2008 groups, 2010.

The tier of a 2005 grant is the one the source gives ("mondial", "à vocation
mondiale", "à vocation nationale"); the 2005 sources describe the tiered pôles by
theme and place, and that description is quoted in the decision reference.
"""

from __future__ import annotations

from datetime import date

from domain.values import Tier
from infrastructure.history.clusters import (
    CIACT_2006,
    CIACT_2007,
    CIADT_2005,
    CIADT_2010,
    STAGE_2_START,
)
from infrastructure.history.kinds import Extend, Fact, Grant, Withdraw
from infrastructure.history.sources import cite

STAGE_2_END = date(2012, 12, 31)


def _ciadt_2005(slug: str, tier: Tier | None, described_as: str, *keys: str) -> Grant:
    return Grant(
        slug=slug,
        stage=1,
        decided_on=CIADT_2005,
        decided_by="CIADT of 12 July 2005",
        effective_from=CIADT_2005,
        tier=tier,
        decision_ref=f"CIADT of 12 July 2005: {described_as}",
        source=cite(*keys),
    )


MONDIAL_2005 = (
    _ciadt_2005("aerospace-valley", "mondial", "'Toulouse et Bordeaux pour l'aéronautique'",
                "S21"),
    _ciadt_2005("lyonbiopole", "mondial", "'Lyon pour la santé'", "S21"),
    _ciadt_2005("minalogic", "mondial", "'Grenoble pour les nanotechnologies'", "S21"),
    _ciadt_2005("medicen", "mondial", "'Paris et Evry pour les neurosciences'", "S21"),
    _ciadt_2005("systematic", "mondial", "'le plateau de Saclay en Ile-de-France pour les "
                "systèmes informatiques complexes'", "S21"),
    _ciadt_2005("scs", "mondial", "'la Provence-Alpes-Côte-d'Azur pour les communications "
                "informatiques sécurisées'", "S21"),
)

VOCATION_MONDIALE_2005 = (
    _ciadt_2005("biovalley-france", "vocation-mondiale", "'biotechnologies en Alsace'", "S21"),
    _ciadt_2005("i-trans", "vocation-mondiale", "'la construction ferroviaire dans le Nord'",
                "S21"),
    # S21 ranks it 'à vocation mondiale', S65 among the national pôles: no tier recorded.
    _ciadt_2005("iar", None, "'les biocarburants en Champagne-Ardenne et Picardie' (tier in "
                "conflict: 'à vocation mondiale' in S21, national in S65)", "S21", "S65"),
    _ciadt_2005("vegepolys-valley", "vocation-mondiale", "'les activités végétales en "
                "Pays-de-la-Loire' (pôle 'végétal spécialisé')", "S21", "S65"),
    _ciadt_2005("pole-mer-bretagne-atlantique", "vocation-mondiale", "'les activités liées à la "
                "mer à Brest'", "S21"),
    _ciadt_2005("pole-mer-mediterranee", "vocation-mondiale", "'les activités liées à la mer à "
                "Toulon'", "S21"),
    _ciadt_2005("images-et-reseaux", "vocation-mondiale", "'les images et réseaux à Rennes'",
                "S21"),
    _ciadt_2005("axelera", "vocation-mondiale", "'la chimie industrielle à Lyon'", "S21"),
    _ciadt_2005("cap-digital", "vocation-mondiale", "'le multimédia à Paris'", "S21"),
)

NATIONAL_2005 = (
    _ciadt_2005("aquimer", "national", "pôle 'aquatique de Boulogne-sur-Mer'", "S65"),
    _ciadt_2005("vitagora", "national", "'Vitagora à Dijon'", "S65", "S24"),
    _ciadt_2005("qualimediterranee", "national", "'Q@limed Agropolis à Montpellier'", "S65"),
    _ciadt_2005("prod-innov", "national", "'Prod'Innov à Bordeaux'", "S65", "S24"),
    _ciadt_2005("valorial", "national", "'l'Aliment de demain à Quimper'", "S65"),
    _ciadt_2005("nsl", "national", "'Nutrition santé longévité de Loos'", "S65", "S24"),
    _ciadt_2005("xylofutur", "national", "'Pin Maritime (Aquitaine)', the pôle IPMF later "
                "named Xylofutur", "S24", "S66"),
    _ciadt_2005("hippolia", "national", "'Filière Equine (Basse Normandie)'", "S24"),
    _ciadt_2005("elopsys", "national", "'Elopsys (Limousin)'", "S24"),
    _ciadt_2005("enfant", "national", "'pôle Enfant (Pays de Loire)'", "S24"),
    _ciadt_2005("cosmetic-valley", "national", "'Sciences de la Beauté et du Bien-être'",
                "X-2005-cosmetic", "S57"),
    _ciadt_2005("s2e2", "national", "S2E2, labelled in 2005 (the only CIADT of 2005 is that "
                "of 12 July)", "S57", "X-2005-cosmetic"),
)

UNTIERED_2005 = (
    _ciadt_2005("atlanpole-biotherapies", None, "among the 67 pôles validated initially",
                "S71"),
    _ciadt_2005("emc2", None, "among the 67 pôles validated initially", "S71"),
    _ciadt_2005("normandy-motor-valley", None, "among the 66 projects labelled; asked to "
                "merge with Vestapolis", "S24", "X-2005-contrats"),
    _ciadt_2005("vestapolis", None, "among the 66 projects labelled; asked to merge with "
                "Normandy Motor Valley", "S24", "X-2005-contrats"),
)


def _ciact(slug: str, on: date, described_as: str, *keys: str, tier: Tier | None = None) -> Grant:
    label = "6 March 2006" if on == CIACT_2006 else "5 July 2007"
    return Grant(
        slug=slug,
        stage=1,
        decided_on=on,
        decided_by=f"CIACT of {label}" + (", Prime Minister" if on == CIACT_2007 else ""),
        effective_from=on,
        tier=tier,
        decision_ref=f"CIACT of {label}: {described_as}",
        source=cite(*keys),
    )


LATER_STAGE_1 = (
    _ciact("nextmove", CIACT_2006, "Mov'eo, formed from Normandy Motor Valley and Vestapolis",
           "S20"),
    _ciact("orpheme", CIACT_2006, "Orpheme added", "S20"),
    _ciact("finance-innovation", CIACT_2007, "'Industrie financière' (finance/assurance; "
           "Ile-de-France) en tant que pôle mondial", "S22", tier="mondial"),
    _ciact("agri-sud-ouest-innovation", CIACT_2007, "'Agrimip Innovation' (agroalimentaire, "
           "Midi-Pyrénées)", "S22"),
    _ciact("elastopole", CIACT_2007, "'Elastopôle' (industries du caoutchouc)", "S22"),
    _ciact("astech", CIACT_2007, "'Astech' (aéronautique/espace; Ile-de-France), en lien avec "
           "Aerospace Valley", "S22"),
    _ciact("pegase", CIACT_2007, "'Pegase' (aéronautique/espace; PACA), en lien avec Aerospace "
           "Valley", "S22"),
)

# The 2008 decision has no sourced day: recorded on 1 January 2008, said so below.
DECIDED_2008 = date(2008, 1, 1)
DECISION_2008 = (
    "Government decision after the 2008 evaluation by BCG - CM International: 2008, day "
    "not given by the source (after the contradictory hearings of end June 2008)"
)


def _group(slug: str, group: int, *keys: str) -> Grant:
    kept = group == 3
    return Grant(
        slug=slug,
        stage=2,
        decided_on=DECIDED_2008,
        decided_by="Government, after the 2008 evaluation",
        effective_from=STAGE_2_START,
        valid_until=date(2009, 12, 31) if kept else None,
        decision_ref=f"{DECISION_2008}; group {group}",
        conditions=(
            ("group 3 of the 2008 evaluation: label kept only to the end of 2009, then "
             "re-evaluated",) if kept else ()
        ),
        source=cite("S25", *keys),
    )


RENEWED_2010 = (
    "novalog", "matikem", "qualimediterranee", "s2e2", "pass", "aquimer", "nucleaire-bourgogne",
)
WITHDRAWN_2010 = (
    "mta", "innoviandes", "enfant", "sporaltec", "genie-civil-eco-construction", "prod-innov",
)

GROUP_3 = tuple(_group(slug, 3, "S26") for slug in (*RENEWED_2010, *WITHDRAWN_2010))

GROUPS_1_2 = (
    _group("axelera", 1, "X-2008-groups"),
    _group("iar", 1, "X-2008-groups"),
    _group("tenerrdis", 1, "X-2008-groups"),
    _group("cereales-vallee", 2, "X-2008-groups"),
    _group("fibres-grand-est", 2, "X-2008-groups"),
    _group("vegepolys-valley", 2, "X-2008-groups"),
    Grant(
        slug="xylofutur",
        stage=2,
        decided_on=date(2008, 8, 11),
        decided_by="Government (letter of 11 August 2008)",
        effective_from=STAGE_2_START,
        decision_ref="label confirmed by letter of 11 August 2008 after the evaluation of the "
        "first semester of 2008 (pôle IPMF, renamed Xylofutur; group 2)",
        source=cite("S66", "S25", "X-2008-groups"),
    ),
)


def _eco_tech(slug: str, described_as: str, tier: Tier | None = None) -> Grant:
    return Grant(
        slug=slug,
        stage=2,
        decided_on=CIADT_2010,
        decided_by="CIADT of 11 May 2010",
        effective_from=CIADT_2010,
        tier=tier,
        decision_ref=f"CIADT of 11 May 2010, eco-technologies call: {described_as}",
        source=cite("S26", "S75"),
    )


ECO_TECH_2010 = (
    _eco_tech("aqua-valley", "pôle 'Eau' (Languedoc-Roussillon, PACA, Midi-Pyrénées), à "
              "vocation mondiale", tier="vocation-mondiale"),
    _eco_tech("hydreos", "'Gestion des eaux continentales' (Alsace-Lorraine)"),
    _eco_tech("dream", "'Dream - Eaux et milieux' (Centre)"),
    _eco_tech("avenia", "'Avenia' (Aquitaine)"),
    _eco_tech("team2", "'Team²' (Nord-Pas-de-Calais)"),
    _eco_tech("energivie", "'Energivie' (Alsace)"),
)

RENEWALS_2010 = tuple(
    Extend(
        slug=slug,
        stage=2,
        decided_on=CIADT_2010,
        valid_until=STAGE_2_END,
        reason="label renewed by the CIADT of 11 May 2010 after the re-evaluation of group 3",
        source=cite("S26", "S25"),
    )
    for slug in RENEWED_2010
)

# The CIADT prolonged phase 2 to 2012; the labels confirmed for 2009-2011 run with it.
PROLONGED_2010 = tuple(
    Extend(
        slug=grant.slug,
        stage=2,
        decided_on=CIADT_2010,
        valid_until=STAGE_2_END,
        reason="phase 2 prolonged by one year, to 2012, by the CIADT of 11 May 2010",
        source=cite("S26"),
    )
    for grant in GROUPS_1_2
)

WITHDRAWALS_2010 = tuple(
    Withdraw(
        slug=slug,
        stage=2,
        decided_on=CIADT_2010,
        effective_on=CIADT_2010,
        decided_by="CIADT of 11 May 2010",
        reason="label withdrawn after the re-evaluation of group 3",
        decision_ref="CIADT of 11 May 2010",
        source=cite("S26", "X-2010-withdrawn"),
    )
    for slug in WITHDRAWN_2010
)

DECISIONS_2005_2012: tuple[Fact, ...] = (
    *MONDIAL_2005,
    *VOCATION_MONDIALE_2005,
    *NATIONAL_2005,
    *UNTIERED_2005,
    *LATER_STAGE_1,
    *GROUP_3,
    *GROUPS_1_2,
    *ECO_TECH_2010,
    *RENEWALS_2010,
    *PROLONGED_2010,
    *WITHDRAWALS_2010,
)
