"""Synthetic listings for the import/merge benchmark: two overlapping sources in memory.

``generate_batches(n, dup_rate, seed)`` builds :mod:`importers.records` objects directly
(no files, no readers): ``n`` listings in total, split over source A and source B, where
``round(n * dup_rate)`` of B's listings are cross-source duplicates of A listings with
realistic mangling (legal form, case, a typo, phone notation, street abbreviation, missing
e-mail or KBO number, coordinates a few metres off). A listing is one organisation + one
location + one service. The ground truth says which B ids duplicate which A ids, so a
benchmark can check that the merge ends with ``n - duplicates`` listings.

All names, addresses, phone numbers, e-mail addresses and enterprise numbers are invented
(fictional benchmark data). Postcode centroids: about 200 rows of jief/zipcode-belgium
(see NOTICE.md).
"""

from __future__ import annotations

import gc
import math
import random
from dataclasses import dataclass
from dataclasses import field
from typing import NamedTuple

from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn

# (postcode, place, latitude, longitude): every ~6th postcode of jief/zipcode-belgium
# (first row of each postcode, rounded to 5 decimals), so all provinces are covered.
POSTCODES: tuple[tuple[str, str, float, float], ...] = (
    ("1000", "Bruxelles", 50.84656, 4.35170),
    ("1070", "Anderlecht", 50.83814, 4.31234),
    ("1090", "Jette", 50.87776, 4.32609),
    ("1170", "Watermael-Boitsfort", 50.79939, 4.41582),
    ("1301", "Bierges", 50.71118, 4.58940),
    ("1331", "Rosières", 50.73713, 4.54631),
    ("1348", "Louvain-La-Neuve", 50.67417, 4.61416),
    ("1380", "Couture-Saint-Germain", 50.66281, 4.48257),
    ("1410", "Waterloo", 50.71736, 4.39780),
    ("1440", "Braine-Le-Château", 50.68088, 4.26667),
    ("1470", "Baisy-Thy", 50.60402, 4.48808),
    ("1480", "Clabecq", 50.68937, 4.22141),
    ("1540", "Herfelingen", 50.74773, 4.09749),
    ("1601", "Ruisbroek", 50.78486, 4.29861),
    ("1650", "Beersel", 50.76844, 4.30513),
    ("1671", "Elingen", 50.77935, 4.17420),
    ("1703", "Schepdaal", 50.83631, 4.19515),
    ("1745", "Mazenzele", 50.94288, 4.17176),
    ("1770", "Liedekerke", 50.87113, 4.08608),
    ("1830", "Machelen", 50.91242, 4.43536),
    ("1853", "Strombeek-Bever", 50.91096, 4.34236),
    ("1932", "Sint-Stevens-Woluwe", 50.86624, 4.43599),
    ("1981", "Hofstade", 50.99390, 4.50425),
    ("2040", "Antwerpen", 51.22111, 4.39971),
    ("2140", "Borgerhout", 51.21030, 4.44039),
    ("2220", "Hallaar", 51.08756, 4.71911),
    ("2235", "Houtvenne", 51.04605, 4.80129),
    ("2270", "Herenthout", 51.13924, 4.75440),
    ("2310", "Rijkevorsel", 51.34950, 4.76071),
    ("2330", "Merksplas", 51.35806, 4.86275),
    ("2380", "Ravels", 51.38086, 5.01981),
    ("2430", "Eindhout", 51.10171, 4.99729),
    ("2480", "Dessel", 51.23957, 5.11324),
    ("2531", "Vremde", 51.17531, 4.52262),
    ("2570", "Duffel", 51.09572, 4.50620),
    ("2627", "Schelle", 51.12456, 4.33619),
    ("2801", "Heffen", 51.05194, 4.41248),
    ("2845", "Niel", 51.10986, 4.33034),
    ("2880", "Bornem", 51.09246, 4.24233),
    ("2940", "Hoevenen", 51.30662, 4.40470),
    ("3000", "Leuven", 50.88125, 4.69299),
    ("3040", "Huldenberg", 50.79509, 4.58286),
    ("3054", "Vaalbeek", 50.82408, 4.68527),
    ("3080", "Duisburg", 50.81105, 4.54521),
    ("3128", "Baal", 51.00753, 4.75054),
    ("3200", "Aarschot", 50.98416, 4.82457),
    ("3212", "Pellenberg", 50.87211, 4.78941),
    ("3290", "Deurne", 51.03924, 5.09646),
    ("3350", "Drieslinter", 50.84486, 5.05335),
    ("3390", "Houwaart", 50.93414, 4.86060),
    ("3440", "Budingen", 50.86535, 5.08712),
    ("3471", "Hoeleden", 50.86681, 5.00146),
    ("3511", "Kuringen", 50.94394, 5.30520),
    ("3550", "Heusden", 51.04153, 5.28355),
    ("3582", "Koersel", 51.06979, 5.27116),
    ("3630", "Eisden", 50.98630, 5.71285),
    ("3668", "Niel-Bij-As", 51.01825, 5.61617),
    ("3720", "Kortessem", 50.86195, 5.37700),
    ("3730", "Hoeselt", 50.85008, 5.48653),
    ("3790", "Fouron-Saint-Martin", 50.74088, 5.84293),
    ("3803", "Duras", 50.83411, 5.14616),
    ("3850", "Binderveld", 50.86548, 5.16845),
    ("3910", "Neerpelt", 51.22897, 5.43144),
    ("3950", "Bocholt", 51.19248, 5.59956),
    ("4000", "Glain", 50.64820, 5.54186),
    ("4041", "Milmort", 50.69046, 5.59292),
    ("4053", "Embourg", 50.58936, 5.61920),
    ("4122", "Plainevaux", 50.54468, 5.52150),
    ("4162", "Hody", 50.48692, 5.50099),
    ("4190", "Ferrières", 50.39995, 5.60514),
    ("4250", "Boëlhe", 50.68419, 5.16792),
    ("4261", "Latinne", 50.62420, 5.16324),
    ("4340", "Awans", 50.66697, 5.46200),
    ("4360", "Bergilers", 50.71454, 5.32771),
    ("4431", "Loncin", 50.66515, 5.50273),
    ("4458", "Fexhe-Slins", 50.72192, 5.57146),
    ("4530", "Fize-Fontaine", 50.58498, 5.28351),
    ("4570", "Marchin", 50.48021, 5.22634),
    ("4602", "Cheratte", 50.68281, 5.67016),
    ("4621", "Retinne", 50.63030, 5.69782),
    ("4633", "Melen", 50.64608, 5.73705),
    ("4670", "Blégny", 50.67272, 5.72524),
    ("4682", "Heure-Le-Romain", 50.73170, 5.62956),
    ("4710", "Lontzen", 50.68042, 6.00734),
    ("4731", "Eynatten", 50.69359, 6.08170),
    ("4780", "Recht", 50.33493, 6.04313),
    ("4791", "Thommen", 50.21906, 6.07434),
    ("4830", "Limbourg", 50.61228, 5.94030),
    ("4845", "Jalhay", 50.55925, 5.96475),
    ("4870", "Forêt", 50.58400, 5.70024),
    ("4910", "La Reid", 50.48946, 5.79057),
    ("4983", "Basse-Bodeux", 50.35797, 5.82679),
    ("5003", "Saint-Marc", 50.49487, 4.84696),
    ("5030", "Beuzet", 50.53298, 4.74816),
    ("5080", "Emines", 50.51573, 4.82796),
    ("5170", "Arbre", 50.36553, 4.82063),
    ("5333", "Sorinne-La-Longue", 50.38969, 5.02944),
    ("5353", "Goesnes", 50.44010, 5.22178),
    ("5363", "Emptinne", 50.32539, 5.12125),
    ("5377", "Baillonville", 50.28876, 5.33821),
    ("5504", "Foy-Notre-Dame", 50.24718, 4.98971),
    ("5530", "Dorinne", 50.31734, 4.97325),
    ("5543", "Heer", 50.16170, 4.83175),
    ("5562", "Custinne", 50.21177, 5.04842),
    ("5573", "Martouzin-Neuville", 50.11761, 5.00395),
    ("5600", "Fagnolle", 50.10502, 4.57037),
    ("5641", "Furnaux", 50.30800, 4.70553),
    ("5670", "Dourbes", 50.09136, 4.59145),
    ("6030", "Goutroux", 50.41684, 4.36119),
    ("6043", "Ransart", 50.45616, 4.48157),
    ("6111", "Landelies", 50.37782, 4.34964),
    ("6180", "Courcelles", 50.46016, 4.37634),
    ("6211", "Mellet", 50.50462, 4.47820),
    ("6230", "Buzet", 50.53893, 4.37131),
    ("6440", "Boussu-Lez-Walcourt", 50.22628, 4.37677),
    ("6464", "Baileux", 50.02985, 4.37553),
    ("6532", "Ragnies", 50.30820, 4.28377),
    ("6543", "Bienne-Lez-Happart", 50.35121, 4.21558),
    ("6592", "Monceau-Imbrechies", 50.03645, 4.22412),
    ("6637", "Fauvillers", 49.85093, 5.66503),
    ("6663", "Mabompré", 50.09893, 5.73845),
    ("6674", "Montleban", 50.18760, 5.82889),
    ("6688", "Longchamps", 50.05354, 5.68925),
    ("6706", "Autelbas", 49.64996, 5.86757),
    ("6730", "Bellefontaine", 49.66495, 5.49791),
    ("6750", "Musson", 49.55808, 5.70588),
    ("6769", "Gérouville", 49.61843, 5.42879),
    ("6792", "Halanzy", 49.55904, 5.74225),
    ("6820", "Florenville", 49.69932, 5.31005),
    ("6832", "Sensenruth", 49.82540, 5.07388),
    ("6840", "Grandvoir", 49.85760, 5.37180),
    ("6860", "Assenois", 49.80300, 5.46254),
    ("6920", "Sohier", 50.06859, 5.07025),
    ("6940", "Durbuy", 50.35241, 5.45625),
    ("6953", "Ambly", 50.14418, 5.31423),
    ("6982", "Samrée", 50.20926, 5.63948),
    ("6997", "Amonines", 50.26552, 5.55715),
    ("7022", "Harmignies", 50.40764, 4.01779),
    ("7033", "Cuesmes", 50.43617, 3.92067),
    ("7061", "Casteau", 50.51302, 4.00313),
    ("7100", "Haine-Saint-Paul", 50.45494, 4.18831),
    ("7134", "Epinois", 50.40498, 4.20937),
    ("7180", "Seneffe", 50.52506, 4.26646),
    ("7320", "Bernissart", 50.47550, 3.65047),
    ("7333", "Tertre", 50.46731, 3.80817),
    ("7382", "Audregnies", 50.38301, 3.71778),
    ("7502", "Esplechin", 50.57439, 3.30381),
    ("7522", "Blandain", 50.62497, 3.30350),
    ("7536", "Vaulx", 50.58989, 3.42617),
    ("7600", "Péruwelz", 50.50979, 3.59089),
    ("7608", "Wiers", 50.50867, 3.53303),
    ("7622", "Laplaigne", 50.52296, 3.44186),
    ("7643", "Fontenoy", 50.56789, 3.47337),
    ("7742", "Hérinnes-Lez-Pecq", 50.70088, 3.36236),
    ("7781", "Houthem", 50.78682, 2.96406),
    ("7802", "Ormeignies", 50.59472, 3.75163),
    ("7822", "Ghislenghien", 50.65669, 3.87582),
    ("7862", "Ogy", 50.72084, 3.78023),
    ("7880", "Flobecq", 50.73717, 3.73787),
    ("7906", "Gallaix", 50.60607, 3.57483),
    ("7942", "Mévergnies-Lez-Lens", 50.60447, 3.85071),
    ("7972", "Aubechies", 50.57393, 3.67692),
    ("8210", "Loppem", 51.15575, 3.19555),
    ("8370", "Blankenberge", 51.31651, 3.12976),
    ("8430", "Middelkerke", 51.18332, 2.80634),
    ("8460", "Ettelgem", 51.19765, 3.03845),
    ("8501", "Bissegem", 50.82282, 3.22847),
    ("8540", "Deerlijk", 50.83878, 3.36228),
    ("8560", "Gullegem", 50.84493, 3.20262),
    ("8582", "Outrijve", 50.75869, 3.42573),
    ("8620", "Nieuwpoort", 51.14416, 2.72840),
    ("8670", "Koksijde", 51.10911, 2.63534),
    ("8720", "Dentergem", 50.96612, 3.40229),
    ("8770", "Ingelmunster", 50.92197, 3.26172),
    ("8793", "Sint-Eloois-Vijve", 50.90572, 3.40361),
    ("8850", "Ardooie", 50.97077, 3.20459),
    ("8900", "Brielen", 50.86890, 2.84754),
    ("8930", "Lauwe", 50.78879, 3.19390),
    ("8953", "Wijtschate", 50.78327, 2.91262),
    ("8972", "Krombeke", 50.90458, 2.67291),
    ("9032", "Wondelgem", 51.09350, 3.70346),
    ("9052", "Zwijnaarde", 51.00092, 3.70218),
    ("9100", "Nieuwkerken-Waas", 51.19339, 4.17803),
    ("9150", "Bazel", 51.14686, 4.28738),
    ("9200", "Appels", 51.02984, 4.05623),
    ("9260", "Schellebelle", 51.01025, 3.92814),
    ("9308", "Gijzegem", 50.98320, 4.04137),
    ("9402", "Meerbeke", 50.81973, 4.04585),
    ("9451", "Kerksken", 50.88457, 3.97923),
    ("9520", "Bavegem", 50.94497, 3.86801),
    ("9570", "Deftinge", 50.78636, 3.84091),
    ("9636", "Nederzwalm-Hermelgem", 50.88676, 3.68799),
    ("9688", "Schorisse", 50.80618, 3.67824),
    ("9772", "Wannegem-Lede", 50.89024, 3.56058),
    ("9830", "Sint-Martens-Latem", 51.01345, 3.63063),
    ("9880", "Aalter", 51.08819, 3.41768),
    ("9921", "Vinderhoute", 51.08764, 3.64124),
    ("9960", "Assenede", 51.23004, 3.75681),
    ("9980", "Sint-Laureins", 51.23305, 3.53748),
    ("9992", "Middelburg", 51.25583, 3.40714),
)

