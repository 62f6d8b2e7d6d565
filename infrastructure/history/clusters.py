"""The slug table: every pôle the sources give a fact for, and when it enters the ledger.

A cluster is registered on the day of the first sourced fact the seed records
about it, not on a founding date (``founded_on`` stays empty: no source gives a
founding day). It is registered under the name the sources use for it; when a
decision used another name, that name is kept in the decision's reference, and a
renaming is recorded only where a source gives its day.
"""

from __future__ import annotations

from datetime import date

from infrastructure.history.kinds import Register
from infrastructure.history.sources import cite

CIADT_2005 = date(2005, 7, 12)
CIACT_2006 = date(2006, 3, 6)
CIACT_2007 = date(2007, 7, 5)
# First encoded fact of the pôles known only from the 2008 evaluation: their
# stage-2 label, effective on the first (represented) day of stage 2.
STAGE_2_START = date(2009, 1, 1)
CIADT_2010 = date(2010, 5, 11)
PHASE_IV = date(2019, 2, 5)
PHASE_V = date(2023, 3, 27)
WATER_2024 = date(2024, 1, 8)

ARA = "Auvergne-Rhône-Alpes"
BFC = "Bourgogne-Franche-Comté"
HDF = "Hauts-de-France"
IDF = "Île-de-France"
NAQ = "Nouvelle-Aquitaine"
PACA = "Provence-Alpes-Côte d'Azur"
PDL = "Pays de la Loire"


def _r(
    slug: str,
    name: str,
    on: date,
    keys: tuple[str, ...],
    regions: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    website: str | None = None,
) -> Register:
    return Register(
        slug=slug,
        name=name,
        registered_on=on,
        regions=regions,
        themes=themes,
        website=website,
        source=cite(*keys),
    )


