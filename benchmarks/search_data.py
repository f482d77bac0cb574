"""Synthetic search documents and query mixes for the search benchmarks.

``generate_documents(n, seed)`` yields ``n`` :class:`search.document.IndexDocument` s over
Belgium, deterministic for a seed:

* texts: a Zipf(1.1) vocabulary of 50,000 pseudo-Dutch words built from syllables (stable
  for a seed; shorter words tend to be more frequent), mixed with real service words and
  the common words "hulp", "ondersteuning" and "gezin" (French documents: "aide",
  "soutien", "famille"), each in a large share of the documents; bodies of 20-60 words,
  with a synonym of one of the document's needs in about half of them;
* languages: ~85% Dutch texts placed in Flanders or Brussels, ~15% French texts placed
  in Wallonia or Brussels, ~8% with an English translation, bilingual Brussels listings;
* places: a postcode drawn with a population proxy (weight per postcode row by region,
  big cities boosted), a few km of Gaussian jitter; 1% confidential locations (no
  coordinates), ~5% services without location;
* facets: 1-3 needs (real taxonomy codes, Zipf over codes, leaf-heavy), 0-2 target groups,
  spoken languages, ages (most None), free flag, capacity (available 40%, waitlist 25%,
  full 15%, unknown 20%), referrals (~40%), updated within 3 years of
  :data:`REFERENCE_TIME`, weekday office hours (~70%), service areas (~20%).

Every service is generated from its own random stream (seeded by the seed and its
number), so :func:`query_mix` can regenerate a few services to pick words that certainly
occur in the corpus without generating the whole corpus.

``query_mix(n_docs, seed)`` builds the benchmark's query kinds as resolved
:class:`search.query.Query` objects (the way the app resolves them: query words, need
phrases through :class:`search.needs.NeedVocabulary`, places through the gazetteer) plus
the matching ``GET /api/search`` parameters.

All names and texts are invented (fictional benchmark data).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from search.document import IndexDocument
from search.document import document_id
from search.needs import NeedVocabulary
from search.query import Place
from search.query import Query
from search.query import area_code
from search.text import STOPWORDS
from search.text import query_words
from search.text import words as text_words
from socialmap import taxonomy
from socialmap.gazetteer import get_gazetteer
from socialmap.logic.search_index import need_vocabulary

#: Fixed "now" of the generated data (``updated`` is within 3 years before it); queries
#: built by :func:`query_mix` use it as their ``now`` so scores are reproducible.
REFERENCE_TIME = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
#: (min_lat, max_lat, min_lon, max_lon) of Belgium; generated coordinates stay inside.
BELGIUM_BBOX = (49.49, 51.51, 2.54, 6.41)

VOCABULARY_SIZE = 50_000
ZIPF_EXPONENT = 1.1
COMMON_WORDS: dict[str, dict[str, float]] = {
    # word -> share of the documents (of that text language) that contain it
    "nl": {"hulp": 0.45, "ondersteuning": 0.30, "gezin": 0.22},
    "fr": {"aide": 0.45, "soutien": 0.30, "famille": 0.22},
    "en": {"help": 0.45, "support": 0.30, "family": 0.22},
}
SERVICE_WORDS: dict[str, tuple[str, ...]] = {
    "nl": tuple(
        "begeleiding advies zorg dienst centrum onthaal informatie opvang jongeren ouderen "
        "vrijwilligers welzijn buurt sociale praktische persoonlijke afspraak gratis "
        "wachtlijst thuis ontmoeting gesprek aanvraag premie huisbezoek vorming activiteiten "
        "budget woning school werk gezondheid inloop spreekuur telefonisch".split()
    ),
    "fr": tuple(
        "accompagnement service centre accueil conseil social jeunes personnes âgées "
        "bénévoles quartier santé rendez-vous gratuit permanence domicile écoute logement "
        "emploi formation démarches orientation activités démarche entretien".split()
    ),
    "en": tuple(
        "guidance advice care service centre reception information young elderly volunteers "
        "neighbourhood appointment free home visit training activities housing".split()
    ),
}
FILLER_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("de", "het", "een", "en", "van", "voor", "met", "bij", "in", "op", "aan", "wij"),
    "fr": ("le", "la", "les", "un", "une", "et", "de", "pour", "avec", "dans", "nous"),
    "en": ("the", "a", "and", "of", "for", "with", "in", "we", "to"),
}
SERVICE_TYPES: dict[str, tuple[str, ...]] = {
    "nl": (
        "Dienstencentrum",
        "Welzijnshuis",
        "Ontmoetingscentrum",
        "Steunpunt",
        "Huis van het Kind",
        "Inloophuis",
        "Dienst",
        "Centrum",
        "Project",
        "Buurthuis",
        "Antenne",
        "Punt",
    ),
    "fr": ("Centre", "Maison", "Service", "Espace", "Antenne", "Point", "Maison de quartier"),
    "en": ("Centre", "Service", "House", "Point", "Project"),
}
BIG_CITIES = frozenset(
    "11002 44021 31005 24062 12025 71022 34022 41002 62063 52011 92094 53053 25072".split()
)
REGION_ROW_WEIGHT = {"VLG": 6.0, "WAL": 2.5, "BRU": 50.0}
CAPACITY_WEIGHTS = {"available": 40, "waitlist": 25, "full": 15, "unknown": 20}
AGE_RANGES: tuple[tuple[float | None, float | None], ...] = (
    (0, 3),
    (0, 12),
    (6, 18),
    (12, 25),
    (16, 30),
    (18, None),
    (55, None),
    (65, None),
    (None, 18),
)
OTHER_LANGUAGES = ("ar", "tr", "pl", "ro", "es", "ru", "uk", "so", "prs")

_ONSETS = (
    "b d g h k l m n p r s t v w z br dr gr kl kr pl pr sch sl sp st str tr vl vr zw j "
    "bl fl gl kn sn sm"
).split() + [""] * 4
_NUCLEI = "a e i o u aa ee oo uu ie oe ou ui ij ei eu a e o i".split()
_CODAS = ["", "", "", "n", "r", "l", "k", "t", "s", "m", "ng", "rd", "lt", "st", "cht", "nk"]
_SUFFIXES = ["", "", "", "", "en", "ing", "heid", "er", "je", "schap", "elijk", "aar", "ster"]

# random streams
_SERVICE, _ORG, _QUERY, _VOCAB = 1, 2, 3, 4


def _rng(seed: int, stream: int, number: int) -> random.Random:
    return random.Random((seed << 44) ^ (stream << 40) ^ number)


# ------------------------------------------------------------------ shared tables


@dataclass(frozen=True)
class Vocabulary:
    """The pseudo-Dutch words by Zipf rank (rank 1 = ``words[0]``) and their weights."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]
    rank: dict[str, int] = field(hash=False, compare=False)

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=k)