# Leaf need codes of docs/taxonomy-codes.md with a Dutch and a French service label.
NEEDS: tuple[tuple[str, str, str], ...] = (
    ("social-activities", "Ontmoetingsactiviteiten", "Activités de rencontre"),
    ("visiting-buddy", "Bezoekdienst", "Service de visites"),
    ("neighbourhood-centre", "Lokaal dienstencentrum", "Centre de quartier"),
    ("debt-counselling", "Schuldbemiddeling", "Médiation de dettes"),
    ("budget-management", "Budgetbegeleiding", "Guidance budgétaire"),
    ("income-support", "Financiële hulp", "Aide financière"),
    ("energy-water", "Energieloket", "Guichet énergie"),
    ("homelessness-shelter", "Nachtopvang", "Abri de nuit"),
    ("social-housing", "Sociale huisvesting", "Logement social"),
    ("housing-support", "Woonbegeleiding", "Accompagnement logement"),
    ("housing-adaptation", "Woningaanpassing", "Adaptation du logement"),
    ("respite-care", "Oppasdienst", "Service de garde"),
    ("caregiver-information", "Mantelzorgpunt", "Point aidants proches"),
    ("psychological-support", "Psychologische hulp", "Soutien psychologique"),
    ("crisis-support", "Crisishulp", "Aide de crise"),
    ("suicide-prevention", "Zelfmoordpreventie", "Prévention du suicide"),
    ("psychiatric-care", "Psychiatrische zorg", "Soins psychiatriques"),
    ("alcohol-drugs", "Drughulp", "Aide drogues et alcool"),
    ("gambling", "Gokhulp", "Aide jeu"),
    ("job-search", "Jobbegeleiding", "Recherche d'emploi"),
    ("social-economy", "Sociale werkplaats", "Entreprise de travail adapté"),
    ("vocational-training", "Beroepsopleiding", "Formation professionnelle"),
    ("parenting-support", "Opvoedingswinkel", "Soutien parental"),
    ("childcare", "Kinderopvang", "Crèche"),
    ("youth-support", "Jongerenpunt", "Service jeunesse"),
    ("transport-service", "Vervoerdienst", "Service de transport"),
    ("mobility-aids", "Uitleendienst", "Prêt de matériel"),
    ("food-aid", "Voedselhulp", "Aide alimentaire"),
    ("social-restaurant", "Sociaal restaurant", "Restaurant social"),
    ("social-grocery", "Sociale kruidenier", "Épicerie sociale"),
    ("legal-aid", "Rechtswinkel", "Aide juridique"),
    ("administrative-help", "Administratiepunt", "Aide administrative"),
    ("rights-exploration", "Sociaal onthaal", "Accueil social"),
    ("violence-support", "Hulp bij geweld", "Aide violences"),
    ("violence-shelter", "Vluchthuis", "Maison d'accueil"),
    ("general-practice", "Huisartsenpraktijk", "Maison médicale"),
    ("home-nursing", "Thuisverpleging", "Soins à domicile"),
    ("hospital-care", "Ziekenhuis", "Hôpital"),
    ("rehabilitation", "Revalidatiecentrum", "Centre de revalidation"),
    ("palliative-care", "Palliatieve zorg", "Soins palliatifs"),
    ("family-care", "Gezinszorg", "Aide familiale"),
    ("meals-on-wheels", "Maaltijddienst", "Repas à domicile"),
    ("home-help", "Klusjesdienst", "Aide ménagère"),
    ("day-care", "Dagverzorging", "Centre de jour"),
    ("nursing-home", "Woonzorgcentrum", "Maison de repos"),
    ("assisted-living", "Assistentiewoningen", "Résidence-services"),
    ("short-stay", "Kortverblijf", "Court séjour"),
    ("disability-support", "Handicapbegeleiding", "Accompagnement handicap"),
    ("disability-daycare", "Dagcentrum", "Centre de jour handicap"),
    ("disability-housing", "Woonvorm", "Logement accompagné"),
    ("digital-help", "Digipunt", "Espace numérique"),
    ("language-courses", "Taalpunt", "Cours de langue"),
    ("newcomer-support", "Onthaalbureau", "Bureau d'accueil"),
    ("interpreting", "Tolkendienst", "Service d'interprétariat"),
    ("adult-education", "Volwassenenonderwijs", "Promotion sociale"),
    ("school-support", "Huiswerkklas", "École de devoirs"),
)
# Proper-noun parts of names; distinct enough that two of them are never one typo apart.
NOUNS_NL: tuple[str, ...] = (
    "De Linde",
    "Het Anker",
    "De Brug",
    "Ter Heide",
    "De Vlinder",
    "Het Kompas",
    "De Regenboog",
    "De Eik",
    "Het Zonnehuis",
    "De Molen",
    "Ter Beke",
    "De Kering",
    "Het Vlot",
    "De Horizon",
    "De Wegwijzer",
    "Den Akker",
    "De Klaproos",
    "Het Baken",
    "De Vuurtoren",
    "Ter Linden",
    "De Waaier",
    "Het Klavertje",
    "De Zwaluw",
    "De Meander",
    "Het Trefpunt",
    "De Schakel",
    "Ter Duinen",
    "De Populier",
    "Het Veer",
    "De Kastanje",
    "De Wilg",
    "De Boomgaard",
    "Het Wiel",
    "De Zeemeeuw",
    "De Kreek",
    "Het Gasthuis",
    "De Lork",
    "Ter Walle",
    "De Kapel",
    "Het Hof",
    "De Kiem",
    "De Toekomst",
    "Het Ooievaarsnest",
    "De Ster",
    "De Hoeve",
    "Het Venster",
    "De Stroom",
    "Ter Elst",
    "De Parel",
    "Het Kruispunt",
)
NOUNS_FR: tuple[str, ...] = (
    "Les Tilleuls",
    "L'Ancre",
    "Le Pont",
    "La Bruyère",
    "Le Papillon",
    "La Boussole",
    "L'Arc-en-ciel",
    "Le Chêne",
    "La Maison du Soleil",
    "Le Moulin",
    "Le Ruisseau",
    "La Passerelle",
    "Le Radeau",
    "L'Horizon",
    "Le Phare",
    "Les Coquelicots",
    "La Balise",
    "Le Trèfle",
    "L'Hirondelle",
    "Le Méandre",
    "Le Carrefour",
    "Les Dunes",
    "Le Peuplier",
    "Le Bac",
    "Le Marronnier",
    "Le Saule",
    "Le Verger",
    "La Roue",
    "La Mouette",
    "La Source",
    "L'Hospice",
    "Le Mélèze",
    "La Chapelle",
    "La Cour",
    "Le Germe",
    "L'Avenir",
    "L'Étoile",
    "La Ferme",
    "La Fenêtre",
    "Le Courant",
    "La Perle",
    "Le Relais",
    "La Clairière",
    "Le Rocher",
    "La Colline",
    "Le Vivier",
    "Le Jardin",
    "La Fontaine",
    "Le Hameau",
    "L'Escale",
)
STREETS_NL: tuple[str, ...] = (
    "Kerkstraat",
    "Stationsstraat",
    "Molenstraat",
    "Schoolstraat",
    "Dorpsstraat",
    "Nieuwstraat",
    "Kapelstraat",
    "Beukenlaan",
    "Lindenlaan",
    "Veldstraat",
    "Hoogstraat",
    "Brugsesteenweg",
    "Gentsesteenweg",
    "Kasteelstraat",
    "Markt",
    "Grote Markt",
    "Zuidstraat",
    "Noordstraat",
    "Meersstraat",
    "Koningin Astridlaan",
)
STREETS_FR: tuple[str, ...] = (
    "Rue de l'Église",
    "Rue de la Station",
    "Rue du Moulin",
    "Rue de l'École",
    "Grand-Place",
    "Rue Haute",
    "Avenue des Tilleuls",
    "Chaussée de Bruxelles",
    "Rue Neuve",
    "Place communale",
    "Rue du Château",
    "Avenue de la Gare",
    "Rue des Champs",
    "Chaussée de Namur",
    "Rue de la Chapelle",
    "Avenue Reine Astrid",
    "Rue du Centre",
    "Rue Saint-Martin",
    "Rue des Écoles",
    "Chemin du Bois",
)
# 1-3 weekly slots (weekday 1=Monday, opens, closes) per service.
SCHEDULE_PATTERNS: tuple[tuple[tuple[int, str, str], ...], ...] = (
    ((1, "09:00", "12:00"), (1, "13:30", "17:00")),
    ((2, "08:30", "16:30"),),
    ((1, "09:00", "12:00"), (3, "09:00", "12:00"), (5, "09:00", "12:00")),
    ((2, "13:00", "16:00"), (6, "10:00", "12:00")),
    ((4, "17:00", "20:00"),),
    ((3, "11:30", "13:30"), (3, "17:00", "19:00"), (6, "09:00", "12:00")),
)
MANGLINGS = ("legal_form", "case", "typo", "street", "email", "website", "service_name")


