"""Where each seeded fact comes from: the [Sx] keys of POLES_HISTORY.md and a few more.

Keys ``S1``..``S87`` are those of the history file; ``X-...`` keys are public pages
found later to pin a day the history file did not give; ``P-...`` keys are slides
of the seed presentation. Every seeded event carries ``cite(...)`` of its keys.
"""

from __future__ import annotations

PRESENTATION = "seed presentation 000_982579d29d37ebf6"

SOURCES: dict[str, str] = {
    "S1": "https://entreprises.gouv.fr/la-dge/actualites/labellisation-de-55-poles-de-competitivite-pour-la-phase-v-2023-2026",
    "S2": "https://www.banquedesterritoires.fr/phase-v-des-poles-de-competitivite-la-saison-de-verite",
    "S3": "https://www.lejournaldesentreprises.com/france/article/quels-sont-les-55-poles-de-competitivite-labellises-par-les-pouvoirs-publics-jusquen-2026-2057938",
    "S4": "https://www.auvergnerhonealpes.fr/actualites/lensemble-des-poles-de-competitivite-de-la-region-labellises-par-letat",
    "S5": "https://massiliamundi.com/sept-poles-de-competitivite-de-region-paca-labellises-pour-la-phase-5",
    "S6": "https://www.lejournaldesentreprises.com/breve/les-sept-poles-de-competitivite-regionaux-voient-leur-labellisation-reconduite-2058073",
    "S7": "https://www.regionsmagazine.com/poles-de-competitivite-cooperation-renforcee/",
    "S8": "https://www.macommune.info/bourgogne-franche-comte-cinq-poles-de-competitivite-labellises-par-letat",
    "S9": "https://objectif-languedoc-roussillon.latribune.fr/innovation/2023-03-28/poles-de-competitivite-en-occitanie-france-water-team-recale-derbi-labellise-sous-conditions-956967.html",
    "S10": "https://systematic-paris-region.org/systematic-paris-region-a-nouveau-labellise-par-letat-dans-le-cadre-de-la-phase-v-des-poles-de-competitivite",
    "S11": "https://medicen.org/blog/2023/03/28/labellisation-phase-v-par-le-ministere-de-leconomie",
    "S12": "https://www.premiumbeautynews.com/fr/labellisation-renouvelee-pour-le,21780",
    "S13": "https://www.aefinfo.fr/depeche/690211",
    "S14": "https://outremers360.com/bassin-indien-appli/la-reunion-elisabeth-borne-renouvelle-la-labellisation-pole-de-competitivite-pour-lassociation-qualitropic",
    "S15": "https://xylofutur.fr/qui-sommes-nous/feuille-de-route",
    "S16": "https://educavox.fr/accueil/des-breves/enter-le-nouveau-pole-de-competitivite-en-nouvelle-aquitaine-dans-le-domaine-du-numerique-responsable",
    "S17": "https://www.techniques-ingenieur.fr/actualite/articles/infr2050-un-nouveau-pole-de-competitivite-dedie-aux-routes-et-infrastructures-decarbonees-129812/",
    "S18": "https://toulouse.latribune.fr/entreprises/business/2023-03-28/aeronautique-aerospace-valley-reconduit-sa-labellisation-pour-quatre-ans-et-fourmille-d-idees-pour-la-filiere-956841.html",
    "S19": "https://liti.fr/?p=12478",
    "S20": "https://senat.fr/rap/a07-093-5/a07-093-53.html",
    "S21": "https://amp.agoravox.fr/enquetes-participatives/l-obligation-vaccinale-est-elle/actualites/info-locale/actualites/info-locale/article/pole-de-competitivite-ii-1553",
    "S22": "http://competitivite.gouv.fr/retour-sur-la-journee-dechanges-entre-les-poles-et-le-gti-du-10-juillet-2007/cinq-nouveaux-poles-de-competitivite-labellises-par-le-ciact-du-5-juillet-2007-542.html",
    "S23": "https://www.challenges.fr/entreprise/fillon-labellise-5-nouveaux-poles-de-competitivite_385493",
    "S24": "https://www.lagazettedescommunes.com/18778/",
    "S25": "https://competitivite.gouv.fr/2009-2012/l-evaluation-de-la-phase-2/suites-de-l-evaluation-des-71-poles-809.html",
    "S26": "https://www.actu-environnement.com/ae/news/six-nouveaux-poles-competitivite-label-ecotechnologies-10224.php4",
    "S28": "https://banquedesterritoires.fr/boston-consulting-group-et-cm-international-choisis-pour-levaluation-des-poles-de-competitivite",
    "S29": "https://france3-regions.francetvinfo.fr/nouvelle-aquitaine/2012/08/01/le-ministere-du-redressement-productif-juge-performants-deux-poles-de-competitivite-limousins-61019.html",
    "S30": "http://docplayer.fr/328890-Etude-portant-sur-l-evaluation-des-poles-de-competitivite.html",
    "S31": "http://www.en-liens.fr/2013/10/28/pole-mer-bretagne-vaisseau-amiral-croissance-bleue/",
    "S32": "https://vipress.net/lappel-a-candidatures-pour-la-reforme-des-poles-de-competitivite-est-ouvert",
    "S33": "http://apostrophe45.fr/economie/les-pôles-de-compétitivité-sommés-d’être-plus-compétitifs",
    "S34": "https://www.usinenouvelle.com/editorial/la-liste-des-48-poles-de-competitivite-selectionnes-et-8-repeches.N802280",
    "S35": "https://agriculture.gouv.fr/resultats-de-lappel-candidatures-pour-la-phase-iv-de-la-politique-des-poles-de-competitivite-2019",
    "S36": "https://region-aura.latribune.fr/en-bref/2019-02-06/pole-de-competitivite-phase-iv-les-acteurs-regionaux-preserves-806523.html",
    "S37": "https://enviscope.com/caoutchoucs-plastiques-composites-elastopole-et-plastipolis-creent-le-pole-de-competivite-polymeris",
    "S38": "https://www.latribune.fr/entreprises-finance/industrie/automobile/mobilites-pourquoi-le-normand-moveo-devient-nextmove-871956.html",
    "S39": "https://supplychainmagazine.fr/nl/2020/3204/clap-de-fin-pour-le-pole-de-competitivite-normand-nov-at-log-625655.php",
    "S40": "https://environnement-magazine.fr/eau/article/2019/09/13/125852/",
    "S41": "https://fr.wikipedia.org/wiki/Up-Tex",
    "S42": "https://objectif-languedoc-roussillon.latribune.fr/economie/recherche/2024-01-30/france-water-team-dissous-aqua-valley-renait-de-ses-cendres-989209.html",
    "S50": "https://pro.orange.fr/lemag/les-poles-de-competitivite-ont-draine-plus-de-55-milliards-d-euros-en-vingt-ans-CNT000002dAOQ9.html",
    "S51": "https://www.greenunivers.com/2019/02/56-poles-de-competitivite-reconduits-par-le-gouvernement-197301/",
    "S52": "https://www.lejournaldesentreprises.com/normandie/article/les-ambitions-des-trois-poles-de-competitivite-normands-147824",
    "S53": "https://aer-bfc.com/labellisation-des-poles-de-competitivite-de-bourgogne-franche-comte",
    "S57": "http://www.prefectures-regions.gouv.fr/centre-val-de-loire/Region-et-institutions/L-action-de-l-Etat/Economie-entreprises-emploi-et-finances-publiques/Les-poles-de-competitivite",
    "S58": "https://www.latribune.fr/green-business/l-actualite/1023169/avenia-prepare-la-transition-energetique.html",
    "S59": "http://objectifaquitaine.latribune.fr/innovation/2016-12-09/les-poles-route-des-lasers-et-elopsys-fusionnent.html",
    "S60": "https://www.techniques-ingenieur.fr/actualite/articles/biovalley-france-un-cluster-trinational-unique-en-europe-au-service-de-la-filiere-sante-134312/",
    "S64": "https://www.eco121.fr/innovation-trois-poles-de-competitivite-sous-surveillance/",
    "S65": "https://www.reussir.fr/lesmarches/12-poles-de-competitivite-agroalimentaires-retenus",
    "S66": "https://lawinsider.com/fr/contracts/ihfUTKO6qaY",
    "S67": "http://www.webtimemedias.com/article/region-sud-ses-8-poles-de-competitivite-labellises-phase-iv-20190207-63752",
    "S69": "https://revue-ein.com/actualite/les-poles-de-competitivite-eau-se-reorganisent",
    "S70": "https://biotechinfo.fr/article/semaine-decisive/",
    "S71": "https://fr.wikipedia.org/wiki/P%C3%B4les_de_comp%C3%A9titivit%C3%A9_dans_les_Pays_de_la_Loire",
    "S72": "http://www.fibres-energivie.eu/en/nouvelle-feuille-de-route-pour-le-pole",
    "S73": "https://www.cara.eu/fr/ouverture-des-candidature-pour-la-phase-5-des-poles-de-competitivite/",
    "S75": "http://www.greenunivers.com/2010/05/six-nouveaux-poles-eco-technologiques-en-france-36317/",
    "S78": "https://pole-franco-allemand.de/fr/france-56-poles-de-competitivite-officiellement-reconnus",
    "S87": "http://www.agrisudouest.fr/2017/07/12/agri-sud-ouest-innovation-fusionne-avec-qualimediterranee-2/",
    # Found later, to pin days and identities the history file left open.
    "X-2008-groups": "http://old.lafranceagricole.fr/actualite-agricole/poles-de-competitivite-prometteurs-mais-a-ameliorer-dans-certains-cas-rapport-2666.html",
    "X-2005-cosmetic": "https://chatpfe.com/poles-de-competitivite-et-specialisation-des-agglomerations-du-val-de-loire",
    "X-2005-contrats": "https://batiactu.com/edito/neuf-poles-competitivite-supplementaires-retenus-1857.php",
    "X-safe-merger": "http://www.go-met.com/pegase-risques-safe/",
    "X-safe-merger-held": "https://infoavignon.com/2016/01/06/les-nouvelles-perspectives-du-pole-pegase-situe-a-laeroport-davignon",
    "X-qualimed-merger": "http://www.touleco.fr/Agri-Sud-Ouest-Innovation-veut-transformer-ses-projets-de,22319",
    "X-advancity-merger": "https://alliancy.fr/cap-digital-pour-la-transition-numerique-et-ecologique",
    "X-phase4-occitanie": "https://www.occitanie.cci.fr/moins-de-poles-plus-de-competitivite",
    "X-phase4-plastipolis": "https://www.usinenouvelle.com/article/pole-de-competitivite-polymeris-prend-la-releve.N1216367",
    "X-fwt-created": "https://revue-ein.com/actualite/les-poles-de-competitivite-de-la-filiere-fran-aise-de-l-eau-se-regroupent",
    "X-aquanova-named": "https://environnement-magazine.fr/eau/article/2024/02/07/147658/aquanova-pole-eau-loire-rhin",
    "X-2010-withdrawn": "https://www.le7.info/article/10478-le-pole-des-eco-industries-prive-de-label",
}

SLIDES: dict[str, str] = {
    "P-progress": f"{PRESENTATION}, slide 'Progress toward excellence'",
    "P-europe": f"{PRESENTATION}, slide 'European initiatives and outcomes'",
    "P-criteria": f"{PRESENTATION}, slide 'French clusters – pôles de compétitivité' (criteria)",
    "P-2023": f"{PRESENTATION}, slide 'French clusters – pôles de compétitivité' (In 2023)",
}


def cite(*keys: str) -> str:
    """The source text of an event: the URLs (or slide references) of its keys."""
    if not keys:
        msg = "a seeded fact needs at least one source"
        raise ValueError(msg)
    return " ; ".join(SOURCES.get(key) or SLIDES[key] for key in keys)