FIRST_WAVE = (
    _r("aerospace-valley", "Aerospace Valley", CIADT_2005, ("S21", "S18"),
       ("Occitanie", NAQ), ("aéronautique", "espace", "systèmes embarqués", "drones")),
    _r("lyonbiopole", "Lyonbiopôle", CIADT_2005, ("S21", "S4"), (ARA,), ("santé",)),
    _r("minalogic", "Minalogic", CIADT_2005, ("S21", "S4"), (ARA,), ("numérique", "électronique")),
    _r("medicen", "Medicen Paris Region", CIADT_2005, ("S21", "S11"), (IDF,), ("santé",),
       "medicen.org"),
    _r("systematic", "Systematic Paris-Region", CIADT_2005, ("S21", "S10"), (IDF,),
       ("deep tech", "numérique"), "systematic-paris-region.org"),
    _r("scs", "SCS (Solutions Communicantes Sécurisées)", CIADT_2005, ("S21", "S5"), (PACA,),
       ("micro-électronique", "cybersécurité", "IoT", "IA")),
    _r("biovalley-france", "BioValley France", CIADT_2005, ("S21", "S60"), ("Grand Est",),
       ("santé",)),
    _r("i-trans", "i-Trans", CIADT_2005, ("S21", "S6"), (HDF,), ("mobilités", "ferroviaire")),
    _r("iar", "Industries et Agro-Ressources (IAR)", CIADT_2005, ("S21", "S65", "S6"),
       (HDF, "Grand Est"), ("bioéconomie", "agro-ressources")),
    _r("vegepolys-valley", "Végépolys Valley", CIADT_2005, ("S21", "S65", "S4"), (PDL, ARA),
       ("végétal", "agriculture", "agroalimentaire")),
    _r("pole-mer-bretagne-atlantique", "Pôle Mer Bretagne Atlantique", CIADT_2005,
       ("S21", "S7"), ("Bretagne", PDL), ("mer", "maritime")),
    _r("pole-mer-mediterranee", "Pôle Mer Méditerranée", CIADT_2005, ("S21", "S5"),
       (PACA, "Occitanie"), ("mer", "maritime")),
    _r("images-et-reseaux", "Images & Réseaux", CIADT_2005, ("S21", "S7"), ("Bretagne", PDL),
       ("numérique",)),
    _r("axelera", "Axelera", CIADT_2005, ("S21", "S4"), (ARA,), ("chimie", "environnement")),
    _r("cap-digital", "Cap Digital", CIADT_2005, ("S21", "S6"), (IDF, HDF), ("numérique",)),
    _r("aquimer", "Aquimer", CIADT_2005, ("S65", "S6"), (HDF,), ("produits de la mer",)),
    _r("vitagora", "Vitagora", CIADT_2005, ("S65", "S24", "S8"), (BFC,), ("agroalimentaire",)),
    _r("qualimediterranee", "Qualiméditerranée", CIADT_2005, ("S65", "S26", "S87"),
       ("Languedoc-Roussillon",), ("agrotechnologies durables",)),
    _r("prod-innov", "Prod'Innov", CIADT_2005, ("S65", "S24"), ("Aquitaine",),
       ("agroalimentaire",)),
    _r("valorial", "Valorial", CIADT_2005, ("S65", "S7"), ("Bretagne", PDL),
       ("agroalimentaire",)),
    _r("nsl", "Nutrition Santé Longévité (NSL)", CIADT_2005, ("S65", "S24", "S6"), (HDF,),
       ("nutrition-santé",)),
    _r("xylofutur", "Xylofutur", CIADT_2005, ("S24", "S66", "S15"), (NAQ,),
       ("forêt", "bois", "papier"), "xylofutur.fr"),
    _r("hippolia", "Hippolia", CIADT_2005, ("S24", "S52"), ("Normandie",), ("filière équine",)),
    _r("elopsys", "Elopsys", CIADT_2005, ("S24", "S59"), ("Limousin",),
       ("électronique", "hyperfréquences")),
    _r("enfant", "Enfant", CIADT_2005, ("S24", "S26"), (PDL,)),
    _r("cosmetic-valley", "Cosmetic Valley", CIADT_2005, ("X-2005-cosmetic", "S57"),
       ("Centre-Val de Loire", "Normandie", IDF), ("parfumerie", "cosmétique")),
    _r("s2e2", "S2E2 (Sciences et Systèmes de l'Énergie Électrique)", CIADT_2005,
       ("S57", "X-2005-cosmetic"), ("Centre-Val de Loire",), ("énergie électrique",)),
    _r("atlanpole-biotherapies", "Atlanpole Biothérapies", CIADT_2005, ("S71", "S7"), (PDL,),
       ("biothérapies", "santé")),
    _r("emc2", "EMC2", CIADT_2005, ("S71", "S7"), (PDL,),
       ("technologies de production avancées",)),
    _r("normandy-motor-valley", "Normandy Motor Valley", CIADT_2005, ("S24", "S20"),
       ("Normandie",), ("automobile",)),
    _r("vestapolis", "Vestapolis", CIADT_2005, ("S24", "S20"), (IDF,), ("automobile",)),
)

LATER_WAVES = (
    _r("nextmove", "Mov'eo", CIACT_2006, ("S20", "S38"), ("Normandie", IDF),
       ("automobile", "mobilités"), "nextmove.fr"),
    _r("orpheme", "Orpheme", CIACT_2006, ("S20",)),
    _r("finance-innovation", "Finance Innovation", CIACT_2007, ("S22",), (IDF,),
       ("finance", "assurance")),
    _r("agri-sud-ouest-innovation", "Agri Sud-Ouest Innovation", CIACT_2007, ("S22", "S87"),
       ("Occitanie", NAQ), ("agriculture", "agroalimentaire"), "agrisudouest.fr"),
    _r("elastopole", "Elastopôle", CIACT_2007, ("S22", "S57"),
       ("Centre-Val de Loire", "Auvergne", IDF, PDL), ("caoutchouc",)),
    _r("astech", "ASTech Paris Region", CIACT_2007, ("S22", "S3"), (IDF,),
       ("aéronautique", "espace")),
    _r("pegase", "Pégase", CIACT_2007, ("S22", "X-safe-merger"), (PACA,),
       ("aéronautique", "espace")),
)