@dataclass
class GroundTruth:
    """Which source-B records are duplicates of which source-A records (external ids)."""

    organizations: dict[str, str] = field(default_factory=dict)  # B id -> A id
    locations: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)
    manglings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # B service id -> kinds
    n_listings: int = 0

    @property
    def n_duplicates(self) -> int:
        return len(self.services)

    @property
    def expected_listings(self) -> int:
        """Distinct listings left after a perfect merge."""
        return self.n_listings - self.n_duplicates


class GeneratedListings(NamedTuple):
    source_a: Batch
    source_b: Batch
    truth: GroundTruth


@dataclass
class _Listing:
    """One invented listing before it is written as records (plain values, cheap to copy)."""

    lang: str
    need: int
    name: str
    legal: str | None
    street: str
    number: str
    box: str | None
    postcode: str
    city: str
    lat: float
    lon: float
    zone: str
    subscriber: str
    kbo: str | None
    slug: str
    cos: float  # cos(latitude), for metre offsets
    style: int  # phone notation in source A (and in B for listings only B has)
    slots: int
    area: tuple[str, str, str | None]  # ServiceAreaIn kind, code, name


def _zone(postcode: int) -> str:
    """An approximate Belgian trunk prefix for a postcode (valid zone, not exact geography)."""
    ranges = (
        (1300, "02"), (1500, "010"), (2000, "02"), (2300, "03"), (2800, "014"), (3000, "015"),
        (3500, "016"), (3600, "011"), (3700, "089"), (4000, "012"), (4700, "04"), (5000, "087"),
        (5500, "081"), (6000, "082"), (6600, "071"), (6800, "061"), (7000, "084"), (7500, "065"),
        (7800, "069"), (8000, "068"), (8400, "050"), (8500, "059"), (8800, "056"), (8900, "051"),
        (9000, "057"), (9100, "09"), (9200, "03"), (9300, "052"), (9700, "053"), (9800, "055"),
        (10000, "09"),
    )  # fmt: skip
    for upper, zone in ranges:
        if postcode < upper:
            return zone
    return "09"


