"""Label decisions of stages 4 and 5 (2019-2026), as the State and the Regions took them.

Phase IV: 48 four-year and 8 one-year labels on 5 February 2019 [S34][S35]. The
eight one-year labels are named by S34, so a pôle labelled that day and not
among them holds a four-year label. Only pôles a source names are seeded.
A conditional label's end (``valid_until``) is derived from the duration the
decision gives, counted from the decision's day; the conditions say so.
"""

from __future__ import annotations

from datetime import date

from infrastructure.history.clusters import PHASE_IV, PHASE_V, WATER_2024
from infrastructure.history.kinds import Extend, Fact, Grant
from infrastructure.history.sources import cite

PHASE_IV_BY = "Prime Minister, following the State-Regions selection committee"
PHASE_V_BY = "The State with the Regions (announced by Roland Lescure, minister delegate for " \
    "industry)"


def _phase_iv(slug: str, keys: tuple[str, ...], note: str = "") -> Grant:
    suffix = f"; {note}" if note else ""
    return Grant(
        slug=slug,
        stage=4,
        decided_on=PHASE_IV,
        decided_by=PHASE_IV_BY,
        effective_from=PHASE_IV,
        decision_ref=f"phase IV labels of 5 February 2019: four years (2019-2022){suffix}",
        source=cite(*keys, "S34"),
    )


FOUR_YEARS_2019 = (
    _phase_iv("aerospace-valley", ("X-phase4-occitanie",), "all Occitanie pôles renewed"),
    _phase_iv("derbi", ("S51", "X-phase4-occitanie")),
    _phase_iv("agri-sud-ouest-innovation", ("S35",)),
    _phase_iv("eurobiomed", ("S67", "S70"), "as 'Eurobiomed-CBS', joined by Cancer-Bio-Santé"),
    _phase_iv("optitec", ("S67",)),
    _phase_iv("pole-mer-mediterranee", ("S67",)),
    _phase_iv("scs", ("S67",)),
    _phase_iv("capenergies", ("S67", "S51")),
    _phase_iv("safe-cluster", ("S67", "S36")),
    _phase_iv("france-water-team", ("S67", "X-phase4-occitanie", "S69"), "as 'Pôle filière "
              "de l'Eau', the federation of Aqua-Valley, DREAM and Hydreos"),
    _phase_iv("innov-alliance", ("S35", "S67"), "as 'Alimentation Bien-Être Naturalité' "
              "(ABEN), from the merger of Terralia and PASS; later named Innov'Alliance"),
    _phase_iv("axelera", ("S36",)),
    _phase_iv("cara", ("S36",)),
    _phase_iv("lyonbiopole", ("S36",)),
    _phase_iv("techtera", ("S36",)),
    _phase_iv("tenerrdis", ("S36", "S51")),
    _phase_iv("minalogic", ("S36",), "having absorbed part of Imaginove"),
    _phase_iv("cimes", ("S36",), "as CIMES, the grouping of ViaMéca and Mont-Blanc Industries"),
    _phase_iv("vegepolys-valley", ("S35", "S36"), "as 'Pôle Mondial du Végétal', from the "
              "merger project of Végépolys and Céréales Vallée"),
    _phase_iv("nuclear-valley", ("S36",)),
    _phase_iv("plastipolis", ("S36", "X-phase4-plastipolis")),
    _phase_iv("xylofutur", ("S35", "S36")),
    _phase_iv("hippolia", ("S35", "S52")),
    _phase_iv("iar", ("S35", "S64")),
    _phase_iv("qualitropic", ("S35",)),
    _phase_iv("valorial", ("S35",)),
    _phase_iv("vitagora", ("S35",)),
    _phase_iv("i-trans", ("S64",)),
    _phase_iv("nsl", ("S64",)),
    _phase_iv("euramaterials", ("S64", "S41"), "as the UP-TEX + Matikem merger, formally "
              "EuraMaterials from June 2019"),
    _phase_iv("s2e2", ("S51",)),
    _phase_iv("biovalley-france", ("S60",)),
)