GROUPED_IN_2008 = (
    _r("novalog", "Nov@log", STAGE_2_START, ("S25", "S26"), ("Normandie",), ("logistique",)),
    _r("matikem", "Matikem", STAGE_2_START, ("S25", "S26", "S64"), ("Nord-Pas-de-Calais",),
       ("matériaux",)),
    _r("pass", "PASS (Parfums, Arômes, Senteurs, Saveurs)", STAGE_2_START,
       ("S25", "S26", "X-2008-groups"), (PACA,), ("parfums", "arômes")),
    _r("nucleaire-bourgogne", "Nucléaire Bourgogne", STAGE_2_START, ("S25", "S26"),
       ("Bourgogne",), ("énergie nucléaire",)),
    _r("mta", "Mobilité et Transports Avancés (MTA)", STAGE_2_START, ("S25", "S26"),
       ("Poitou-Charentes",), ("mobilité", "transports")),
    _r("innoviandes", "Innoviandes", STAGE_2_START, ("S25", "S26", "X-2008-groups"),
       ("Auvergne",), ("viandes",)),
    _r("sporaltec", "Sporaltec", STAGE_2_START, ("S25", "S26"), ("Rhône-Alpes",)),
    _r("genie-civil-eco-construction", "Génie Civil Éco-construction", STAGE_2_START,
       ("S25", "S26"), (PDL,), ("génie civil", "éco-construction")),
    _r("tenerrdis", "Tenerrdis", STAGE_2_START, ("S25", "X-2008-groups", "S4"), (ARA,),
       ("énergie",)),
    _r("cereales-vallee", "Céréales Vallée", STAGE_2_START, ("S25", "X-2008-groups", "S35"),
       ("Auvergne",), ("céréales",)),
    _r("fibres-grand-est", "Fibres Grand'Est", STAGE_2_START, ("S25", "X-2008-groups", "S72"),
       ("Grand Est",), ("matériaux",)),
)

ECO_TECH_2010 = (
    _r("aqua-valley", "Aqua-Valley", CIADT_2010, ("S26", "S69"), ("Occitanie", PACA), ("eau",)),
    _r("hydreos", "Hydreos", CIADT_2010, ("S26", "S69"), ("Grand Est",), ("eau",)),
    _r("dream", "DREAM Eau & Milieux", CIADT_2010, ("S26", "S69"), ("Centre-Val de Loire",),
       ("eau",)),
    _r("avenia", "Avenia", CIADT_2010, ("S26", "S58"), (NAQ,),
       ("géosciences", "sous-sol", "énergie")),
    _r("team2", "Team²", CIADT_2010, ("S26", "S6"), (HDF,),
       ("économie circulaire", "déchets", "sols pollués")),
    _r("energivie", "Alsace Energivie", CIADT_2010, ("S26", "S72"), ("Alsace",),
       ("bâtiment durable",)),
)

CONSOLIDATIONS = (
    # "Early 2015" only: registered with the merger it records, on 1 January 2015.
    _r("fibres-energivie", "Fibres-Energivie", date(2015, 1, 1), ("S72", "S51"), ("Grand Est",),
       ("matériaux", "bâtiment durable"), "fibres-energivie.eu"),
    _r("risques", "Risques", date(2015, 12, 18), ("X-safe-merger", "X-safe-merger-held")),
    _r("safe-cluster", "SAFE Cluster", date(2015, 12, 18), ("X-safe-merger", "S5"), (PACA, ARA),
       ("aérospatial", "sécurité", "défense", "risques")),
    _r("route-des-lasers", "Route des Lasers", date(2016, 12, 8), ("S59",), ("Aquitaine",),
       ("photonique", "laser")),
    _r("alpha-rlh", "ALPHA-RLH (Route des Lasers & des Hyperfréquences)", date(2016, 12, 8),
       ("S59",), (NAQ,), ("photonique-laser", "électronique-hyperfréquences")),
    # "May 2018" only: registered with the merger it records, on 1 May 2018.
    _r("advancity", "Advancity", date(2018, 5, 1), ("X-advancity-merger", "S51"), (IDF,),
       ("ville durable",)),
)

