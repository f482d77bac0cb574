"""Comparison keys for record linkage: folded names, street keys, house numbers, domains.

These functions turn already-normalised values (see ``importers.matching``) into the
canonical strings that blocking and scoring compare. They never change stored data.

Design notes
- Everything starts with :func:`fold`: lowercase, accents stripped, punctuation turned
  into spaces, whitespace collapsed. Apostrophes are *deleted* rather than spaced, so
  "university's" and "universitys" agree and "'t Kasteeltje" keeps its "t".
- :func:`name_key` is for names of organisations, sites and services: legal forms
  (vzw, asbl, nv, inc, ...) and NL/FR/EN stop-words are dropped, dotted acronyms are
  glued back together ("C.A.W." -> "caw"), and a few equivalent spellings are mapped to
  one token ("St."/"Saint"/"Sint" -> "sint", "CPAS" -> "ocmw", "ctr"/"center" -> "centrum").
- :func:`street_key` is for street names. Street types and directions get one short form
  per meaning across Dutch, French and English ("avenue"/"ave"/"av." -> "av",
  "Kerkstr." -> "kerkstraat", "Gentse stwg" -> "gentse steenweg", "northeast" -> "ne").
  "St" is "sint" when it starts a street name ("St.-Pietersplein") and "street"
  anywhere else ("516 High St"). Use :func:`compact` to compare Dutch compounds that are
  written split or joined ("Gentse Steenweg" == "Gentsesteenweg").
- The functions are called for every profile of a 100k-record import, so they are
  cached and take an ASCII fast path.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from rapidfuzz import fuzz

_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
# Letters that NFKD does not split into base letter + accent.
_SPECIAL_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_NON_WORD_RE = re.compile(r"[\W_]+")
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=262_144)
def fold(s: str | None) -> str:
    """Return ``s`` lowercased, without accents, punctuation as spaces, whitespace collapsed.

    ``None`` and blank strings give ``""``. Non-Latin letters are kept (folded, not dropped),
    so a name in another script still has a key.
    """
    if not s:
        return ""
    if s.isascii():
        # Fast path (most names): str.translate is slow, so delete the two ASCII
        # apostrophes with replace and pick the words with one regex.
        s = s.lower()
        if "'" in s or "`" in s:
            s = s.replace("'", "").replace("`", "")
        return " ".join(_ASCII_WORD_RE.findall(s))
    s = s.translate(_APOSTROPHES).casefold().translate(_SPECIAL_LETTERS)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return " ".join(_NON_WORD_RE.split(s)).strip()


def _glue_initials(tokens: list[str]) -> list[str]:
    """Join runs of single letters back into one token ("c a w" -> "caw", "v z w" -> "vzw")."""
    out: list[str] = []
    run: list[str] = []
    for tok in tokens:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(tok)
    if run:
        out.append("".join(run))
    return out


# Legal forms (BE, FR, NL, US/UK, DE). Dropped wherever they appear in a name.
LEGAL_FORMS = frozenset(
    """
    vzw ivzw asbl aisbl bv bvba ebvba nv cv cvba cvoa vof commv esv fv sprl srl scrl sa sc scs
    sarl sas gmbh ag plc ltd limited inc
    incorporated llc llp pllc lp corp corporation
    """.split()
)

# Stop-words in Dutch, French and English. Short function words only: dropping them makes
# "Huis van het Kind" and "Huis Kind" agree and does not create false agreement.
STOP_WORDS = frozenset(
    """
    de het een van der den des t ter ten voor en in op te aan met bij uit
    le la les l du d et pour au aux a un une sur dans chez
    the of and for an at on to by
    """.split()
)

# Multi-word names that have a well-known acronym, on folded text (apostrophes deleted).
_PHRASES = (
    ("vereniging zonder winstoogmerk", " "),
    ("association sans but lucratif", " "),
    ("openbaar centrum voor maatschappelijk welzijn", "ocmw"),
    ("centre public daction sociale", "ocmw"),
    ("centra algemeen welzijnswerk", "caw"),
    ("centrum algemeen welzijnswerk", "caw"),
    ("centrum voor algemeen welzijnswerk", "caw"),
    ("centrum geestelijke gezondheidszorg", "cgg"),
    ("centrum voor geestelijke gezondheidszorg", "cgg"),
    ("jongeren advies centrum", "jac"),
    ("jongerenadviescentrum", "jac"),
)

# Words that name *what kind of* organisation or site something is, shared by thousands of
# unrelated names ("Vrije Basisschool De Linde" / "Vrije Basisschool Het Anker"). They are
# kept in name_key; distinctive_key drops them so the specific part can be compared alone.
GENERIC_NAME_WORDS = frozenset(
    """
    lokaal lokale dienstencentrum dienst diensten dienstverlening centrum wijkcentrum
    buurthuis buurtcentrum ontmoetingscentrum dagcentrum inloopcentrum huis
    wijkgezondheidscentrum gezondheidscentrum huisartsenpraktijk praktijk groepspraktijk
    kinderopvang kinderdagverblijf creche peutertuin woonzorgcentrum rusthuis
    serviceflat assistentiewoningen jeugdhuis jeugdcentrum jeugdwerking
    basisschool school scholen vrije gemeentelijke stedelijke provinciale kleuterschool
    secundaire onderwijs college atheneum lyceum instituut
    ocmw caw cgg jac clb sociaal sociale thuiszorg thuiszorgdienst thuiszorgdiensten
    voedselbank kringloopwinkel kringloopcentrum revalidatiecentrum ziekenhuis kliniek
    apotheek bibliotheek sportdienst vereniging gezinsbond beschut wonen leerlingenbegeleiding
    maison centre ecole service services association asbl sante medical medicale
    community center centers health clinic clinics office offices department program programs
    services library church food bank county city
    """.split()
)

# One token per meaning in names. "st" in a *name* is saint (street is handled by street_key).
_NAME_SYNONYMS = {
    "st": "sint",
    "saint": "sint",
    "sainte": "sint",
    "ste": "sint",
    "sankt": "sint",
    "sint": "sint",
    "cpas": "ocmw",
    "ocmw": "ocmw",
    "ctr": "centrum",
    "cntr": "centrum",
    "center": "centrum",
    "centre": "centrum",
    "centrum": "centrum",
    "centers": "centrum",
    "centres": "centrum",
    "centra": "centrum",
    "dept": "department",
    "dep": "department",
    "univ": "university",
    "assoc": "association",
    "assn": "association",
    "intl": "international",
    "natl": "national",
    "svc": "services",
    "svcs": "services",
    "mt": "mount",
    "nw": "northwest",
    "ne": "northeast",
    "sw": "southwest",
    "se": "southeast",
}


@lru_cache(maxsize=262_144)
def name_key(name: str | None) -> str:
    """Return the comparison key of an organisation/site/service name.

    >>> name_key("C.A.W. Oost-Vlaanderen vzw") == name_key("CAW Oost-Vlaanderen")
    True
    """
    text = fold(name)
    if not text:
        return ""
    for phrase, short in _PHRASES:
        if phrase in text:
            text = text.replace(phrase, short)
    tokens = _glue_initials(text.split())
    out = []
    for tok in tokens:
        tok = _NAME_SYNONYMS.get(tok, tok)
        if tok in LEGAL_FORMS or tok in STOP_WORDS:
            continue
        out.append(tok)
    if not out:
        # A name made only of stop-words/legal forms ("The Company Inc") keeps its words.
        out = tokens
    return " ".join(out)


@lru_cache(maxsize=262_144)
def distinctive_key(key: str) -> str:
    """Drop :data:`GENERIC_NAME_WORDS` from a :func:`name_key` ("vrije basisschool linde" ->
    "linde"); ``""`` when nothing specific is left."""
    return " ".join(tok for tok in key.split() if tok not in GENERIC_NAME_WORDS)


@lru_cache(maxsize=262_144)
def name_tokens(name: str | None) -> frozenset[str]:
    """Return the set of tokens of :func:`name_key`."""
    return frozenset(name_key(name).split())


# Street types and directions, one short form per meaning. Keys are folded tokens.
_STREET_TYPES = {
    # English
    "street": "st",
    "st": "st",
    "str": "st",
    "avenue": "av",
    "ave": "av",
    "av": "av",
    "avn": "av",
    "road": "rd",
    "rd": "rd",
    "drive": "dr",
    "dr": "dr",
    "boulevard": "bd",
    "blvd": "bd",
    "bd": "bd",
    "bld": "bd",
    "boul": "bd",
    "lane": "ln",
    "ln": "ln",
    "court": "ct",
    "ct": "ct",
    "place": "pl",
    "pl": "pl",
    "parkway": "pkwy",
    "pkwy": "pkwy",
    "highway": "hwy",
    "hwy": "hwy",
    "terrace": "ter",
    "ter": "ter",
    "circle": "cir",
    "cir": "cir",
    "square": "sq",
    "sq": "sq",
    "suite": "ste",
    "ste": "ste",
    # French
    "rue": "rue",
    "r": "rue",
    "chaussee": "chaussee",
    "chee": "chaussee",
    "chss": "chaussee",
    "impasse": "imp",
    "imp": "imp",
    "allee": "allee",
    "quai": "quai",
    # Dutch (as separate words; compounds are handled by _DUTCH_SUFFIXES)
    "straat": "straat",
    "steenweg": "steenweg",
    "stwg": "steenweg",
    "stw": "steenweg",
    "laan": "laan",
    "plein": "plein",
    "pln": "plein",
    # Directions
    "north": "n",
    "n": "n",
    "south": "s",
    "s": "s",
    "east": "e",
    "e": "e",
    "west": "w",
    "w": "w",
    "northeast": "ne",
    "ne": "ne",
    "northwest": "nw",
    "nw": "nw",
    "southeast": "se",
    "se": "se",
    "southwest": "sw",
    "sw": "sw",
}

# Abbreviated endings of Dutch compound street names ("Kerkstr." -> "kerkstraat").
_DUTCH_SUFFIXES = (
    ("stwg", "steenweg"),
    ("str", "straat"),
    ("ln", "laan"),
    ("pln", "plein"),
)

# Articles inside street names: "Rue de la Loi" ~ "Rue Loi", "Jan van Rijswijcklaan".
_STREET_STOP_WORDS = frozenset("de la le les du des d l van der den het t".split())


@lru_cache(maxsize=262_144)
def street_key(street: str | None) -> str:
    """Return the comparison key of a street name (tokens separated by single spaces).

    >>> street_key("Kerkstr.") == street_key("Kerkstraat")
    True
    >>> street_key("12011 NE 1st St") == street_key("12011 northeast 1st street")
    True
    """
    tokens = fold(street).split()
    out = []
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        if tok in ("st", "sint", "saint", "sainte", "ste") and i == 0 and last > 0:
            # "St.-Pietersplein", "Saint-Gilles": a saint's name starts the street.
            out.append("sint")
            continue
        short = _STREET_TYPES.get(tok)
        if short is not None:
            out.append(short)
            continue
        if tok in _STREET_STOP_WORDS:
            continue
        for suffix, full in _DUTCH_SUFFIXES:
            if tok.endswith(suffix) and len(tok) >= len(suffix) + 3 and tok.isalpha():
                tok = tok[: -len(suffix)] + full
                break
        out.append(tok)
    return " ".join(out)


# Short forms that are a street *type* or a *direction* rather than part of the name.
_TYPE_TOKENS = frozenset(
    "st av rd dr bd ln ct pl pkwy hwy ter cir sq way rue chaussee imp allee quai straat steenweg"
    " laan plein".split()
)
_DIRECTION_TOKENS = frozenset("n s e w ne nw se sw".split())


def _street_parts(key: str) -> tuple[str, frozenset[str], frozenset[str]]:
    """Split a street key into (core name, types, directions)."""
    core, types, dirs = [], set(), set()
    for tok in key.split():
        if tok in _TYPE_TOKENS:
            types.add(tok)
        elif tok in _DIRECTION_TOKENS:
            dirs.add(tok)
        else:
            core.append(tok)
    return "".join(core), frozenset(types), frozenset(dirs)


@lru_cache(maxsize=262_144)
def compare_streets(a: str | None, b: str | None) -> str | None:
    """Compare two street keys: "same", "compatible", "different", or None when unknown.

    "compatible" means the same street name where one side leaves out the type or the
    direction ("Central" vs "Central Ave"). A one-letter typo in a long name still counts
    as the same street ("Kerkstaat"), but only when the first two letters and every
    number agree, because "2nd Ave S" and "2nd Ave SW" or "Veldstraat" and "Weldstraat"
    are different streets.
    """
    if not a or not b:
        return None
    if a == b or compact(a) == compact(b):
        return "same"
    core_a, types_a, dirs_a = _street_parts(a)
    core_b, types_b, dirs_b = _street_parts(b)
    if not core_a or not core_b:
        return "different"
    if core_a != core_b:
        if (
            core_a[:2] != core_b[:2]
            or min(len(core_a), len(core_b)) < 6
            or _DIGITS_RE.findall(core_a) != _DIGITS_RE.findall(core_b)
            or fuzz.ratio(core_a, core_b) < 90
        ):
            return "different"
    if (types_a and types_b and types_a != types_b) or (dirs_a and dirs_b and dirs_a != dirs_b):
        return "different"
    if types_a == types_b and dirs_a == dirs_b:
        return "same"  # equal, or a typo in the name only
    return "compatible"


_DIGITS_RE = re.compile(r"\d+")

# Words that only announce a unit ("suite 200", "bus 3", "2de verdieping").
_UNIT_WORDS = frozenset(
    """
    suite ste room rm unit bus boite bte box apt apartment floor fl flr verdieping lokaal
    bureau office building bldg gebouw no nr number etage
    """.split()
)


@lru_cache(maxsize=65_536)
def unit_key(*parts: str | None) -> frozenset[str] | None:
    """Return the tokens of a box/room/suite line without unit words ("Suite 200" -> {"200"})."""
    tokens = frozenset(
        tok for part in parts if part for tok in fold(part).split() if tok not in _UNIT_WORDS
    )
    return tokens or None


def compact(key: str) -> str:
    """Remove spaces from a key, so split and joined Dutch compounds compare equal."""
    return key.replace(" ", "")


_HOUSE_NUMBER_RE = re.compile(
    r"(\d+)\s*(bis|ter|[a-z](?![a-z]))?(?:\s*[-\u2013]\s*(\d+)\s*([a-z](?![a-z]))?)?"
)


@lru_cache(maxsize=65_536)
def house_number_key(n: str | None) -> str | None:
    """Return a house number as digits plus letter suffix ("12 A" -> "12a", "12-14" -> "12-14").

    A box/"bus" part ("12 bus 3", "12/3") is not part of the key. ``None`` when the value
    has no digits.
    """
    if not n:
        return None
    m = _HOUSE_NUMBER_RE.search(n.lower())
    if m is None:
        return None
    number, suffix, upper, upper_suffix = m.groups()
    key = str(int(number)) + (suffix or "")
    if upper is not None and int(upper) > int(number):
        key += "-" + str(int(upper)) + (upper_suffix or "")
    return key


def _number_range(key: str) -> tuple[int, int, str]:
    """Return (low, high, suffix) of a house-number key."""
    low, _, high = key.partition("-")
    low_digits = "".join(ch for ch in low if ch.isdigit())
    suffix = low[len(low_digits) :]
    high_digits = "".join(ch for ch in high if ch.isdigit())
    lo = int(low_digits)
    return lo, int(high_digits) if high_digits else lo, suffix


def compare_house_numbers(a: str | None, b: str | None) -> str | None:
    """Compare two house-number keys: "same", "suffix" (12 vs 12a), "different", or None.

    Overlapping ranges ("12-14" vs "14") count as "same": the building has both numbers.
    """
    if not a or not b:
        return None
    if a == b:
        return "same"
    if a.isdigit() and b.isdigit():
        return "different"
    a_lo, a_hi, a_suf = _number_range(a)
    b_lo, b_hi, b_suf = _number_range(b)
    if (a_lo, a_hi) != (b_lo, b_hi) and (a_lo != a_hi or b_lo != b_hi):
        return "same" if a_lo <= b_hi and b_lo <= a_hi else "different"
    if a_lo == b_lo and a_suf != b_suf:
        return "suffix"
    return "different"


_NON_DIGIT_RE = re.compile(r"[^0-9]+")


def digits(phone: str | None) -> str:
    """Return only the digits of a phone number (or any string)."""
    if not phone:
        return ""
    return _NON_DIGIT_RE.sub("", phone)


# Free mail providers and web hosts shared by unrelated organisations: never evidence.
GENERIC_DOMAINS = frozenset(
    """
    gmail.com googlemail.com hotmail.com hotmail.be hotmail.fr hotmail.nl outlook.com outlook.be
    outlook.fr live.com live.be live.nl msn.com yahoo.com yahoo.fr yahoo.be yahoo.co.uk
    icloud.com me.com mac.com aol.com gmx.com gmx.net gmx.de mail.com protonmail.com proton.me
    telenet.be skynet.be proximus.be belgacom.net scarlet.be pandora.be edpnet.be voo.be base.be
    orange.fr orange.be free.fr wanadoo.fr laposte.net comcast.net
    facebook.com fb.com instagram.com linkedin.com twitter.com x.com youtube.com
    google.com sites.google.com wix.com wixsite.com wordpress.com blogspot.com jimdo.com
    jimdosite.com webnode.be webnode.com weebly.com squarespace.com business.site linktr.ee
    """.split()
)

# Second-level labels under which registrations happen one level deeper (example.co.uk).
_SECOND_LEVELS = frozenset("co com org net gov ac edu".split())


@lru_cache(maxsize=65_536)
def registrable_domain(host: str | None) -> str | None:
    """Return the registrable part of a host name ("www.caw.be" -> "caw.be")."""
    if not host:
        return None
    host = host.strip().lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return None
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVELS and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def web_domain(url: str | None) -> str | None:
    """Return the registrable domain of a URL ("https://www.caw.be/contact" -> "caw.be")."""
    if not url:
        return None
    if "//" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return registrable_domain(host)


@lru_cache(maxsize=65_536)
def email_domain(email: str | None) -> str | None:
    """Return the domain part of an e-mail address, lowercased."""
    if not email or "@" not in email:
        return None
    return registrable_domain(email.rsplit("@", 1)[1])


@lru_cache(maxsize=65_536)
def is_generic_domain(domain: str | None) -> bool:
    """True for free-mail and hosting domains that say nothing about who owns an address."""
    if not domain:
        return True
    return domain in GENERIC_DOMAINS or domain.split(".", 1)[-1] in GENERIC_DOMAINS


def url_key(url: str | None) -> str | None:
    """Return a URL without scheme, "www." and trailing slash, for equality tests."""
    if not url:
        return None
    if "//" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    query = "?" + parts.query if parts.query else ""
    return host + path + query if host else None


@lru_cache(maxsize=65_536)
def kbo_is_valid(kbo: str | None) -> bool:
    """Check a Belgian enterprise number (KBO/BCE): 10 digits, mod-97 check digits."""
    number = digits(kbo)
    if len(number) == 9:
        number = "0" + number
    if len(number) != 10 or number[0] not in "01":
        return False
    return 97 - int(number[:8]) % 97 == int(number[8:])


@lru_cache(maxsize=65_536)
def kbo_key(kbo: str | None) -> str | None:
    """The 10 digits of a valid KBO/BCE number ("0212.347.945" -> "0212347945"), else None."""
    return digits(kbo).zfill(10) if kbo_is_valid(kbo) else None