def _province(postcode: int) -> tuple[str, str]:
    """(province code, region code) from the postcode ranges."""
    if postcode < 1300:
        return "BRU", "BRU"
    for upper, prov in (
        (1500, "WBR"), (2000, "VBR"), (3000, "VAN"), (3500, "VBR"), (4000, "VLI"), (5000, "WLG"),
        (6000, "WNA"), (6600, "WHT"), (7000, "WLX"), (8000, "WHT"), (9000, "VWV"), (10000, "VOV"),
    ):  # fmt: skip
        if postcode < upper:
            return prov, ("VLG" if prov.startswith("V") else "WAL")
    return "VOV", "VLG"


def _notation(zone: str, sub: str, style: int) -> str:
    """Write a Belgian fixed-line number in one of several real-world notations."""
    if len(zone) == 2:
        a, b, c = sub[:3], sub[3:5], sub[5:7]
    else:
        a, b, c = sub[:2], sub[2:4], sub[4:6]
    if style == 0:
        return f"{zone} {a} {b} {c}"
    if style == 1:
        return f"{zone}/{a}.{b}.{c}"
    if style == 2:
        return f"+32 {zone[1:]} {a} {b} {c}"
    if style == 3:
        return f"{zone}{sub}"
    return f"+32 (0){zone[1:]} {a}{b}{c}"


