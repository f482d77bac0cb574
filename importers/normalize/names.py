"""Organisation/service names: :func:`normalize_name` splits off Belgian and US legal forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from importers.normalize.text import _ANY_SPACE_RE
from importers.normalize.text import _CACHE_SIZE
from importers.normalize.text import _one_line
from importers.normalize.text import fix_case


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
