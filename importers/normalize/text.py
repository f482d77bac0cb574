"""Text clean-up: :func:`normalize_text` and SHOUTING-case fixing (:func:`fix_case`).

Also holds the helpers the other ``importers.normalize`` modules share: the memo size
``_CACHE_SIZE``, :func:`_one_line` and the whitespace/letter regexes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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