ONE_YEAR_2019 = (
    "one-year label (to 4 February 2020, derived from the decision of 5 February 2019), "
    "prolongeable to four years under conditions"
)
MERGE_BY_END_2019 = (
    "encouraged to merge with other pôles or clusters by the end of 2019; progress review "
    "in September 2019"
)


def _one_year_2019(slug: str, condition: str, *keys: str) -> Grant:
    return Grant(
        slug=slug,
        stage=4,
        decided_on=PHASE_IV,
        decided_by=PHASE_IV_BY,
        effective_from=PHASE_IV,
        valid_until=date(2020, 2, 4),
        decision_ref="phase IV labels of 5 February 2019: one year, 'prolongeable à 4 ans sous "
        "conditions'",
        conditions=(ONE_YEAR_2019, condition),
        source=cite("S34", *keys),
    )


ONE_YEAR_LABELS_2019 = (
    _one_year_2019("elastopole", MERGE_BY_END_2019, "S36"),
    _one_year_2019("pmt", MERGE_BY_END_2019, "S53"),
    _one_year_2019("novalog", MERGE_BY_END_2019),
    _one_year_2019("picom", MERGE_BY_END_2019, "S64"),
    _one_year_2019("team2", MERGE_BY_END_2019, "S64"),
    _one_year_2019("atlanpole-biotherapies", "increase its number of members"),
    _one_year_2019("aquimer", "progress on several criteria of the call", "S35", "S64"),
    _one_year_2019("fibres-energivie", "progress on several criteria of the call", "S51"),
)


def _phase_v(slug: str, keys: tuple[str, ...], note: str = "") -> Grant:
    suffix = f"; {note}" if note else ""
    return Grant(
        slug=slug,
        stage=5,
        decided_on=PHASE_V,
        decided_by=PHASE_V_BY,
        effective_from=PHASE_V,
        decision_ref=f"phase V labels of 27 March 2023: four years (2023-2026){suffix}",
        source=cite(*keys),
    )


FOUR_YEARS_2023 = (
    _phase_v("aerospace-valley", ("S9", "S18")),
    _phase_v("agri-sud-ouest-innovation", ("S9",)),
    _phase_v("eurobiomed", ("S5",)),
    _phase_v("optitec", ("S5",)),
    _phase_v("pole-mer-mediterranee", ("S5",)),
    _phase_v("scs", ("S5",)),
    _phase_v("capenergies", ("S5",)),
    _phase_v("safe-cluster", ("S5",)),
    _phase_v("innov-alliance", ("S4", "S5"), "as Innov'Alliance"),
    _phase_v("axelera", ("S4",)),
    _phase_v("cara", ("S4",)),
    _phase_v("cimes", ("S4",)),
    _phase_v("lyonbiopole", ("S4",)),
    _phase_v("minalogic", ("S4",)),
    _phase_v("nuclear-valley", ("S4", "S8")),
    _phase_v("polymeris", ("S4", "S8")),
    _phase_v("techtera", ("S4",)),
    _phase_v("tenerrdis", ("S4",)),
    _phase_v("vegepolys-valley", ("S4", "S7")),
    _phase_v("xylofutur", ("S15", "S4")),
    _phase_v("i-trans", ("S6",)),
    _phase_v("aquimer", ("S6",)),
    _phase_v("iar", ("S6",), "listed as 'Industries et Agro-Ressources'"),
    _phase_v("cap-digital", ("S6",)),
    _phase_v("nsl", ("S6",)),
    _phase_v("atlanpole-biotherapies", ("S7",)),
    _phase_v("emc2", ("S7",)),
    _phase_v("images-et-reseaux", ("S7",)),
    _phase_v("id4mobility", ("S7",)),
    _phase_v("pole-mer-bretagne-atlantique", ("S7",)),
    _phase_v("valorial", ("S7",)),
    _phase_v("pmt", ("S8",), "labelled to 2026"),
    _phase_v("vehicule-du-futur", ("S8",), "labelled to 2026"),
    _phase_v("vitagora", ("S8",), "labelled to 2026"),
    _phase_v("systematic", ("S10",)),
    _phase_v("medicen", ("S11",)),
    _phase_v("cosmetic-valley", ("S12",), "'pour la cinquième fois'"),
    _phase_v("tes", ("S13",)),
    _phase_v("qualitropic", ("S14",)),
    # Weakly sourced: a 2024 article says Avenia 'fait partie de la cinquantaine de pôles
    # labellisés'; neither its day nor its duration is given, so it is recorded with the
    # phase V list of 27 March 2023 and says so.
    _phase_v("avenia", ("S58",), "WEAKLY SOURCED: a 2024 article counts Avenia among the "
             "labelled pôles; the day and duration of its label are not given"),
)