def _kbo(first8: int) -> str:
    return f"{first8 * 100 + 97 - first8 % 97:010d}"


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)


def _typo(rng: random.Random, name: str) -> str:
    """One keyboard slip on a letter (never the first): swap, drop or double it."""
    letters = [i for i in range(1, len(name) - 1) if name[i].isalpha()]
    i = rng.choice(letters)
    kind = rng.randrange(3)
    if kind == 0 and name[i + 1].isalpha() and name[i + 1] != name[i]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def _postcode_facts() -> list[tuple[str, str, float, float, str, str, str, float, str, str]]:
    """Per postcode: (postcode, city, lat, lon, zone, province, region, cos(lat), slug, lang)."""
    out = []
    for postcode, city, lat, lon in POSTCODES:
        pc = int(postcode)
        prov, region = _province(pc)
        lang = "fr" if region == "WAL" else "nl"
        cos = math.cos(math.radians(lat))
        out.append((postcode, city, lat, lon, _zone(pc), prov, region, cos, _slug(city), lang))
    return out


def _invent(rng: random.Random, n_unique: int) -> list[_Listing]:
    """Distinct listings: (need, noun, postcode) triples drawn without replacement."""
    n_needs, n_nouns, n_pc = len(NEEDS), len(NOUNS_NL), len(POSTCODES)
    space = n_needs * n_nouns * n_pc
    if n_unique > space:
        raise ValueError(f"at most {space} distinct listings")
    facts = _postcode_facts()
    noun_slugs = {"nl": [_slug(x) for x in NOUNS_NL], "fr": [_slug(x) for x in NOUNS_FR]}
    nouns = {"nl": NOUNS_NL, "fr": NOUNS_FR}
    streets = {"nl": STREETS_NL, "fr": STREETS_FR}
    kbo_base = rng.randrange(19_000_000, 19_800_000)
    counters: dict[str, int] = {}
    listings = []
    rand = rng.random  # the hot loop calls it ~12 times per listing
    n_slots = len(SCHEDULE_PATTERNS)
    for k, code in enumerate(rng.sample(range(space), n_unique)):
        need, rest = divmod(code, n_nouns * n_pc)
        noun, pc_i = divmod(rest, n_pc)
        postcode, city, lat0, lon0, zone, prov, region, cos, city_slug, lang = facts[pc_i]
        if region == "BRU" and rand() < 0.5:
            lang = "fr"
        label = NEEDS[need][2 if lang == "fr" else 1]
        count = counters.get(zone, 0)
        counters[zone] = count + 1
        # Leading 2 keeps the number valid; the counter keeps it unique within the zone.
        subscriber = f"2{count:06d}" if len(zone) == 2 else f"2{count:05d}"
        # Spread within ~3 km of the postcode centroid.
        dist = 3000 * math.sqrt(rand())
        theta = 2 * math.pi * rand()
        r_area = rand()
        if r_area < 0.6:
            area = ("postcode", postcode, city)
        elif r_area < 0.9 and prov != "BRU":
            area = ("province", prov, None)
        else:
            area = ("region", region, None)
        street_list = streets[lang]
        listings.append(
            _Listing(
                lang=lang,
                need=need,
                name=f"{label} {nouns[lang][noun]}",
                legal=("asbl" if lang == "fr" else "vzw") if rand() < 0.45 else None,
                street=street_list[int(rand() * len(street_list))],
                number=str(1 + int(rand() * 250)),
                box=str(1 + int(rand() * 4)) if rand() < 0.12 else None,
                postcode=postcode,
                city=city,
                lat=round(lat0 + dist * math.cos(theta) / 111_320, 6),
                lon=round(lon0 + dist * math.sin(theta) / (111_320 * cos), 6),
                cos=cos,
                zone=zone,
                subscriber=subscriber,
                kbo=_kbo(kbo_base + k) if rand() < 0.7 else None,
                slug=f"{noun_slugs[lang][noun]}-{city_slug}-{k}",
                style=int(rand() * 5),
                slots=int(rand() * n_slots),
                area=area,
            )
        )
    return listings


