"""Belgian enterprise numbers (KBO/BCE/CBE): :func:`parse_kbo` and :func:`kbo_is_valid`."""

from __future__ import annotations

import re
from functools import lru_cache

from importers.normalize.text import _CACHE_SIZE

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
