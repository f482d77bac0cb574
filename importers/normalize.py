"""Normalise the values readers deliver: text, names, KBO numbers, phones, e-mails, URLs, addresses.

Every function here is pure (no Flask, no database) and cheap: the import pipeline calls them
for every record of runs with 100,000 records, so regular expressions are compiled once at
module level and functions whose inputs repeat a lot (names, phone numbers, URLs, street
lines) are memoised with :func:`functools.lru_cache`.  Memoised functions return immutable
values (frozen dataclasses, strings, tuples) so a cached result can never be altered by a caller.

Hostile input (HTML, 10k-character strings, control characters) is treated as data: it is
never escaped here (templates autoescape) and never makes a function raise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import shortnumberinfo

from importers.records import AddressIn

__all__ = [
    "AddressNorm",
    "NameNorm",
    "PhoneNorm",
    "email_domain",
    "fix_case",
    "kbo_is_valid",
    "normalize_address",
    "normalize_country",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_text",
    "normalize_url",
    "parse_kbo",
    "split_emails",
    "split_phones",
    "url_domain",
]

_CACHE_SIZE = 1 << 16

# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

# C0/C1 control characters except \t \n \r, plus zero-width characters and the BOM.
_CTRL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
# Horizontal whitespace (incl. no-break and typographic spaces) collapsed to one space.
_HSPACE_RE = re.compile("[ \t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_ANY_SPACE_RE = re.compile(r"\s+")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
# Fast-path test: a stripped string without any of these is already normalised.
_TEXT_NEEDS_WORK_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]|  "
)


def normalize_text(s: Any, multiline: bool = True) -> str | None:
    """Strip, drop control characters, collapse whitespace; ``""`` becomes ``None``.

    With ``multiline`` (the default, for descriptions) line breaks are kept: spaces are
    collapsed within each line and runs of blank lines are reduced to one.  With
    ``multiline=False`` (names, single-line fields) every whitespace run becomes one space.
    HTML is *not* escaped: the templates autoescape.
    """
    if s is None:
        return None
    if not isinstance(s, str):
        s = str(s)
    s = s.strip()
    if not s:
        return None
    if _TEXT_NEEDS_WORK_RE.search(s) is None:
        return s
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    s = _CTRL_RE.sub("", s)
    if multiline:
        lines = [_HSPACE_RE.sub(" ", line).strip() for line in s.split("\n")]
        s = _MANY_NEWLINES_RE.sub("\n\n", "\n".join(lines))
    else:
        s = _ANY_SPACE_RE.sub(" ", s)
    s = s.strip()
    return s or None


def _one_line(s: Any) -> str | None:
    return normalize_text(s, multiline=False)


# --------------------------------------------------------------------------------------------
# Case fixing (SHOUTING -> Title Case)
# --------------------------------------------------------------------------------------------

# Acronyms that stay upper case when a SHOUTING name is recased.  Words of 3+ letters without
# vowels (CGG, CRP, CLB ...) are recognised automatically; this list is for the others.
_ACRONYMS = frozenset(
    """
    AA AZ UZ PZ ZNA GZA OLV ASZ AZORG CAW OCMW CPAS CHU CHR CHC CHIREC HUDERF HUB ULB VUB
    KU UCL UA UGENT VDAB RVA ONEM RIZIV INAMI FOD SPF VAPH AVIQ IRISCARE VGC COCOF COCOM CAF
    MFC LDC WGC JAC CKG CAD DAC OCMW VZW ASBL SOS YMCA YWCA USA NGO ICT ADHD AIDS HIV NAH
    GGZ CGGZ TEJO PMS CPMS CLB CM PC VDK KBC ING BNP IBO KDV DKO AMA KINE ISP VIA ACIS ODC
    II III IV VI VII VIII IX XI XII XIII XIV XV XVI XX
    """.split()
)
_VOWELS = frozenset("AEIOUYÀÁÂÃÄÅÆÈÉÊËÌÍÎÏÒÓÔÕÖØÙÚÛÜÝŸ")
# Small words kept lower case inside a name (never as the first word).
_PARTICLES = frozenset(
    """
    de der den het van voor en in op te ten ter bij met aan uit tot over
    du des la le les et à au aux sur sous pour par
    of and the for on at to by an
    """.split()
)
# French/Italian elisions kept lower case inside a name: "Mont-de-l'Enclus", "Rue d'Arlon".
_ELISIONS = frozenset(["l", "d", "qu", "j", "n", "s", "c"])
_VOWEL_RE = re.compile("[" + "".join(sorted(_VOWELS)) + "]")
_UPPER_RE = re.compile("[A-ZÀ-ÖØ-Þ]")
_LOWER_RE = re.compile("[a-zß-öø-ÿ]")
_INITIALS_RE = re.compile(r"^(?:[^\W\d_]\.){2,}[^\W\d_]?\.?$")
_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")
_PART_SPLIT_RE = re.compile(r"([-/‐–])")
_APOSTROPHES = "'’`´"
_STRIP_PUNCT = '()[]{}"“”„«»‹›,;:!?*'


def _is_shouting(s: str) -> bool:
    if s.isupper():
        return True
    if s.islower():
        return False
    # Mixed: count Latin letters with C-level regex scans (a Python loop is 5x slower).
    upper = len(_UPPER_RE.findall(s))
    # "CENTRE HOSPITALIER DE WALLONIE - Chwapi" is still shouting: mostly upper case.
    return upper >= 2 and len(_LOWER_RE.findall(s)) * 4 <= upper


def _cap_run(m: re.Match[str]) -> str:
    run = m.group(0)
    start = m.start()
    s = m.string
    if start > 0 and s[start - 1].isdigit():
        return run.lower()  # "4BIS" -> "4bis", "1STE" -> "1ste", "12E DE LIGNE" -> "12e"
    low = run.lower()
    if low.startswith("ij"):  # Dutch digraph: "IJZERLAAN" -> "IJzerlaan"
        return "IJ" + low[2:]
    return low[:1].upper() + low[1:]


def _cap_part(part: str, lower_particles: bool) -> str:
    """Recase one hyphen-separated part of an all-caps word."""
    low = part.lower()
    bare = low.strip(".")
    if lower_particles and bare in _PARTICLES and bare == low:
        return low
    for ap in _APOSTROPHES:
        if ap in part:
            pre, _, post = part.partition(ap)
            pre_low = pre.lower()
            if pre_low in ("", "s", "t") and not post.strip(_STRIP_PUNCT).isalpha():
                return low  # "'S", "'T" (Dutch archaic article)
            if pre_low == "" and post.lower() in ("s", "t"):
                return low
            if pre_low in _ELISIONS and pre.isalpha():
                head = pre_low if lower_particles else pre_low.capitalize()
                return head + ap + _LETTER_RUN_RE.sub(_cap_run, post)
            if len(post) <= 1:  # "TUTU'S" -> "Tutu's"
                return _LETTER_RUN_RE.sub(_cap_run, pre) + ap + post.lower()
            break
    return _LETTER_RUN_RE.sub(_cap_run, part)


def _fix_word(tok: str, first: bool) -> str:
    """Fast path of :func:`_fix_token` for a plain all-caps word of letters only."""
    if tok in _ACRONYMS:
        return tok
    if len(tok) >= 3 and _VOWEL_RE.search(tok) is None:
        return tok  # no vowels: CGG, CRP, CLB ...
    low = tok.lower()
    if not first and low in _PARTICLES:
        return low
    if low.startswith("ij"):  # Dutch digraph: "IJZERLAAN" -> "IJzerlaan"
        return "IJ" + low[2:]
    return low[:1].upper() + low[1:]


def _fix_token(tok: str, first: bool) -> str:
    if tok.isalpha() and tok.isupper():
        return _fix_word(tok, first)
    if not tok.isupper():
        return tok  # already mixed/lower case ("Chwapi", "vzw") or no letters: keep
    core = tok.strip(_STRIP_PUNCT)
    if not core:
        return tok
    core_letters = core.strip(".")
    if core_letters in _ACRONYMS or _INITIALS_RE.match(core):
        return tok
    if tok[0] in "([" and tok[-1] in ")]" and core.isalpha():
        return tok  # "(HUDERF)": a bracketed single word is an acronym by convention
    if (
        len(core) >= 3
        and core.isalpha()
        and _VOWEL_RE.search(core) is None
        and not tok.endswith(".")
    ):
        return tok  # no vowels: CGG, CRP, CLB ... ("ST." / "DR." end with a dot)
    parts = _PART_SPLIT_RE.split(tok)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # separator
            out.append(part)
            continue
        if part.strip(_STRIP_PUNCT).strip(".") in _ACRONYMS:
            out.append(part)
            continue
        out.append(_cap_part(part, lower_particles=not (first and i == 0)))
    return "".join(out)


@lru_cache(maxsize=_CACHE_SIZE)
def fix_case(s: str) -> str:
    """Turn a SHOUTING string into title case; leave mixed-case strings alone.

    Acronyms (CAW, OCMW, CGG, A.Z., "(HUDERF)") stay upper case, small words (de, van, la,
    of ...) are lower case except at the start: "ALGEMEEN ZIEKENHUIS ST. LUCAS" ->
    "Algemeen Ziekenhuis St. Lucas", "MONT-DE-L'ENCLUS" -> "Mont-de-l'Enclus".
    """
    if not _is_shouting(s):
        return s
    out = []
    first = True
    for tok in s.split(" "):
        if not tok:
            continue
        if tok.isalpha():  # the common case: a plain word
            out.append(_fix_word(tok, first) if tok.isupper() else tok)
            first = False
            continue
        out.append(_fix_token(tok, first))
        if first and _HAS_LETTER_RE.search(tok):
            first = False
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# Names and legal forms
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameNorm:
    """A display name with the legal form split off (canonical, lower case) when present."""

    display: str
    legal_form: str | None = None


def _abbr(letters: str) -> str:
    """Regex for an abbreviation with optional dots: "vzw" -> v.z.w., v. z. w., vzw."""
    return r"(?:\.\s?)?".join(re.escape(ch) for ch in letters) + r"\.?"


# (regex, canonical form).  Legacy forms map to their successor under the 2019 Belgian
# Companies and Associations Code (bvba -> bv, sprl -> srl, cvba -> cv, scrl -> sc), so the
# same company is recognised before and after its conversion.
_FORMS_UNAMBIGUOUS: list[tuple[str, str]] = [
    (_abbr("ivzw"), "ivzw"),
    (_abbr("vzw"), "vzw"),
    (_abbr("aisbl"), "aisbl"),
    (_abbr("asbl"), "asbl"),
    (_abbr("ebvba"), "bv"),
    (_abbr("bvba"), "bv"),
    (r"sprlu?\b\.?|" + _abbr("sprl"), "srl"),
    (_abbr("cvba") + r"(?:[\s-]?so\b\.?)?|" + _abbr("cvoa"), "cv"),
    (_abbr("scrl") + r"(?:[\s-]?fs\b\.?)?|" + _abbr("scris"), "sc"),
    # "son"/"fup" only with dots: "Smith & Son" is no foundation.
    (r"stichting\s+van\s+openbaar\s+nut|s\.\s?o\.\s?n\.", "son"),
    (r"fondation\s+d['’]\s?utilit[ée]\s+publique|f\.\s?u\.\s?p\.", "fup"),
    (r"private\s+stichting", "ps"),
    (r"fondation\s+priv[ée]e", "fp"),
    (r"openbare\s+vereniging", "ov"),
    (r"comm\.\s?v\.?|commv\b\.?|" + _abbr("gcv"), "commv"),
    (r"s\.?\s?comm\.?|" + _abbr("scs"), "scomm"),
]
# Short forms that are only recognised at the start or end of a name (ambiguous elsewhere).
_FORMS_SHORT_BE: list[tuple[str, str]] = [
    (_abbr("bv"), "bv"),
    (_abbr("nv"), "nv"),
    (_abbr("sa"), "sa"),
    (_abbr("srl"), "srl"),
    (_abbr("cv"), "cv"),
    (_abbr("sc"), "sc"),
    (_abbr("vof"), "vof"),
    (_abbr("snc"), "snc"),
    (_abbr("ov"), "ov"),
]
# US/English forms: suffix only ("Love INC.", "Acme, Inc.", "Foo Co.").
_US_FORMS_CANON = frozenset(["inc", "llc", "corp", "co", "ltd"])
_FORMS_US: list[tuple[str, str]] = [
    (r"incorporated|inc\b\.?", "inc"),
    (_abbr("llc"), "llc"),
    (r"corporation|corp\b\.?", "corp"),
    (r"co\.", "co"),
    (r"limited|ltd\b\.?", "ltd"),
]


def _forms_regex(forms: list[tuple[str, str]]) -> str:
    return "|".join(f"(?P<f{i}>{pat})" for i, (pat, _) in enumerate(forms))


def _compile_forms(
    forms: list[tuple[str, str]], template: str
) -> tuple[re.Pattern[str], list[str]]:
    regex = template.replace("FORMS", _forms_regex(forms))
    return re.compile(regex, re.IGNORECASE), [canon for _, canon in forms]


_SEP = r"(?:\s*[,;:|]\s*|\s+[-–—]\s*|\s*[-–—]\s+|\s+|(?=[(\[]))"
_ALL_FORMS = _FORMS_UNAMBIGUOUS + _FORMS_SHORT_BE + _FORMS_US
_PREFIX_FORMS = _FORMS_UNAMBIGUOUS + _FORMS_SHORT_BE
_SUFFIX_RE, _SUFFIX_CANON = _compile_forms(
    _ALL_FORMS, _SEP + r"[(\[]?\s*(?:FORMS)(?![\w'])\s*[)\]]?\s*[.,;]?$"
)
_PREFIX_RE, _PREFIX_CANON = _compile_forms(
    _PREFIX_FORMS, r"^[(\[]?\s*(?:FORMS)(?![\w'])\s*[)\]]?(?:\s*[,;:|]\s*|\s*[-–—]\s*|\s+)(?=\S)"
)
# Any form in brackets anywhere: "De Link (vzw) Antwerpen".
_BRACKET_RE, _BRACKET_CANON = _compile_forms(_ALL_FORMS, r"\s*[(\[]\s*(?:FORMS)(?![\w'])\s*[)\]]")
# Unambiguous forms as a separate word anywhere: "CAW Antwerpen vzw - Regio Noord".
_MIDDLE_RE, _MIDDLE_CANON = _compile_forms(_FORMS_UNAMBIGUOUS, r"(?<![\w'&.])(?:FORMS)(?![\w'])")
_EDGE_JUNK = " ,;:|-–—"


def _form_of(m: re.Match[str], canon: list[str]) -> str:
    for key, value in m.groupdict().items():
        if value is not None:
            return canon[int(key[1:])]
    raise AssertionError("legal-form regex matched without a form group")  # pragma: no cover


def _has_word(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


# Compact spellings (lower case, no dots/hyphens) of every word a legal form can start or end
# with; a name without any of them (or a one-letter word, for "v. z. w.") skips the regexes.
_FORM_WORDS = frozenset(
    """
    vzw ivzw asbl aisbl bvba ebvba sprl sprlu cvba cvbaso cvoa scrl scrlfs scris son fup commv
    comm gcv scs scomm bv nv sa srl cv sc vof snc ov inc incorporated llc corp corporation co ltd
    limited so fs stichting nut fondation publique private privée privee openbare vereniging
    """.split()
)
_FORM_WORD_STRIP = "()[]{}.,;:|-–—'\"’"


def _may_have_legal_form(t: str) -> bool:
    if "(" in t or "[" in t:
        return True
    for tok in t.split():
        c = tok.strip(_FORM_WORD_STRIP).replace(".", "").replace("-", "").lower()
        if len(c) == 1 or c in _FORM_WORDS:
            return True
    return False


# Single-word forms by compact spelling, for the regex-free fast paths (the common
# "De Link vzw" / "vzw De Link" / "Acme, Inc." cases).
_SUFFIX_WORDS = {
    "vzw": "vzw", "ivzw": "ivzw", "asbl": "asbl", "aisbl": "aisbl", "bvba": "bv", "ebvba": "bv",
    "sprl": "srl", "sprlu": "srl", "cvba": "cv", "cvoa": "cv", "scrl": "sc", "scris": "sc",
    "commv": "commv", "gcv": "commv", "scs": "scomm",
    "scomm": "scomm", "bv": "bv", "nv": "nv", "sa": "sa", "srl": "srl", "cv": "cv", "sc": "sc",
    "vof": "vof", "snc": "snc", "ov": "ov",
    "inc": "inc", "incorporated": "inc", "llc": "llc", "corp": "corp", "corporation": "corp",
    "co": "co", "ltd": "ltd", "limited": "ltd",
}  # fmt: skip
_PREFIX_WORDS = {k: v for k, v in _SUFFIX_WORDS.items() if v not in _US_FORMS_CANON}


def _fast_split(t: str) -> tuple[str, str] | None:
    head, _, last = t.rpartition(" ")
    if head:
        word = last.rstrip(",;")
        c = word.replace(".", "").lower()
        canon = _SUFFIX_WORDS.get(c)
        if canon and c.isalpha() and (c != "co" or word.endswith(".")):
            rest = head.rstrip(_EDGE_JUNK)
            if _has_word(rest):
                return rest, canon
    first, _, tail = t.partition(" ")
    if tail:
        word = first.rstrip(":,;-")
        c = word.replace(".", "").lower()
        canon = _PREFIX_WORDS.get(c)
        if canon and c.isalpha():
            rest = tail.lstrip(_EDGE_JUNK)
            if _has_word(rest):
                return rest, canon
    return None


def _split_legal_form(t: str) -> tuple[str, str | None]:
    if not _may_have_legal_form(t):
        return t, None
    fast = _fast_split(t)
    if fast is not None:
        return fast
    # A suffix form is at most ~40 characters long: only search the tail.
    m = _SUFFIX_RE.search(t, max(0, len(t) - 64))
    if m and m.start() > 0:
        rest = t[: m.start()].rstrip(_EDGE_JUNK)
        if _has_word(rest):
            return rest, _form_of(m, _SUFFIX_CANON)
    m = _PREFIX_RE.match(t)
    if m:
        rest = t[m.end() :].lstrip(_EDGE_JUNK)
        if _has_word(rest):
            return rest, _form_of(m, _PREFIX_CANON)
    m = _BRACKET_RE.search(t)
    if m:
        rest = (t[: m.start()] + " " + t[m.end() :]).strip(_EDGE_JUNK)
        if _has_word(rest):
            return _ANY_SPACE_RE.sub(" ", rest), _form_of(m, _BRACKET_CANON)
    m = _MIDDLE_RE.search(t)
    if m:
        before = t[: m.start()].rstrip(" ,;:")
        after = t[m.end() :].lstrip(" ,;:")
        rest = (before + " " + after).strip(_EDGE_JUNK)
        if _has_word(rest):
            return _ANY_SPACE_RE.sub(" ", rest), _form_of(m, _MIDDLE_CANON)
    return t, None


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_name(raw: str | None) -> NameNorm | None:
    """Clean an organisation/service name and split off its legal form.

    Whitespace is collapsed, SHOUTING case fixed (mixed-case names are kept as written), and a
    Belgian (vzw, asbl, bv, nv, srl, cv ...) or US (inc, llc, corp ...) legal form at the
    start, the end, in brackets, or (unambiguous forms only) in the middle is removed from the
    display name and returned in canonical lower-case form.  Nothing is expanded.
    """
    t = _one_line(raw)
    if t is None:
        return None
    rest, form = _split_legal_form(t)
    if form is not None:
        # "vzw De Link (vzw)": drop a repeated form too.
        rest2, form2 = _split_legal_form(rest)
        if form2 == form:
            rest = rest2
    return NameNorm(display=fix_case(rest), legal_form=form)


# --------------------------------------------------------------------------------------------
# KBO / BCE enterprise number
# --------------------------------------------------------------------------------------------

_KBO_PREFIX_RE = re.compile(
    r"^(?:(?:BE|BTW|TVA|VAT|KBO|BCE|CBE|ON|NO|NR|N°|ONDERNEMINGSNUMMER|ENTREPRISE)\b[\s.:#°-]*)+",
    re.IGNORECASE,
)
_KBO_BODY_RE = re.compile(r"^[\d.\s/-]+$")


@lru_cache(maxsize=_CACHE_SIZE)
def parse_kbo(raw: str | None) -> str | None:
    """Parse a Belgian enterprise number (KBO/BCE/CBE) to ``"0212.347.945"``, or ``None``.

    Accepts dots/spaces, a ``BE``/``BTW`` prefix and old 9-digit numbers (a leading 0 is
    added).  The number is valid when ``97 - (first 8 digits % 97)`` equals the last two.
    """
    if raw is None:
        return None
    s = str(raw).strip()
    if not s or len(s) > 40:
        return None
    if s[0].isalpha():
        s = _KBO_PREFIX_RE.sub("", s)
        # "BE0212347945" has no word boundary after "BE".
        if s[:2].upper() == "BE":
            s = s[2:]
    s = s.strip()
    if not _KBO_BODY_RE.match(s):
        return None
    digits = "".join(ch for ch in s if ch.isdigit())
    if len(digits) == 9:
        digits = "0" + digits
    if len(digits) != 10 or digits[0] not in "01":
        return None
    base = int(digits[:8])
    if base == 0 or 97 - base % 97 != int(digits[8:]):
        return None
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def kbo_is_valid(raw: str | None) -> bool:
    """True when ``raw`` is a well-formed enterprise number with a correct mod-97 check."""
    return parse_kbo(raw) is not None


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneNorm:
    """A parsed phone number.

    ``e164`` is set for valid numbers ("+3250369111"); ``national`` holds the digits of a
    valid short number (1712, 112, 106) which has no E.164 form; ``kind`` is the phonenumbers
    type in lower case ("fixed_line", "mobile", "toll_free" ...) or "short_code"; ``reason``
    says why an invalid number was rejected (``None`` when valid).
    """

    e164: str | None
    extension: str | None = None
    kind: str | None = None
    reason: str | None = None
    national: str | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None


_EXT_RE = re.compile(
    r"(?:\s*[,;]?\s*(?<![^\W\d_])(?:ext(?:ension)?|x|toestel|tst|poste|post|intern|int|tel)\.?"
    r"\s*[:#]?\s*|\s*#\s*)(?P<ext>\d{1,6})\s*\)?\s*$",
    re.IGNORECASE,
)
_EXT_FIELD_RE = re.compile(r"\d{1,10}")
# A run of phone-number characters starting and ending with a digit (or "(" / "+").
_PHONE_RUN_RE = re.compile(r"[+(]?\s?\d[\d\s().\-/–]*\d\)?")
_PLAIN_PHONE_RE = re.compile(r"^\+?[\d\s.\-/]+$")
_TRUNK_IN_BRACKETS_RE = re.compile(r"^(\+|00)\s*(\d{1,3})\s*[(\[]\s*0\s*[)\]]")
_NON_DIGIT_RE = re.compile(r"\D")
_TYPE_NAMES = {
    value: name.lower()
    for name, value in vars(PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
}


def _reason(region: str) -> str:
    return f"not a valid phone number for region {region}"


def _clean_extension(ext: str | None) -> str | None:
    if ext is None:
        return None
    m = _EXT_FIELD_RE.search(str(ext))
    return m.group(0) if m else None


def _phone_core(s: str) -> str | None:
    """The longest digit run of a phone string ("tel. 050/36.91.11" -> "050/36.91.11")."""
    best = None
    best_digits = 0
    for m in _PHONE_RUN_RE.finditer(s):
        run = m.group(0)
        n = sum(ch.isdigit() for ch in run)
        if n > best_digits:
            best, best_digits = run, n
    if best is None:
        return None
    start = s.find(best)
    # Keep a "+" that sits just before the run ("+ 32 50 ...").
    if not best.startswith("+") and s[:start].rstrip().endswith("+"):
        best = "+" + best
    return best.strip()


def _phone_result(num: phonenumbers.PhoneNumber, ext: str | None, region: str) -> PhoneNorm:
    # number_type() does the same work as is_valid_number() and also gives the kind.
    ntype = phonenumbers.number_type(num)
    if ntype == PhoneNumberType.UNKNOWN:
        num_region = phonenumbers.region_code_for_country_code(num.country_code)
        if num_region == "ZZ":
            num_region = region
        return PhoneNorm(None, ext, None, _reason(num_region))
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return PhoneNorm(e164, ext, _TYPE_NAMES.get(ntype), None)


def _short_number(digits: str, region: str, ext: str | None) -> PhoneNorm | None:
    try:
        num = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if shortnumberinfo.is_valid_short_number_for_region(num, region):
        return PhoneNorm(None, ext, "short_code", None, digits)
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_phone(number: str, extension: str | None, region: str) -> PhoneNorm:
    text = _one_line(number)
    if text is None:
        return PhoneNorm(None, _clean_extension(extension), None, "empty phone number")
    if len(text) > 200:  # no phone field is that long; avoid work on hostile input
        return PhoneNorm(None, _clean_extension(extension), None, _reason(region))
    ext = _clean_extension(extension)
    if _PLAIN_PHONE_RE.match(text):
        core: str | None = text  # only phone characters: nothing to strip (the common case)
    else:
        m = _EXT_RE.search(text)
        if m and sum(ch.isdigit() for ch in text[: m.start()]) >= 6:
            if ext is None:
                ext = m.group("ext")
            text = text[: m.start()]
        core = _phone_core(text)
    if core is None:
        return PhoneNorm(None, ext, None, _reason(region))
    core = _TRUNK_IN_BRACKETS_RE.sub(r"\1\2 ", core)  # "+32 (0)50 ..." -> "+32 50 ..."
    digits = _NON_DIGIT_RE.sub("", core)
    international = core.startswith("+") or digits.startswith("00")
    if international and digits.startswith("00"):
        digits = digits[2:]

    # Fast path for the formats that make up nearly all data (BE and NANP): build the
    # PhoneNumber directly; phonenumbers.parse() costs ~30 µs.
    cc: int | None = None
    nsn = ""
    if international:
        if digits.startswith("32"):
            cc, nsn = 32, digits[2:]
            if nsn.startswith("0"):  # "+32 050 ..." (trunk 0 written after the code)
                nsn = nsn[1:]
        elif digits.startswith("1") and len(digits) == 11:
            cc, nsn = 1, digits[1:]
    elif region == "BE" and digits.startswith("0") and len(digits) in (9, 10):
        cc, nsn = 32, digits[1:]
    elif region == "US" and len(digits) in (10, 11):
        if len(digits) == 11 and digits.startswith("1"):
            cc, nsn = 1, digits[1:]
        elif len(digits) == 10:
            cc, nsn = 1, digits
    if cc is not None and nsn and not nsn.startswith("0") and len(nsn) <= 15:
        num = phonenumbers.PhoneNumber(country_code=cc, national_number=int(nsn))
        return _phone_result(num, ext, region)

    if not international and len(digits) <= 6:
        short = _short_number(digits, region, ext)
        if short is not None:
            return short
    try:
        num = phonenumbers.parse(("+" + digits) if international else core, region)
    except phonenumbers.NumberParseException:
        return PhoneNorm(None, ext, None, _reason(region))
    if num.extension and ext is None:
        ext = num.extension
    num.extension = None
    return _phone_result(num, ext, region)


def normalize_phone(
    number: str | None, extension: str | None = None, region: str | None = "BE"
) -> PhoneNorm:
    """Parse one phone number as written in a source.

    ``region`` is the default for numbers written nationally ("050/36.91.11" with "BE",
    "(360) 312-2420" with "US"); numbers with a ``+``/``00`` country code keep their own
    country.  An extension in the text ("ext. 12", "x12", "toestel 12") or in ``extension``
    is returned separately.  Valid short numbers (1712, 112, 106) have no E.164 form: they
    come back with ``e164=None``, ``kind="short_code"`` and the digits in ``national``.
    Strings holding several numbers must be split first with :func:`split_phones`.
    """
    region = (region or "BE").upper()
    if number is None:
        return PhoneNorm(None, _clean_extension(extension), None, "empty phone number")
    return _normalize_phone(str(number), extension, region)


# Separators between numbers in one field.  " / " and " - " need spaces on both sides:
# "050/36.91.11" is one number.
_PHONE_SPLIT_RE = re.compile(
    r"\s*(?:[;|\n]|,(?!\d)|\s/\s|\s[-–]\s|\s(?:or|of|ou|en|et|and|oder)\s)\s*", re.IGNORECASE
)
_DIGIT_RE = re.compile(r"\d")


def _digit_count(s: str) -> int:
    return len(_DIGIT_RE.findall(s))


@lru_cache(maxsize=_CACHE_SIZE)
def _split_phones(s: str) -> tuple[str, ...]:
    text = normalize_text(s, multiline=True)
    if text is None:
        return ()
    if len(text) > 2000:
        text = text[:2000]
    pieces = [p.strip() for p in _PHONE_SPLIT_RE.split(text)]
    merged: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if merged:
            prev = merged[-1]
            n_prev = _digit_count(prev)
            # A label before its number ("tel en fax: 050 ..."), or an area code split off
            # at " / " or " - " ("050 / 36 91 11"); short numbers (112, 1712) stand alone.
            if n_prev == 0 or (n_prev <= 4 and prev.lstrip("(+")[:1] == "0"):
                merged[-1] = prev + " " + piece
                continue
        merged.append(piece)
    out: list[str] = []
    for piece in merged:
        if _digit_count(piece) == 0:
            continue
        # Two long digit runs in one piece ("(360) 676-1848  fax (360) 671-1636").
        runs = [m for m in _PHONE_RUN_RE.finditer(piece) if _digit_count(m.group(0)) >= 7]
        if len(runs) < 2:
            out.append(piece)
            continue
        start = 0
        for prev, nxt in zip(runs, runs[1:], strict=False):
            # the label between two numbers belongs to the second one
            gap = piece[prev.end() : nxt.start()]
            if _digit_count(gap) and not gap.strip(" ,;:"):
                continue
            out.append(piece[start : prev.end()].strip(" ,;:"))
            start = prev.end()
        out.append(piece[start:].strip(" ,;:"))
    return tuple(p for p in out if p)


def split_phones(s: str | None) -> list[str]:
    """Split a field holding several phone numbers into one string per number.

    "050 11 22 33 / 0475 11 22 33" -> ["050 11 22 33", "0475 11 22 33"]; separators are
    ``;``, ``,``, ``|``, new lines, " / ", " - " and words (or/of/ou/en/et/and); labels stay
    with their number ("TTY (360) 676-6749").  "050/36.91.11" stays one number.
    """
    if s is None:
        return []
    return list(_split_phones(str(s)))


# --------------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"^[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$"
)
_EMAIL_LABEL_RE = re.compile(r"^(?:mailto|e-?mail|courriel|mail)\s*:\s*", re.IGNORECASE)
_AT_OBFUSCATED_RE = re.compile(r"\s*[\[(]\s*(?:at|@)\s*[\])]\s*", re.IGNORECASE)
_DOT_OBFUSCATED_RE = re.compile(r"\s*[\[(]\s*(?:dot|punt|point)\s*[\])]\s*", re.IGNORECASE)
_EMAIL_SPLIT_RE = re.compile(r"[\s;,|/]+(?:(?:or|of|ou|en|et|and)[\s]+)?")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_email(raw: str | None) -> str | None:
    """Return ``user@domain.tld`` with a lower-case domain, or ``None`` when not an address.

    Strips "mailto:"/"e-mail:" labels, angle brackets ("Info <info@x.be>") and a mailto
    query; undoes "info(at)x.be" obfuscation.  The local part keeps its case.
    """
    s = _one_line(raw)
    if s is None or len(s) > 320:
        return None
    if "<" in s and ">" in s:
        s = s[s.rfind("<") + 1 : s.rfind(">")].strip()
    s = _EMAIL_LABEL_RE.sub("", s)
    s = s.split("?", 1)[0].strip().strip("\"'").rstrip(".,;:")
    if "@" not in s:
        s = _DOT_OBFUSCATED_RE.sub(".", _AT_OBFUSCATED_RE.sub("@", s))
    if len(s) > 254 or s.count("@") != 1:
        return None
    local, _, domain = s.partition("@")
    s = local + "@" + domain.lower().rstrip(".")
    if len(local) > 64 or not _EMAIL_RE.match(s):
        return None
    return s


def split_emails(raw: str | None) -> list[str]:
    """All valid e-mail addresses in a field ("a@x.be; b@x.be" -> both), in order, unique."""
    s = _one_line(raw)
    if s is None:
        return []
    one = normalize_email(s)
    if one is not None:
        return [one]
    out: list[str] = []
    for piece in _EMAIL_SPLIT_RE.split(s[:5000]):
        e = normalize_email(piece)
        if e is not None and e not in out:
            out.append(e)
    return out


def email_domain(email: str | None) -> str | None:
    """The lower-case domain of an e-mail address, or ``None``."""
    e = normalize_email(email)
    return e.rpartition("@")[2] if e else None


# --------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(.*)$", re.DOTALL)
_PORT_ONLY_RE = re.compile(r"^\d{1,5}(?:[/?#]|$)")
_HOST_RE = re.compile(r"^(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_](?:[\w-]{0,61}[^\W_])?$")
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_URL_BAD_CHARS_RE = re.compile(r"[\s<>\"'`\\{}|^]")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_url(raw: str | None) -> str | None:
    """Return a clean http(s) URL or ``None``.

    Adds ``https://`` when no scheme is given ("www.stlucas.be" ->
    "https://www.stlucas.be"), lower-cases scheme and host, drops default ports and the
    lone "/" of a bare host.  Rejects other schemes (javascript:, data:, mailto: ...),
    strings with spaces or characters not allowed in URLs, credentials and invalid hosts.
    """
    s = _one_line(raw)
    if s is None or len(s) > 2048:
        return None
    if s[0] in "<(" and s[-1] in ">)":
        s = s[1:-1].strip()
    s = s.rstrip(".,;")
    if not s or _URL_BAD_CHARS_RE.search(s):
        return None
    m = _SCHEME_RE.match(s)
    if s.startswith("//"):
        scheme, rest = "https", s[2:]
    elif m and not _PORT_ONLY_RE.match(m.group(2)):
        scheme = m.group(1).lower()
        if scheme not in ("http", "https"):
            return None
        rest = m.group(2)
        if not rest.startswith("//"):
            return None
        rest = rest[2:]
    else:
        scheme, rest = "https", s
    # Split authority from path/query/fragment by hand: faster than urlsplit, same result.
    cut = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i != -1 and i < cut:
            cut = i
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority or not authority:
        return None  # "https://www.bank.be@evil.example" is a phishing pattern
    host, _, port = authority.partition(":")
    host = host.lower().rstrip(".")
    if port:
        if not port.isdigit() or int(port) > 65535:
            return None
        if _DEFAULT_PORTS.get(scheme) == port:
            port = ""
    if not (_HOST_RE.match(host) or _IPV4_RE.match(host)):
        return None
    if tail == "/":
        tail = ""
    return f"{scheme}://{host}{':' + port if port else ''}{tail}"


# Second-level labels under a country TLD that act as public suffixes ("co.uk", "com.au").
_GENERIC_SLD = frozenset("co com org net gov ac edu nhs gv or ltd plc sch mil".split())
# Hosting platforms whose subdomains belong to different owners: keep the full host.
_SHARED_HOSTING = frozenset(
    """
    wixsite.com blogspot.com wordpress.com jimdofree.com jimdo.com webnode.be webnode.com
    weebly.com github.io netlify.app squarespace.com business.site sites.google.com
    """.split()
)


def url_domain(url: str | None) -> str | None:
    """The registrable-ish domain of a URL without "www." ("https://www.uzgent.be/x" ->
    "uzgent.be"); subdomains of shared hosting platforms are kept ("x.wixsite.com")."""
    u = normalize_url(url)
    if u is None:
        return None
    return _registrable(u.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0])


@lru_cache(maxsize=_CACHE_SIZE)
def _registrable(authority: str) -> str:
    host = authority.partition(":")[0]
    if _IPV4_RE.match(host):
        return host
    labels = host.split(".")
    if labels[0].startswith("www") and labels[0][3:].isdigit() and len(labels) > 2:
        labels = labels[1:]
    keep = 2
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLD:
        keep = 3
    elif len(labels) >= 3 and labels[-1] == "us" and len(labels[-2]) == 2:
        keep = 3  # US locality domains: "cityofx.wa.us"
        if len(labels) >= 4 and labels[-3] in ("k12", "cc", "lib", "tec", "ci", "co"):
            keep = 4
    base = ".".join(labels[-keep:])
    if base in _SHARED_HOSTING and len(labels) > keep:
        return ".".join(labels[-keep - 1 :])
    return base


# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------


@dataclass
class AddressNorm:
    """A normalised address; ``lat``/``lon``/``precision`` are filled in by the geocoder."""

    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    municipality_nis: str | None = None
    country: str | None = None
    state_province: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # source | address | postcode | municipality
    issues: list[str] = field(default_factory=list)


_COUNTRIES = {
    "be": "BE", "bel": "BE", "b": "BE", "belgium": "BE", "belgie": "BE", "belgië": "BE",
    "belgique": "BE", "belgien": "BE", "belgica": "BE", "belgië/belgique": "BE",
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "verenigde staten": "US",
    "nl": "NL", "nld": "NL", "nederland": "NL", "netherlands": "NL", "the netherlands": "NL",
    "pays-bas": "NL", "fr": "FR", "fra": "FR", "france": "FR", "frankrijk": "FR",
    "de": "DE", "deu": "DE", "germany": "DE", "duitsland": "DE", "allemagne": "DE",
    "deutschland": "DE", "lu": "LU", "lux": "LU", "luxembourg": "LU", "luxemburg": "LU",
    "uk": "GB", "gb": "GB", "united kingdom": "GB", "verenigd koninkrijk": "GB",
}  # fmt: skip

_US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip


def normalize_country(raw: str | None, default: str | None = "BE") -> str | None:
    """ISO 3166-1 alpha-2 code for a country code or name; unknown names are kept as given."""
    s = _one_line(raw)
    if s is None:
        return default
    code = _COUNTRIES.get(s.lower())
    if code:
        return code
    if len(s) == 2 and s.isalpha():
        return s.upper()
    return s


# House number: digits, optional range ("12-14"), optional letter/bis suffix ("12A", "4bis").
_NUM = r"\d{1,5}(?:\s?[-–]\s?\d{1,5})?(?:\s?(?:bis|ter|quater|[^\W\d_])(?![^\W_]))?"
_BOX_WORD = r"(?:bus|bte|boîte|boite|bt|box|bo|b)\.?"
_BOX_VALUE = r"[^\W_][\w.\-]{0,9}"
_BOX_TAIL = rf"(?:\s*,?\s*{_BOX_WORD}\s*(?P<box>{_BOX_VALUE})|\s*/\s*(?P<box2>{_BOX_VALUE}))?\s*$"
# Searched (not matched) so the first position where a number + box ends the line wins:
# "Rue du 11 Novembre 5" -> "5".  A leading ".*?" would make hostile input quadratic.
_STREET_SPLIT_RE = re.compile(
    rf"(?<![\s,])[\s,]+(?:(?:nr|no|n°)\.?\s*)?(?P<num>{_NUM}){_BOX_TAIL}", re.IGNORECASE
)
_HOUSE_SPLIT_RE = re.compile(rf"^(?:(?:nr|no|n°)\.?\s*)?(?P<num>{_NUM}){_BOX_TAIL}", re.IGNORECASE)
_BOX_FIELD_RE = re.compile(rf"^{_BOX_WORD}\s*(?=\w)", re.IGNORECASE)
_NUM_SUFFIX_RE = re.compile(r"^(\d+(?:-\d+)?)\s?([^\W\d_]+)$")
_BE_POSTCODE_RE = re.compile(r"^(?:BE?\s*[-–]?\s*)?(\d{4})(?:\.0)?$", re.IGNORECASE)
_PC_CITY_RE = re.compile(r"^(?:BE?\s*[-–]?\s*)?(\d{4})\s*[,-]?\s+(.*[^\W\d_].*)$", re.IGNORECASE)
_CITY_PC_RE = re.compile(r"(?<![\s,(])[\s,(]+(\d{4})\)?$")
_BPOST_SUFFIX_RE = re.compile(r"^(.*?[^\W\d_.])\s*(?:-{1,2}\s*|\s+)\d{1,2}$")
_ONE_LINE_ADDR_RE = re.compile(
    r"(?<![\s,])[\s,]+(?:BE?\s*[-–]?\s*)?(?P<pc>\d{4})\s+"
    r"(?P<city>[^\d,]+?)(?:\s*,\s*(?:belgi[eë]|belgique|belgium|be))?$",
    re.IGNORECASE,
)
_US_ZIP_RE = re.compile(r"^(\d{3,5})(?:[-\s]?\d{4})?$")


def _clean_house_number(num: str) -> str:
    num = num.replace(" ", "").replace("–", "-")
    m = _NUM_SUFFIX_RE.match(num)
    if m:
        digits, suffix = m.groups()
        # Single letters upper case ("12A"), bis/ter lower case ("4bis").
        num = digits + (suffix.upper() if len(suffix) == 1 else suffix.lower())
    return num


@lru_cache(maxsize=_CACHE_SIZE)
def _split_street(street: str) -> tuple[str, str | None, str | None]:
    """ "Kerkstraat 12 bus 3" -> ("Kerkstraat", "12", "3"); no number -> (street, None, None)."""
    m = _STREET_SPLIT_RE.search(street)
    if not m or not _HAS_LETTER_RE.search(street, 0, m.start()):
        return street, None, None
    box = m.group("box") or m.group("box2")
    return street[: m.start()].rstrip(" ,"), _clean_house_number(m.group("num")), box


@lru_cache(maxsize=_CACHE_SIZE)
def _split_house_number(num: str) -> tuple[str, str | None]:
    m = _HOUSE_SPLIT_RE.match(num)
    if not m:
        return num, None
    return _clean_house_number(m.group("num")), m.group("box") or m.group("box2")


def _clean_box(box: str | None) -> str | None:
    if box is None:
        return None
    return _BOX_FIELD_RE.sub("", box).strip() or None


@lru_cache(maxsize=_CACHE_SIZE)
def _name_key(s: str) -> str:
    """Accent/case/punctuation-insensitive key for place names ("ST.-NIKLAAS" ~ "Sint-Niklaas")."""
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(ch if ch.isalnum() else " " for ch in s if not unicodedata.combining(ch))
    words = s.split()
    # Expand the abbreviations used in place names: St./Ste. = Sint/Saint/Sainte.
    expanded = []
    for w in words:
        if w == "st":
            w = "sint"
        elif w in ("saint", "sainte", "ste", "sankt"):
            w = "sint"
        expanded.append(w)
    return " ".join(expanded)


def _split_qualifier(city: str) -> tuple[str, str | None]:
    """ "LEUZE (HT)" -> ("LEUZE", "HT"); no trailing "(...)" -> (city, None)."""
    if not city.endswith(")"):
        return city, None
    i = city.rfind("(")
    base, qualifier = city[:i].rstrip(), city[i + 1 : -1].strip()
    if i <= 0 or "(" in qualifier or not _HAS_LETTER_RE.search(base):
        return city, None
    if not _HAS_LETTER_RE.search(qualifier):
        return city, None
    return base, qualifier


def _city_without_suffix(city: str) -> str:
    m = _BPOST_SUFFIX_RE.match(city)
    return m.group(1) if m else city


def normalize_address(
    a: AddressIn, default_country: str = "BE", gazetteer: Any = None
) -> AddressNorm:
    """Normalise one address.

    Belgian addresses: split "Kerkstraat 12 bus 3" / "12/3" / "12 b3" / "16 bte 2" / "12A"
    into street, house number and box when the house number is missing; fix SHOUTING case;
    take the postcode from "B-8400" or from "8400 Oostende" in the city field; strip bpost
    district suffixes ("ANTWERPEN-1", "BRUXELLES--4"); check the postcode and set the 2025
    NIS code of the municipality with the gazetteer, filling a missing postcode (or city)
    from it.  Other countries keep their fields (US: upper-case 2-letter state, 5-digit zip).
    Problems are listed in ``issues``; coordinates are left to :mod:`importers.geocode`.
    """
    out = AddressNorm(
        street=_one_line(a.street),
        house_number=_one_line(a.house_number),
        box=_clean_box(_one_line(a.box)),
        address_2=_one_line(a.address_2),
        postcode=_one_line(a.postcode),
        city=_one_line(a.city),
        country=normalize_country(a.country, default_country),
        state_province=_one_line(a.state_province),
    )
    if out.country == "BE":
        _normalize_be(out, gazetteer)
    elif out.country == "US":
        _normalize_us(out)
    return out


def _normalize_be(out: AddressNorm, gazetteer: Any) -> None:
    # Whole address on one line: "Kerkstraat 12, 8400 Oostende".
    if out.street and out.postcode is None and out.city is None:
        m = _ONE_LINE_ADDR_RE.search(out.street)
        if (
            m
            and _HAS_LETTER_RE.search(m["city"])
            and any(ch.isdigit() for ch in out.street[: m.start()])
        ):
            out.street, out.postcode, out.city = out.street[: m.start()], m["pc"], m["city"]

    if out.street:
        if out.house_number is None:
            street, num, box = _split_street(out.street)
            out.street, out.house_number = street, num
            if box is not None and out.box is None:
                out.box = box
        out.street = fix_case(out.street)
    if out.house_number:
        num, box = _split_house_number(out.house_number)
        out.house_number = num
        if box is not None and out.box is None:
            out.box = box

    # Postcode, possibly written inside the city field ("8400 Oostende", "Oostende (8400)").
    if out.postcode is not None:
        m = _BE_POSTCODE_RE.match(out.postcode)
        if m:
            out.postcode = m.group(1)
        else:
            m = _PC_CITY_RE.match(out.postcode)
            if m:
                out.postcode = m.group(1)
                if out.city is None:
                    out.city = m.group(2)
            else:
                out.issues.append(f"invalid postcode {out.postcode}")
                out.postcode = None
    district = False
    qualifier = None
    if out.city is not None:
        m = _PC_CITY_RE.match(out.city)
        if m:
            if out.postcode is None:
                out.postcode = m.group(1)
            out.city = m.group(2)
        else:
            m = _CITY_PC_RE.search(out.city)
            if m and _HAS_LETTER_RE.search(out.city, 0, m.start()):
                if out.postcode is None:
                    out.postcode = m.group(1)
                out.city = out.city[: m.start()]
        # "LIEGE-1 (SART-TILMAN)", "LEUZE (HT)": match on the name before the brackets.
        base, qualifier = _split_qualifier(out.city)
        stripped = _city_without_suffix(base)
        district = stripped != base
        out.city = fix_case(stripped)
        if qualifier:
            qualifier = fix_case(qualifier)

    gaz = gazetteer if gazetteer is not None else _default_gazetteer()
    if gaz is not None:
        recognised = _apply_gazetteer(out, gaz, district)
        if qualifier and not recognised:
            out.city = f"{out.city} ({qualifier})"  # keep what was written
    elif qualifier:
        out.city = f"{out.city} ({qualifier})"


def _normalize_us(out: AddressNorm) -> None:
    st = out.state_province
    if st:
        if len(st) == 2 and st.isalpha():
            out.state_province = st.upper()
        else:
            out.state_province = _US_STATES.get(st.lower().rstrip("."), st)
    if out.postcode:
        m = _US_ZIP_RE.match(out.postcode)
        if m is None:
            out.issues.append(f"invalid zip code {out.postcode}")
        else:
            zip5 = m.group(1)
            if len(zip5) < 5:
                # Spreadsheets drop leading zeros of New England zip codes (02134 -> 2134).
                out.issues.append(f"zip code {zip5} padded with leading zeros")
                zip5 = zip5.zfill(5)
            out.postcode = zip5


# ---- gazetteer ------------------------------------------------------------------------------


def _default_gazetteer() -> Any:
    try:
        from socialmap.gazetteer import get_gazetteer
    except ImportError:  # pragma: no cover - the gazetteer module ships with the app
        return None
    return get_gazetteer()


def _place_names(place: Any) -> tuple[str, ...]:
    return tuple(n for n in (getattr(place, "name_nl", None), getattr(place, "name_fr", None)) if n)


# Per-gazetteer memo of (postcode, city) -> resolution; gazetteer objects may be unhashable
# (dataclasses), so they are keyed by id() and kept alive in the value.
_RESOLVE_CACHE: dict[int, tuple[Any, dict[tuple[str | None, str | None, bool], Any]]] = {}


def _resolve(gaz: Any, postcode: str | None, city: str | None, district: bool) -> Any:
    entry = _RESOLVE_CACHE.get(id(gaz))
    if entry is None or entry[0] is not gaz:
        entry = (gaz, {})
        _RESOLVE_CACHE[id(gaz)] = entry
    memo = entry[1]
    key = (postcode, city, district)
    if key not in memo:
        if len(memo) > _CACHE_SIZE:
            memo.clear()
        memo[key] = _resolve_uncached(gaz, postcode, city, district)
    return memo[key]


def _spelling(gaz: Any, place: Any, city: str) -> str:
    """The gazetteer spelling of ``city`` (fixes case and accents), in the language written."""
    key = _name_key(city)
    for name in _place_names(place):
        if _name_key(name) == key:
            return name
    muni_of = getattr(gaz, "municipality", None)
    muni = muni_of(place.nis) if muni_of is not None else None
    if muni is not None:
        for name in (muni.name_nl, muni.name_fr, getattr(muni, "name_de", None)):
            if name and _name_key(name) == key:
                return name
    return city


def _language_of(gaz: Any, city: str | None, postcode: str) -> str:
    """ "fr" when ``city`` is written in French ("Bruxelles"), else by region of the postcode."""
    if city:
        muni = gaz.find_municipality(city)
        if muni is not None:
            key = _name_key(city)
            if _name_key(muni.name_fr) == key and _name_key(muni.name_nl) != key:
                return "fr"
            if _name_key(muni.name_nl) == key:
                return "nl"
    pc = int(postcode) if postcode.isdigit() else 0
    return "fr" if (1300 <= pc < 1500 or 4000 <= pc < 8000) else "nl"


# "Brussel"/"Bruxelles" is written for every Brussels commune (1000-1299); the postcode
# tells which one.
_BRUSSELS_KEYS = frozenset(["brussel", "bruxelles", "brussels", "brussel stad", "bruxelles ville"])


def _fuzzy_place(places: list[Any], city: str) -> tuple[Any, str] | None:
    """Loose match within one postcode: "Beveren" ~ "Beveren-Waas", "Bonsecours" ~
    "Bon-Secours", "Fraiture-en-Condroz" ~ "Fraiture" (whole leading words only)."""
    ck = _name_key(city)
    if not ck:
        return None
    ck_flat = ck.replace(" ", "")
    for place in places:
        for name in _place_names(place):
            k = _name_key(name)
            if k.replace(" ", "") == ck_flat or k.startswith(ck + " ") or ck.startswith(k + " "):
                return place, name
    return None


def _main_place_name(gaz: Any, places: list[Any], city: str | None, postcode: str) -> str | None:
    if not places:
        return None
    main = next((p for p in places if getattr(p, "is_main", False)), places[0])
    lang = _language_of(gaz, city, postcode)
    nl, fr = main.name_nl or None, main.name_fr or None
    return (fr or nl) if lang == "fr" else (nl or fr)


def _resolve_uncached(gaz: Any, postcode: str | None, city: str | None, district: bool) -> tuple:
    """-> (postcode, city, nis, issues) for a postcode and/or city name."""
    if postcode is not None:
        if not gaz.is_valid_postcode(postcode):
            return postcode, city, None, (f"unknown postcode {postcode}",)
        places = list(gaz.by_postcode(postcode) or ())
        nis_codes = {p.nis for p in places if p.nis}
        nis = nis_codes.pop() if len(nis_codes) == 1 else None
        if city is None:
            name = _main_place_name(gaz, places, None, postcode)
            return postcode, name, nis, ("city filled from postcode",) if name else ()
        # find_place also accepts the municipality's name for a deelgemeente's postcode
        # (8310 "Brugge" -> Assebroek/Sint-Kruis, both in Brugge).
        place = gaz.find_place(city, postcode)
        if place is not None:
            return postcode, _spelling(gaz, place, city), place.nis, ()
        fuzzy = _fuzzy_place(places, city)
        if fuzzy is not None:
            return postcode, fuzzy[1], fuzzy[0].nis, ()
        if district or _name_key(city) in _BRUSSELS_KEYS and postcode < "1300":
            # "BRUXELLES--3" is bpost's district name for 1030 Schaerbeek: trust the postcode.
            name = _main_place_name(gaz, places, city, postcode)
            if name:
                return (
                    postcode,
                    name,
                    nis,
                    (f"city {city} replaced by {name} (postcode {postcode})",),
                )
        return postcode, city, nis, (f"city {city} does not match postcode {postcode}",)
    if city is not None:
        place = gaz.find_place(city)
        if place is not None:
            name = _spelling(gaz, place, city)
            return place.postcode, name, place.nis, ("postcode filled from municipality",)
        muni = gaz.find_municipality(city)
        if muni is not None and getattr(muni, "main_postcode", None):
            name = next(
                (n for n in (muni.name_nl, muni.name_fr) if n and _name_key(n) == _name_key(city)),
                city,
            )
            return muni.main_postcode, name, muni.nis, ("postcode filled from municipality",)
        return None, city, None, (f"unknown municipality {city}",)
    return None, None, None, ()


def _apply_gazetteer(out: AddressNorm, gaz: Any, district: bool) -> bool:
    """Fill postcode/city/NIS from the gazetteer; True when the city name was recognised."""
    postcode, city, nis, issues = _resolve(gaz, out.postcode, out.city, district)
    out.postcode = postcode
    out.city = city
    out.municipality_nis = gaz.current_nis(nis) if nis else None
    out.issues.extend(issues)
    return not any(i.startswith("unknown") or "does not match" in i for i in issues)