def _records(
    batch: Batch,
    prefix: str,
    i: int,
    li: _Listing,
    rng: random.Random,
    mangle: tuple[str, ...] = (),
) -> str:
    """Append one listing as org + location + service to ``batch``; return the service id."""
    oid, lid, sid = f"{prefix}-o-{i:07d}", f"{prefix}-l-{i:07d}", f"{prefix}-s-{i:07d}"
    name = li.name
    if "typo" in mangle:
        name = _typo(rng, name)
    if li.legal and "legal_form" not in mangle:
        name = f"{name} {li.legal}"
    elif "legal_form" in mangle and not li.legal:
        forms = ("VZW", "vzw", "v.z.w.") if li.lang == "nl" else ("ASBL", "asbl")
        name = f"{name} {rng.choice(forms)}"
    if "case" in mangle:
        name = name.upper() if rng.random() < 0.6 else name.lower()
    style = li.style
    if mangle:
        style = (style + 1 + int(rng.random() * 4)) % 5  # a duplicate never copies the notation
    phone = _notation(li.zone, li.subscriber, style)
    street = li.street
    box = li.box
    if "street" in mangle:
        street = (
            street.replace("straat", "str.").replace("steenweg", "stwg.").replace("laan", "ln.")
            .replace("Rue ", "R. ").replace("Avenue ", "Av. ").replace("Chaussée ", "Chée ")
        )  # fmt: skip
    email = None if "email" in mangle else f"info@{li.slug}.example"
    website = f"https://{li.slug}.example"
    if "website" in mangle:
        website = f"www.{li.slug}.example"
    lat, lon = li.lat, li.lon
    if prefix == "b" and mangle:
        # The same building geocoded by another service: 2-25 m apart.
        dist = 2 + 23 * rng.random()
        theta = 2 * math.pi * rng.random()
        lat = round(lat + dist * math.cos(theta) / 111_320, 6)
        lon = round(lon + dist * math.sin(theta) / (111_320 * li.cos), 6)
    code, label_nl, label_fr = NEEDS[li.need]
    service_name = label_fr if li.lang == "fr" else label_nl
    if "service_name" in mangle:
        service_name = f"{service_name} ({li.city})"
    has_kbo = li.kbo and "kbo_missing" not in mangle
    identifiers = [IdentifierIn(scheme="KBO", value=li.kbo)] if has_kbo else []
    batch.organizations.append(
        OrganizationIn(
            external_id=oid,
            name=name,
            email=email,
            website=website,
            identifiers=identifiers,
            phones=[PhoneIn(number=phone, type="voice")],
            language=li.lang,
            ref=f"listing {i}",
        )
    )
    batch.locations.append(
        LocationIn(
            external_id=lid,
            organization_ref=oid,
            name=name,
            latitude=lat,
            longitude=lon,
            addresses=[
                AddressIn(
                    street=street,
                    house_number=li.number,
                    box=box,
                    postcode=li.postcode,
                    city=li.city,
                    country="BE",
                )
            ],
            language=li.lang,
            ref=f"listing {i}",
        )
    )
    kind, area_code, area_name = li.area
    area = ServiceAreaIn(kind=kind, code=area_code, name=area_name)
    batch.services.append(
        ServiceIn(
            external_id=sid,
            organization_ref=oid,
            name=service_name,
            location_refs=[lid],
            schedules=[
                ScheduleIn(weekday=day, opens_at=opens, closes_at=closes)
                for day, opens, closes in SCHEDULE_PATTERNS[li.slots]
            ],
            categories=[CategoryIn(scheme="socialmap", code=code)],
            service_areas=[area],
            language=li.lang,
            ref=f"listing {i}",
        )
    )
    return sid


