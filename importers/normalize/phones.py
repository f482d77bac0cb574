"""Phone numbers: :func:`normalize_phone` (via phonenumbers) and :func:`split_phones`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import shortnumberinfo

from importers.normalize.text import _CACHE_SIZE
from importers.normalize.text import _one_line
from importers.normalize.text import normalize_text


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