def _short_phase_v(slug: str, until: date, condition: str, *keys: str) -> Grant:
    return Grant(
        slug=slug,
        stage=5,
        decided_on=PHASE_V,
        decided_by=PHASE_V_BY,
        effective_from=PHASE_V,
        valid_until=until,
        decision_ref="phase V labels of 27 March 2023: shorter label, prolongeable to four years",
        conditions=(condition,),
        source=cite("S2", *keys),
    )


ONE_YEAR_2023 = (
    "one-year label (to 26 March 2024, derived from the decision of 27 March 2023), "
    "prolongeable to four years given a consolidated roadmap and business model"
)
TWO_YEARS_2023 = (
    "two-year label (to 26 March 2025, derived from the decision of 27 March 2023), "
    "prolongeable to four years"
)
NEW_POLE_2023 = (
    "new pôle: two-year label (to 26 March 2025, derived from the decision of 27 March 2023), "
    "prolongeable to four years subject to 'une structuration effective'"
)

SHORT_2023 = (
    _short_phase_v("derbi", date(2024, 3, 26), ONE_YEAR_2023, "S9"),
    _short_phase_v("materalia", date(2024, 3, 26), ONE_YEAR_2023, "S9"),
    _short_phase_v("astech", date(2025, 3, 26), TWO_YEARS_2023, "S3"),
    _short_phase_v("fibres-energivie", date(2025, 3, 26), TWO_YEARS_2023),
    _short_phase_v("euramaterials", date(2025, 3, 26), TWO_YEARS_2023, "S6"),
    _short_phase_v("team2", date(2025, 3, 26), TWO_YEARS_2023, "S6"),
    _short_phase_v("enter", date(2025, 3, 26), NEW_POLE_2023, "S16"),
    _short_phase_v("infr2050", date(2025, 3, 26), NEW_POLE_2023, "S17"),
)

# "Early 2024" only: recorded on 1 January 2024, with the precision in the reason.
DERBI_2024 = Extend(
    slug="derbi",
    stage=5,
    decided_on=date(2024, 1, 1),
    # Prolonged to the end of phase V, from 'prolongeable à quatre ans' (derived).
    valid_until=date(2026, 12, 31),
    reason="label regained early 2024 (day not given by the source; reported on 30 January "
    "2024 as just regained), prolonged to the end of phase V",
    conditions=("merge with the regional cluster Cemater",),
    source=cite("S42", "S2"),
)


def _water_2024(slug: str, note: str) -> Grant:
    return Grant(
        slug=slug,
        stage=5,
        decided_on=WATER_2024,
        decided_by="Prime Minister, after the State-Regions selection committee",
        effective_from=WATER_2024,
        decision_ref=f"labelled on 8 January 2024 for 2024-2026, after France Water Team was "
        f"refused in March 2023; {note}",
        source=cite("S19", "S69", "S42"),
    )


WATER_LABELS_2024 = (
    _water_2024("aqua-valley", "Aqua-Valley"),
    _water_2024("aquanova", "'Pôle Eau Nord': DREAM Eau & Milieux and Hydreos, associated"),
)

DECISIONS_2019_2026: tuple[Fact, ...] = (
    *FOUR_YEARS_2019,
    *ONE_YEAR_LABELS_2019,
    *FOUR_YEARS_2023,
    *SHORT_2023,
    DERBI_2024,
    *WATER_LABELS_2024,
)