@functools.lru_cache(maxsize=4)
def vocabulary(seed: int, size: int = VOCABULARY_SIZE) -> Vocabulary:
    """``size`` distinct syllable-built words, stable for ``seed``, Zipf(1.1) weights."""
    rng = _rng(seed, _VOCAB, 0)
    reserved = set(itertools.chain.from_iterable(STOPWORDS.values()))
    for lang in ("nl", "fr", "en"):
        reserved |= set(COMMON_WORDS[lang]) | set(SERVICE_WORDS[lang])
    for phrases in _need_phrases().values():
        for phrase in phrases:
            reserved |= set(text_words(phrase))
    seen: set[str] = set()
    out: list[tuple[float, str]] = []
    while len(out) < size:
        syllables = rng.choices((1, 2, 3, 4), weights=(10, 50, 32, 8))[0]
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS) for _ in range(syllables)
        ) + rng.choice(_SUFFIXES)
        if not 4 <= len(word) <= 14 or word in seen or word in reserved:
            continue
        seen.add(word)
        # frequent words tend to be short: order by length with noise
        out.append((len(word) + rng.gauss(0, 3), word))
    out.sort()
    ranked = tuple(w for _, w in out)
    cum = tuple(itertools.accumulate(r**-ZIPF_EXPONENT for r in range(1, size + 1)))
    return Vocabulary(ranked, cum, {w: i + 1 for i, w in enumerate(ranked)})


