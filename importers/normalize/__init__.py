"""Normalise the values readers deliver: text, names, KBO numbers, phones, e-mails, URLs, addresses.

Every function here is pure (no Flask, no database) and cheap: the import pipeline calls them
for every record of runs with 100,000 records, so regular expressions are compiled once at
module level and functions whose inputs repeat a lot (names, phone numbers, URLs, street
lines) are memoised with :func:`functools.lru_cache`.  Memoised functions return immutable
values (frozen dataclasses, strings, tuples) so a cached result can never be altered by a caller.

Hostile input (HTML, 10k-character strings, control characters) is treated as data: it is
never escaped here (templates autoescape) and never makes a function raise.

Modules: :mod:`~importers.normalize.text` (text, SHOUTING case),
:mod:`~importers.normalize.names` (names, legal forms),
:mod:`~importers.normalize.identifiers` (KBO numbers), :mod:`~importers.normalize.phones`,
:mod:`~importers.normalize.web` (e-mails, URLs), :mod:`~importers.normalize.addresses` and
:mod:`~importers.normalize.places` (gazetteer look-ups).  Everything is re-exported here:
import from ``importers.normalize``.
"""

from __future__ import annotations

# The private names (``_x as _x``) stay importable from the package for
# benchmarks/normalize_bench.py: it calls _default_gazetteer(), clears _RESOLVE_CACHE and
# clears every lru_cache it finds in this namespace, memoised private helpers included.
from importers.normalize.addresses import AddressNorm
from importers.normalize.addresses import _split_house_number as _split_house_number
from importers.normalize.addresses import _split_street as _split_street
from importers.normalize.addresses import normalize_address
from importers.normalize.addresses import normalize_country
from importers.normalize.identifiers import kbo_is_valid
from importers.normalize.identifiers import parse_kbo
from importers.normalize.names import NameNorm
from importers.normalize.names import normalize_name
from importers.normalize.phones import PhoneNorm
from importers.normalize.phones import _normalize_phone as _normalize_phone
from importers.normalize.phones import _split_phones as _split_phones
from importers.normalize.phones import normalize_phone
from importers.normalize.phones import split_phones
from importers.normalize.places import _RESOLVE_CACHE as _RESOLVE_CACHE
from importers.normalize.places import _default_gazetteer as _default_gazetteer
from importers.normalize.places import _name_key as _name_key
from importers.normalize.text import fix_case
from importers.normalize.text import normalize_text
from importers.normalize.web import _registrable as _registrable
from importers.normalize.web import email_domain
from importers.normalize.web import normalize_email
from importers.normalize.web import normalize_url
from importers.normalize.web import split_emails
from importers.normalize.web import url_domain

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
