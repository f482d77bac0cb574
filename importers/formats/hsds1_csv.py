"""Reader for Open Referral HSDS 1.x/2.x tabular datapackages (CSV files).

Format name ``hsds-1-csv``. ``location`` is the folder (or a file in it, e.g. its
``datapackage.json``). Tables are found through ``datapackage.json`` ``resources[].path``
when those files exist, else by file name, singular or plural and with any prefix
(``within_service.csv`` and ``within_physical_addresse.csv`` of the WithinReach export are
the ``service`` and ``physical_address`` tables; also looked for under ``data/``).

What differs from HSDS 3.0 (all handled by :mod:`importers.formats._hsds_build`):

- ``physical_addresses``/``postal_addresses`` -> addresses of that type;
- ``regular_schedules`` (weekday 1=Monday, opens_at, closes_at) -> weekly slots;
  ``holiday_schedules`` -> closures (special hours when not ``closed``);
- ``eligibility`` rows -> target groups (scheme ``label``) and the eligibility text;
  ``payments_accepted`` -> appended to the fees text; ``services.wait_time`` -> capacity
  note (weeks when it reads "28 days", "3 weeks" ...);
- ``services_taxonomy``/``services.taxonomy_ids`` + ``taxonomy`` (1.x) and
  ``service_attributes`` + ``taxonomy_terms`` (2.0) -> categories; a term whose taxonomy
  is AIRS/211taxonomy.org becomes ``CategoryIn("airs", code=...)``;
- WithinReach extension columns: ``x_age_range`` ("0-5") -> minimum/maximum age,
  ``x_target_populations`` -> target groups and ``x_need``/``x_keywords`` -> categories
  (scheme ``label``), ``x_option_status`` -> status, ``x_last_complete_update_at`` ->
  assured date; structured service areas (``[{"scope":"county",...}]``) -> text areas
  (``"Whatcom County, WA"``) or postcodes (zip scope).

The batch's ``default_country`` becomes the addresses' country ("US" when they give a US
state), and the records' language follows it (``en``) unless ``options.extra`` sets
``default_country``/``language``. Other extension columns are reported once per file.
"""

from __future__ import annotations

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._hsds_build import build_batch
from importers.formats._hsds_tables import load_folder
from importers.records import Batch

FORMAT = "hsds-1-csv"


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read an HSDS 1.x/2.x CSV datapackage into a :class:`Batch`."""
    batch = Batch()
    tables = load_folder(location, batch, format_name="1.x/2.x datapackage")
    return build_batch(tables, batch, options)