@functools.lru_cache(maxsize=1)
def _need_phrases() -> dict[str, tuple[str, ...]]:
    """``code|lang`` -> label and synonyms, to put in texts."""
    out: dict[str, tuple[str, ...]] = {}
    for term in taxonomy.needs().all():
        for lang in ("nl", "fr", "en"):
            phrases = [term.labels.get(lang, "")] + list(term.synonyms.get(lang, ()))
            out[f"{term.code}|{lang}"] = tuple(p for p in phrases if p)
    return out


@dataclass(frozen=True)
class _Codes:
    codes: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        out: list[str] = []
        for _ in range(k * 4):
            code = self.codes[bisect.bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]
            if code not in out:
                out.append(code)
                if len(out) == k:
                    break
        return out


@functools.lru_cache(maxsize=4)
def _need_codes(seed: int) -> _Codes:
    """Need codes with Zipf weights: leaves first (shuffled by seed), parents weighted down."""
    terms = taxonomy.needs().all()
    parents = {t.parent for t in terms if t.parent}
    leaves = [t.code for t in terms if t.code not in parents]
    inner = [t.code for t in terms if t.code in parents]
    rng = _rng(seed, _VOCAB, 1)
    rng.shuffle(leaves)
    rng.shuffle(inner)
    codes = leaves + inner
    weights = [(r + 1) ** -1.0 * (0.3 if c in parents else 1.0) for r, c in enumerate(codes)]
    return _Codes(tuple(codes), tuple(itertools.accumulate(weights)))


@functools.lru_cache(maxsize=4)
def _target_codes(seed: int) -> _Codes:
    codes = [t.code for t in taxonomy.target_groups().all()]
    _rng(seed, _VOCAB, 2).shuffle(codes)
    weights = [(r + 1) ** -0.8 for r in range(len(codes))]
    return _Codes(tuple(codes), tuple(itertools.accumulate(weights)))


@dataclass(frozen=True)
class _PostcodePlace:
    postcode: str
    nis: str
    province: str
    region: str
    lat: float
    lon: float
    name_nl: str
    name_fr: str


@dataclass(frozen=True)
class _Pool:
    places: tuple[_PostcodePlace, ...]
    cum_weights: tuple[float, ...]

    def sample(self, rng: random.Random) -> _PostcodePlace:
        x = rng.random() * self.cum_weights[-1]
        return self.places[bisect.bisect(self.cum_weights, x)]


@functools.lru_cache(maxsize=1)
def _places() -> dict[str, _Pool]:
    """Postcode rows by text language ("nl": Flanders + Brussels, "fr": Wallonia + Brussels),
    weighted with a population proxy; plus ``"all"`` and per-NIS lists."""
    gaz = get_gazetteer()
    rows: list[tuple[_PostcodePlace, float]] = []
    for m in gaz.municipalities():
        places = [p for pc in gaz.postcodes(m.nis) for p in gaz.by_postcode(pc) if p.nis == m.nis]
        for p in places:
            weight = REGION_ROW_WEIGHT[m.region] * (3.0 if m.nis in BIG_CITIES else 1.0)
            place = _PostcodePlace(
                p.postcode, m.nis, m.province_code, m.region, p.lat, p.lon, p.name_nl, p.name_fr
            )
            rows.append((place, weight))
    pools: dict[str, _Pool] = {}
    for key, regions in (("nl", {"VLG", "BRU"}), ("fr", {"WAL", "BRU"}), ("all", None)):
        chosen = [(p, w) for p, w in rows if regions is None or p.region in regions]
        pools[key] = _Pool(
            tuple(p for p, _ in chosen), tuple(itertools.accumulate(w for _, w in chosen))
        )
    return pools


