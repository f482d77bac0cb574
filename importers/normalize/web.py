"""E-mail addresses and URLs: normalise, split, and take their (registrable) domain."""

from __future__ import annotations

import re
from functools import lru_cache

from importers.normalize.text import _CACHE_SIZE
from importers.normalize.text import _one_line

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