PHASE_IV_NEWCOMERS = (
    _r("derbi", "DERBI", PHASE_IV, ("S51", "X-phase4-occitanie", "S9"), ("Occitanie",),
       ("énergies renouvelables",)),
    _r("eurobiomed", "Eurobiomed", PHASE_IV, ("S67", "S5"), (PACA, "Occitanie"), ("santé",)),
    _r("optitec", "Optitec", PHASE_IV, ("S67", "S5"), (PACA, "Occitanie"),
       ("photonique", "imagerie")),
    _r("capenergies", "Capenergies", PHASE_IV, ("S67", "S51", "S5"), (PACA,), ("énergie",)),
    _r("innov-alliance", "Innov'Alliance", PHASE_IV, ("S35", "S67", "S4"), (PACA, ARA),
       ("agriculture", "agroalimentaire", "naturalité")),
    _r("cara", "CARA", PHASE_IV, ("S36", "S4", "S73"), (ARA,), ("mobilité", "transport"),
       "cara.eu"),
    _r("cimes", "CIMES", PHASE_IV, ("S36", "S4"), (ARA,),
       ("mécanique", "métallurgie", "machines", "robotique")),
    _r("viameca", "ViaMéca", PHASE_IV, ("S36",), (ARA,), ("mécanique",)),
    _r("mont-blanc-industries", "Mont-Blanc Industries", PHASE_IV, ("S36",), (ARA,),
       ("mécanique",)),
    _r("nuclear-valley", "Nuclear Valley", PHASE_IV, ("S36", "S4"), (ARA, BFC),
       ("énergie nucléaire",)),
    _r("plastipolis", "Plastipolis", PHASE_IV, ("S36", "X-phase4-plastipolis"), (ARA, BFC),
       ("plasturgie", "composites")),
    _r("techtera", "Techtera", PHASE_IV, ("S36", "S4"), (ARA,), ("textile",)),
    _r("qualitropic", "Qualitropic", PHASE_IV, ("S35", "S14"), ("La Réunion",),
       ("bioéconomie tropicale",), "qualitropic.fr"),
    _r("euramaterials", "EuraMaterials", PHASE_IV, ("S64", "S41", "S6"), (HDF,),
       ("transformation des matériaux",), "euramaterials.eu"),
    _r("up-tex", "UP-TEX", PHASE_IV, ("S64", "S41"), ("Nord-Pas-de-Calais",), ("textile",)),
    _r("picom", "PICOM", PHASE_IV, ("S34", "S64"), (HDF,), ("commerce",)),
    _r("pmt", "Pôle des Microtechniques (PMT)", PHASE_IV, ("S34", "S8"), (BFC,),
       ("microtechniques",)),
    _r("france-water-team", "Pôle de compétitivité de la filière de l'eau", PHASE_IV,
       ("S67", "X-phase4-occitanie", "S69"), ("Occitanie", PACA, "Centre-Val de Loire",
                                              "Grand Est"), ("eau",)),
    _r("polymeris", "Polymeris", date(2020, 12, 18), ("S37",), (ARA, BFC, "Centre-Val de Loire"),
       ("caoutchoucs", "plastiques", "composites")),
)

PHASE_V_NEWCOMERS = (
    _r("infr2050", "Infr@2050", PHASE_V, ("S2", "S17", "S4"), (ARA, BFC),
       ("infrastructures", "travaux publics", "décarbonation")),
    _r("enter", "ENTER", PHASE_V, ("S2", "S16"), (NAQ,), ("numérique responsable",)),
    _r("id4mobility", "ID4Mobility", PHASE_V, ("S7",), (PDL, "Bretagne"),
       ("mobilités", "véhicules")),
    _r("vehicule-du-futur", "Pôle Véhicule du Futur", PHASE_V, ("S8",), (BFC, "Grand Est"),
       ("automobile", "mobilités")),
    _r("materalia", "Materalia", PHASE_V, ("S2", "S9"), ("Grand Est",),
       ("matériaux et procédés",)),
    _r("tes", "TES", PHASE_V, ("S13",), ("Normandie",),
       ("numérique", "transactions sécurisées")),
    # Labelled on 8 January 2024 as the associated pair; named aquanova on 31 January.
    _r("aquanova", "DREAM Eau & Milieux – HYDREOS", WATER_2024, ("S19", "S69"),
       ("Centre-Val de Loire", "Grand Est"), ("eau",)),
)

REGISTRATIONS = (
    *FIRST_WAVE,
    *LATER_WAVES,
    *GROUPED_IN_2008,
    *ECO_TECH_2010,
    *CONSOLIDATIONS,
    *PHASE_IV_NEWCOMERS,
    *PHASE_V_NEWCOMERS,
)