# ------------------------------------------------------------------ documents


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def _text(
    rng: random.Random, lang: str, vocab: Vocabulary, needs: list[str], name_word: str
) -> dict[str, str]:
    """Name and body of one text language."""
    phrases = _need_phrases()
    pattern = rng.random()
    kind = rng.choice(SERVICE_TYPES[lang])
    if pattern < 0.45:
        name = f"{kind} {_capitalise(name_word)}"
    elif pattern < 0.75:
        label = phrases.get(f"{needs[0]}|{lang}", ("",))[0]
        name = f"{label} {_capitalise(name_word)}".strip()
    else:
        name = f"{_capitalise(name_word)} {rng.choice(SERVICE_WORDS[lang])}"
    length = rng.randint(20, 60)
    body: list[str] = vocab.sample(rng, length // 2)
    body += rng.choices(SERVICE_WORDS[lang], k=length // 6)
    body += rng.choices(FILLER_WORDS[lang], k=length - len(body))
    for word, share in COMMON_WORDS[lang].items():
        if rng.random() < share:
            body.append(word)
    if rng.random() < 0.5:
        options = phrases.get(f"{rng.choice(needs)}|{lang}") or ()
        if options:
            body.append(rng.choice(options).lower())
    body.sort(key=lambda _: rng.random())  # a shuffle, cheaper than rng.shuffle
    sentence = " ".join(body)
    return {"name": name, "body": _capitalise(sentence) + "."}


def _hours(rng: random.Random) -> list[tuple[int, int]]:
    x = rng.random()
    day = 24 * 60
    if x < 0.70:  # weekday office hours, some variants
        morning, evening = rng.choice(((9 * 60, 17 * 60), (8 * 60 + 30, 16 * 60 + 30)))
        out: list[tuple[int, int]] = []
        lunch = rng.random() < 0.6
        for weekday in range(5):
            base = weekday * day
            if weekday == 2 and rng.random() < 0.3:  # closed Wednesday afternoon
                out.append((base + morning, base + 12 * 60))
            elif lunch:
                out += [(base + morning, base + 12 * 60), (base + 13 * 60, base + evening)]
            else:
                out.append((base + morning, base + evening))
        return out
    if x < 0.80:  # a few slots, evenings or Saturday
        days = sorted(rng.sample(range(7), rng.randint(1, 3)))
        out = []
        for weekday in days:
            start = rng.choice((10 * 60, 14 * 60, 18 * 60))
            out.append((weekday * day + start, weekday * day + start + rng.choice((120, 180))))
        return out
    return []


def _service_docs(seed: int, k: int, vocab: Vocabulary) -> list[IndexDocument]:
    """The documents (one per location) of service number ``k``."""
    org_number = k // 3
    org_rng = _rng(seed, _ORG, org_number)
    org_lang = "fr" if org_rng.random() < 0.15 else "nl"
    pools = _places()
    anchor = pools[org_lang].sample(org_rng)
    org_word = _capitalise(vocab.sample(org_rng, 1)[0])
    if org_rng.random() < 0.15:
        mname = anchor.name_fr if org_lang == "fr" else anchor.name_nl
        org_name = f"CPAS de {mname}" if org_lang == "fr" else f"OCMW {mname}"
    else:
        org_name = f"{org_word} {'asbl' if org_lang == 'fr' else 'vzw'}"

    rng = _rng(seed, _SERVICE, k)
    lang = org_lang
    needs = _need_codes(seed).sample(rng, rng.choices((1, 2, 3), weights=(50, 35, 15))[0])
    name_word = vocab.sample(rng, 1)[0]
    langs = [lang]
    if anchor.region == "BRU" and rng.random() < 0.4:
        langs.append("nl" if lang == "fr" else "fr")
    if rng.random() < 0.08:
        langs.append("en")
    texts = {tl: _text(rng, tl, vocab, needs, name_word) for tl in langs}
    target_groups = _target_codes(seed).sample(rng, rng.choices((0, 1, 2), weights=(40, 40, 20))[0])
    spoken = [lang]
    for other, share in (("fr" if lang == "nl" else "nl", 0.2), ("en", 0.25)):
        if rng.random() < share:
            spoken.append(other)
    if rng.random() < 0.1:
        spoken.append(rng.choice(OTHER_LANGUAGES))
    age_min: float | None = None
    age_max: float | None = None
    if rng.random() < 0.25:
        age_min, age_max = rng.choice(AGE_RANGES)
    free = rng.choices((True, False, None), weights=(45, 25, 30))[0]
    capacity = rng.choices(tuple(CAPACITY_WEIGHTS), weights=tuple(CAPACITY_WEIGHTS.values()))[0]
    referrals = rng.random() < 0.4
    updated = REFERENCE_TIME - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
    hours = _hours(rng)
    closures: list[tuple[dt.date, dt.date]] = []
    if rng.random() < 0.05:
        start = REFERENCE_TIME.date() + dt.timedelta(days=rng.randint(-30, 60))
        closures.append((start, start + dt.timedelta(days=rng.randint(0, 14))))

    x = rng.random()
    if x < 0.05:  # no location: phone/online service for a wider area
        area_kind = rng.choices(("region", "country", "province"), weights=(50, 30, 20))[0]
        locations: list[_PostcodePlace | None] = [None]
    else:
        count = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        locations = [
            anchor if rng.random() < 0.4 else pools[lang].sample(rng) for _ in range(count)
        ]
        y = rng.random()
        area_kind = (
            "municipality"
            if y < 0.14
            else "province"
            if y < 0.19
            else rng.choice(("region", "country"))
            if y < 0.20
            else ""
        )
    name = texts[lang]["name"]
    docs: list[IndexDocument] = []
    service_id = f"svc-{k:07d}"
    for i, loc in enumerate(locations):
        location_id = f"loc-{k:07d}-{i}" if loc is not None else None
        base = loc or anchor
        confidential = loc is not None and rng.random() < 0.01
        lat = lon = None
        if loc is not None and not confidential:
            lat = min(max(loc.lat + rng.gauss(0, 0.012), BELGIUM_BBOX[0]), BELGIUM_BBOX[1])
            lon = min(max(loc.lon + rng.gauss(0, 0.018), BELGIUM_BBOX[2]), BELGIUM_BBOX[3])
        areas: list[str] = []
        kind = "municipality" if confidential and not area_kind else area_kind
        if kind == "municipality":
            areas.append(area_code("municipality", base.nis))
        elif kind == "province":
            areas.append(area_code("province", base.province))
        elif kind == "region":
            areas.append(area_code("region", base.region))
        elif kind == "country":
            areas.append("country:BE")
        docs.append(
            IndexDocument(
                id=document_id(service_id, location_id),
                service_id=service_id,
                location_id=location_id,
                organization_id=f"org-{org_number:06d}",
                name=name,
                organization_name=org_name,
                texts=texts,
                lat=lat,
                lon=lon,
                municipality=loc.nis if loc is not None else None,
                areas=areas,
                needs=list(needs),
                target_groups=list(target_groups),
                languages=list(spoken),
                age_min=age_min,
                age_max=age_max,
                free=free,
                capacity=capacity,
                accepts_referrals=referrals,
                updated=updated,
                hours=list(hours),
                closures=list(closures),
            )
        )
    return docs


def generate_documents(n: int, seed: int = 42) -> Iterator[IndexDocument]:
    """``n`` documents (services at locations), the same ones for the same seed."""
    vocab = vocabulary(seed)
    produced = 0
    for k in itertools.count():
        for doc in _service_docs(seed, k, vocab):
            if produced >= n:
                return
            yield doc
            produced += 1
        if produced >= n:
            return


# ------------------------------------------------------------------ queries

QUERY_KINDS: tuple[str, ...] = ("selective_text", "common_text", "needs_place", "facets_25km")
COMMON_QUERIES: tuple[str, ...] = (
    "hulp",
    "ondersteuning",
    "gezin",
    "ondersteuning gezin",
    "hulp gezin",
    "hulp ondersteuning",
    "hulp bij ondersteuning",
    "aide",
    "soutien famille",
)


@dataclass(frozen=True)
class QuerySpec:
    """One benchmark query: the resolved :class:`Query` and the API parameters for it."""

    kind: str
    query: Query
    params: tuple[tuple[str, str], ...]


def resolve_text(text: str, vocab: NeedVocabulary) -> dict[str, tuple[str, ...]]:
    """Query fields for free text, resolved the way the app does it."""
    interpretation = vocab.interpret(text)
    return {
        "terms": tuple(query_words(text)),
        "text_needs": tuple(vocab.expand(interpretation.needs)),
        "residual_terms": tuple(interpretation.residual),
    }


def place_for_postcode(postcode: str) -> Place:
    """A search place for a postcode, resolved like the app does (``socialmap.logic.search``):
    the postcode's main place's point, its municipality, province and region."""
    gaz = get_gazetteer()
    places = gaz.by_postcode(postcode)
    if not places:
        raise ValueError(f"unknown postcode {postcode!r}")
    place = next((p for p in places if p.is_main), places[0])
    m = gaz.municipality(place.nis)
    return Place(
        lat=place.lat,
        lon=place.lon,
        municipality=place.nis,
        province=m.province_code if m else None,
        region=m.region if m else None,
        postcode=postcode,
        label=f"{postcode} {place.name_nl}",
    )


def _selective_text(rng: random.Random, seed: int, n_docs: int, vocab: Vocabulary) -> str:
    """1-2 rare words of a service that certainly is in the corpus of ``n_docs``."""
    # service k starts at document index <= 3k (at most 3 locations per service)
    for _ in range(20):  # a service that is not full, so that the default filter keeps it
        k = rng.randrange(max(1, n_docs // 3))
        doc = _service_docs(seed, k, vocab)[0]
        if doc.capacity != "full":
            break
    lang = next(iter(doc.texts))
    words = text_words(doc.texts[lang]["name"] + " " + doc.texts[lang]["body"])
    ranked = sorted({w for w in words if w in vocab.rank}, key=vocab.rank.__getitem__)
    if not ranked:
        return words[0]
    x = rng.random()
    if x < 0.5 or len(ranked) < 2:
        return ranked[-1]
    if x < 0.8:
        return f"{ranked[-1]} {ranked[-2]}"
    common = [w for w in COMMON_WORDS[lang] if w in words]
    return f"{ranked[-1]} {common[0]}" if common else ranked[-1]


def query_mix(
    n_docs: int,
    seed: int = 42,
    per_kind: int = 200,
    facets_everywhere: bool = False,
    variant: int = 0,
) -> dict[str, list[QuerySpec]]:
    """``per_kind`` queries of each of :data:`QUERY_KINDS` for the corpus of
    ``generate_documents(n_docs, seed)``.

    * ``selective_text``: 1-2 rare words (from the Zipf tail) of a document in the corpus;
    * ``common_text``: "hulp", "ondersteuning gezin", ... (tens of percent of the corpus);
    * ``needs_place``: a need code (a parent code in 30%) around a postcode, 10-25 km;
    * ``facets_25km``: a postcode and 25 km, no text, facets on.

    Facets are computed only for ``facets_25km`` unless ``facets_everywhere``. Another
    ``variant`` gives other queries over the same corpus (e.g. for a warm-up).
    """
    needs_vocab = need_vocabulary()
    vocab = vocabulary(seed)
    rng = _rng(seed, _QUERY, n_docs * 16 + variant)
    terms = taxonomy.needs().all()
    parents = [t.code for t in terms if t.parent is None]
    codes = _need_codes(seed)
    pool = _places()["all"]
    out: dict[str, list[QuerySpec]] = {kind: [] for kind in QUERY_KINDS}
    base = {"now": REFERENCE_TIME}
    # The API computes facets unless told not to; mirror the engine's setting in the URL.
    no_facets = () if facets_everywhere else (("facets", "false"),)
    for _ in range(per_kind):
        text = _selective_text(rng, seed, n_docs, vocab)
        out["selective_text"].append(
            QuerySpec(
                "selective_text",
                Query(**resolve_text(text, needs_vocab), facets=facets_everywhere, **base),
                (("q", text), *no_facets),
            )
        )
        text = rng.choice(COMMON_QUERIES)
        out["common_text"].append(
            QuerySpec(
                "common_text",
                Query(**resolve_text(text, needs_vocab), facets=facets_everywhere, **base),
                (("q", text), *no_facets),
            )
        )
        code = rng.choice(parents) if rng.random() < 0.3 else codes.sample(rng, 1)[0]
        postcode = pool.sample(rng).postcode
        radius = float(rng.choice((10, 15, 20, 25)))
        out["needs_place"].append(
            QuerySpec(
                "needs_place",
                Query(
                    needs=tuple(needs_vocab.expand([code])),
                    place=place_for_postcode(postcode),
                    radius_km=radius,
                    facets=facets_everywhere,
                    **base,
                ),
                (("need", code), ("place", postcode), ("radius_km", f"{radius:g}"), *no_facets),
            )
        )
        postcode = pool.sample(rng).postcode
        out["facets_25km"].append(
            QuerySpec(
                "facets_25km",
                Query(place=place_for_postcode(postcode), radius_km=25.0, facets=True, **base),
                (("place", postcode), ("radius_km", "25")),
            )
        )
    return out
