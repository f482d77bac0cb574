"""Reader for Open Referral HSDS 3.0 tabular data: a folder of CSV files.

Format name ``hsds-csv``. ``location`` is the folder (or any file in it, e.g. its
``datapackage.json``) holding ``organizations.csv``, ``services.csv`` and any of the other
HSDS 3.0 tables (``service_at_location.csv``, ``locations.csv``, ``addresses.csv``,
``phones.csv``, ``schedules.csv``, ``service_areas.csv``, ``languages.csv``,
``cost_options.csv``, ``required_documents.csv``, ``attributes.csv`` +
``taxonomy_terms.csv``/``taxonomies.csv``, ``organization_identifiers.csv``,
``accessibility.csv``; HSDS 3.1 ``capacities.csv``/``units.csv``). A ``datapackage.json``
maps table names to files when present. Tables are joined by id; see
:mod:`importers.formats._hsds_build` for the field mapping.

Issues: a missing ``organizations.csv``/``services.csv`` raises ``MalformedSource``; rows
without id/name and repeated ids are rejected (``"services.csv row 3"``); child rows that
point to an unknown or rejected parent are reported and left out; columns outside the
HSDS schema are reported once per file, except the ``x_socialmap`` extension of
organizations, services and locations: an ``x_socialmap`` column with a JSON object and/or
dotted ``x_socialmap.<key>`` columns (see :mod:`importers.formats._hsds_extension`).

``options.extra``: ``default_country`` (ISO code, otherwise taken from the addresses) and
``language`` (of the records' text, otherwise derived from the country: ``en`` for the
US/UK, ``nl`` for Belgium).
"""

from __future__ import annotations

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._hsds_build import build_batch
from importers.formats._hsds_tables import load_folder
from importers.records import Batch

FORMAT = "hsds-csv"


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read an HSDS 3.0 CSV folder into a :class:`Batch`."""
    batch = Batch()
    tables = load_folder(location, batch, format_name="3.0 CSV")
    return build_batch(tables, batch, options)