def generate_batches(n: int = 100_000, dup_rate: float = 0.15, seed: int = 1) -> GeneratedListings:
    """Two in-memory batches holding ``n`` listings in total, plus the ground truth.

    Source A gets ``n - n // 2`` distinct listings. Source B gets ``n // 2`` listings, of
    which ``round(n * dup_rate)`` are mangled copies of A listings and the rest are new, so
    a perfect merge leaves ``n - round(n * dup_rate)`` listings. Returns
    ``(source_a, source_b, truth)`` (a named tuple). Deterministic for a given seed.
    """
    if n < 2:
        raise ValueError("n must be at least 2")
    n_b = n // 2
    n_a = n - n_b
    n_dup = round(n * dup_rate)
    if not 0 <= n_dup <= n_b:
        raise ValueError("dup_rate must be between 0 and 0.5 (duplicates live in source B)")
    # Only acyclic objects are created: pausing the cycle collector halves the run time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(n, n_a, n_dup, seed)
    finally:
        if was_enabled:
            gc.enable()


def _generate(n: int, n_a: int, n_dup: int, seed: int) -> GeneratedListings:
    rng = random.Random(seed)
    listings = _invent(rng, n - n_dup)
    a_listings, b_new = listings[:n_a], listings[n_a:]
    dup_of = rng.sample(range(n_a), n_dup)  # which A listings B copies
    b_plan: list[tuple[_Listing, int | None]] = [(a_listings[j], j) for j in dup_of]
    b_plan += [(li, None) for li in b_new]
    rng.shuffle(b_plan)

    source_a, source_b = Batch(), Batch()
    truth = GroundTruth(n_listings=n)
    for i, li in enumerate(a_listings):
        _records(source_a, "a", i, li, rng)
    for i, (li, a_index) in enumerate(b_plan):
        if a_index is None:
            _records(source_b, "b", i, li, rng)
            continue
        # 1-3 manglings on top of the always-different phone notation and coordinates.
        kinds = tuple(sorted(rng.sample(MANGLINGS, rng.randint(1, 3))))
        if li.kbo and rng.random() < 0.4:
            kinds += ("kbo_missing",)  # B often lacks the enterprise number: no easy join
        sid = _records(source_b, "b", i, li, rng, kinds)
        truth.services[sid] = f"a-s-{a_index:07d}"
        truth.locations[f"b-l-{i:07d}"] = f"a-l-{a_index:07d}"
        truth.organizations[f"b-o-{i:07d}"] = f"a-o-{a_index:07d}"
        truth.manglings[sid] = kinds
    return GeneratedListings(source_a, source_b, truth)
