"""Tests for the mapping-driven CSV/XLSX reader (format "csv")."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from importers.formats import ReadOptions
from importers.formats import load_all
from importers.formats import tabular
from importers.records import Batch
from importers.records import MalformedSource

DATA = Path(__file__).resolve().parents[1] / "data" / "tabular"
CSV_FILE = DATA / "diensten.csv"
MAPPING = DATA / "diensten.toml"


def read(path: Path, mapping: Path = MAPPING) -> Batch:
    return tabular.read(str(path), ReadOptions(mapping=str(mapping)))


def example_text() -> str:
    return CSV_FILE.read_bytes().decode("cp1252")


def write_mapping(tmp_path: Path, text: str, name: str = "map.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def check_example(batch: Batch, file_name: str) -> None:
    """What diensten.csv gives, whatever encoding/line ends/container it comes in."""
    orgs = {o.external_id: o for o in batch.organizations}
    services = {s.external_id: s for s in batch.services}
    assert set(services) == {"D1", "D2", "D5"}
    assert set(orgs) == {"O1", "O4"}

    org = orgs["O1"]
    assert org.name == "Fictieve vzw Één Stap Verder"  # cp1252 É/é decoded
    assert org.translations == {"fr": {"name": "ASBL fictive Un Pas Plus Loin"}}
    assert [(i.scheme, i.value) for i in org.identifiers] == [("KBO", "0999.999.911")]
    assert org.website == "www.eenstap.example.org"
    # D2 shares O1: one organisation, two services.
    assert services["D1"].organization_ref == services["D2"].organization_ref == "O1"

    d1 = services["D1"]
    assert d1.description == "Hulp bij schulden; ook budgetbeheer\nGeen wachttijd voor crisissen"
    assert [p.number for p in d1.phones] == ["09 000 00 11", "0470 00 00 11"]
    assert d1.minimum_age == 18 and d1.maximum_age is None
    assert [(c.scheme, c.code) for c in d1.categories] == [
        ("socialmap", "debt-counselling"),
        ("socialmap", "budget-management"),
    ]
    assert [(c.scheme, c.label) for c in d1.target_groups] == [
        ("label", "volwassenen"),
        ("label", "gezinnen"),
    ]
    assert d1.is_free is True
    assert d1.intake is not None and d1.intake.methods == ["phone"]
    assert d1.intake.accepts_referrals is True  # constant from the mapping
    assert d1.capacity is not None and d1.capacity.status == "available"  # built-in "vrij"
    areas = [(a.kind, a.code) for a in d1.service_areas]
    assert areas == [("postcode", "9000"), ("postcode", "9050")]
    assert d1.language == "nl"

    d2 = services["D2"]
    assert d2.name == "Praatcafé Eenzaamheid"
    assert "ëenzaam" in d2.description
    assert d2.is_free is False and d2.fees_description == "2 euro per bezoek"
    assert d2.capacity.status == "waitlist" and d2.capacity.waiting_weeks == 6
    assert d2.intake.methods == ["walk_in"]

    loc1 = next(loc for loc in batch.locations if loc.external_id == "D1")
    address = loc1.addresses[0]
    assert (address.street, address.house_number, address.box) == ("Kerkstraat", "1", "A")
    assert (address.postcode, address.city, address.country) == ("9000", "Gent", "BE")
    assert (loc1.latitude, loc1.longitude) == (51.0543, 3.7174)  # decimal commas
    slots = [(s.weekday, s.opens_at, s.closes_at) for s in loc1.schedules if s.weekday]
    assert slots == [(1, "09:00", "12:00"), (1, "13:00", "17:00"), (2, "09:00", "12:00")]
    assert [s.description for s in loc1.schedules if s.weekday is None] == ["Donderdag op afspraak"]
    assert d1.location_refs == ["D1"]
    loc2 = next(loc for loc in batch.locations if loc.external_id == "D2")
    assert loc2.schedules == []  # "gesloten" on Monday
    assert services["D5"].location_refs == []  # no address data

    # Hostile strings kept verbatim, control character removed, quoted line break kept.
    assert orgs["O4"].name == 'Fictief Huis <script>alert("x")</script>'
    assert services["D5"].name == "Hulp <b>vet</b>"
    assert services["D5"].description == "Regel 1\nRegel 2"

    rejected = {(i.ref, i.field): i.reason for i in batch.issues if i.rejected}
    # Header on line 3, template row = data row 1, so D1 is row 2 ... D6 is row 7.
    assert rejected == {
        (f"{file_name} row 4", "Min leeftijd"): "minimum_age: not a number: 'abc'",
        (f"{file_name} row 5", "Organisatie"): "name: missing",
        (f"{file_name} row 7", "Capaciteit"): rejected[(f"{file_name} row 7", "Capaciteit")],
    }
    assert "'onbestaand' is not one of" in rejected[(f"{file_name} row 7", "Capaciteit")]


def test_example_cp1252_semicolons_title_rows_template_row() -> None:
    raw = CSV_FILE.read_bytes()
    assert b"\xc9" in raw and b"\r\n" in raw  # really cp1252 É, CRLF
    batch = load_all()["csv"](str(CSV_FILE), ReadOptions(mapping=str(MAPPING)))
    check_example(batch, "diensten.csv")


def test_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + example_text().encode("utf-8"))
    check_example(read(path), "bom.csv")


def test_cr_only_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    text = example_text().replace("\r\n", "\r")
    assert "\n" not in text
    path.write_bytes(text.encode("cp1252"))
    batch = read(path)
    check_example(batch, "mac.csv")


def test_xlsx(tmp_path: Path) -> None:
    records = list(csv.reader(io.StringIO(example_text(), newline=""), delimiter=";"))
    book = openpyxl.Workbook()
    book.active.title = "Voorblad"
    book.active["A1"] = "Niet deze tab"
    sheet = book.create_sheet("Diensten")
    for record in records:
        # Excel cannot store control characters at all (openpyxl refuses them).
        sheet.append([cell.replace("\x07", "") for cell in record])
    sheet["M5"] = 51.0543  # numbers as numbers, as Excel users type them
    sheet["W5"] = 18
    sheet["K5"] = 9000
    path = tmp_path / "diensten.xlsx"
    book.save(path)
    mapping = MAPPING.read_text(encoding="utf-8").replace(
        "[organization]", 'sheet = "Diensten"\n\n[organization]', 1
    )
    check_example(read(path, write_mapping(tmp_path, mapping)), "diensten.xlsx")

    bad_sheet = mapping.replace('sheet = "Diensten"', 'sheet = "Bestaat niet"')
    with pytest.raises(MalformedSource, match="no sheet 'Bestaat niet'.*Voorblad, Diensten"):
        read(path, write_mapping(tmp_path, bad_sheet, "bad.toml"))


def test_template_row_not_skipped_is_rejected(tmp_path: Path) -> None:
    mapping = MAPPING.read_text(encoding="utf-8").replace(
        "skip_rows_after_header = 1", "skip_rows_after_header = 0"
    )
    batch = read(CSV_FILE, write_mapping(tmp_path, mapping))
    assert any(i.ref == "diensten.csv row 1" and i.rejected for i in batch.issues)
    assert "tekst (uniek)" not in {s.external_id for s in batch.services}


def test_wrong_header_row_names_missing_columns(tmp_path: Path) -> None:
    mapping = MAPPING.read_text(encoding="utf-8").replace("header_row = 3", "header_row = 1")
    with pytest.raises(MalformedSource, match="'Dienst-ID'.* not found"):
        read(CSV_FILE, write_mapping(tmp_path, mapping))


SIMPLE_MAPPING = """
[file]
id_from = ["naam", "postcode"]

[organization]
name = "naam"

[location]
street = "straat"
postcode = "postcode"

[service]
name = "naam"
minimum_age = "leeftijd"
"""


def test_comma_file_without_ids_hostile_strings(tmp_path: Path) -> None:
    long_name = "Lange naam " + "x" * 10_000
    path = tmp_path / "lijst.csv"
    rows = [
        ["naam", "straat", "postcode", "leeftijd"],
        ["<img src=x onerror=alert(1)>\x00Dienst", "Straat 1", "1000", "12 jaar"],
        [long_name, "", "", ""],
        ["", "Straat 3", "3000", ""],
        ["<img src=x onerror=alert(1)>Dienst", "Straat 1", "1000", ""],  # same id as row 1
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    batch = read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
    names = [s.name for s in batch.services]
    assert names == ["<img src=x onerror=alert(1)>Dienst", long_name]
    assert batch.services[0].minimum_age == 12  # "12 jaar"
    ids = [s.external_id for s in batch.services]
    assert all(i.startswith("row-") for i in ids) and len(set(ids)) == 2
    # Same input, same id: ids are stable across runs.
    again = read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
    assert [s.external_id for s in again.services] == ids
    assert batch.services[1].location_refs == []  # no address: no location
    issues = {(i.ref, i.reason) for i in batch.issues if i.rejected}
    assert ("lijst.csv row 3", "name: missing") in issues
    assert ("lijst.csv row 4", f"duplicate id {ids[0]}") in issues


def test_tab_and_pipe_delimiters(tmp_path: Path) -> None:
    for delimiter, name in (("\t", "tab.tsv"), ("|", "pipe.txt")):
        path = tmp_path / name
        lines = ["naam|straat|postcode|leeftijd", "Dienst A|Straat 1|1000|", "Dienst B||2000|65"]
        path.write_text("\n".join(line.replace("|", delimiter) for line in lines), encoding="utf-8")
        batch = read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
        assert [s.name for s in batch.services] == ["Dienst A", "Dienst B"]
        assert batch.services[1].minimum_age == 65


def test_not_a_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "foto.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000) + bytes(range(256)))
    with pytest.raises(MalformedSource, match="foto.csv: binary file"):
        read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
    path.write_bytes(bytes(range(1, 256)) * 20)  # junk without NULs: no usable columns
    with pytest.raises(MalformedSource, match="foto.csv: column"):
        read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
    path.write_text('{"json": "not csv"}\n', encoding="utf-8")
    with pytest.raises(MalformedSource, match="Only one column was found"):
        read(path, write_mapping(tmp_path, SIMPLE_MAPPING))
    path.write_bytes(b"")
    with pytest.raises(MalformedSource, match="no header row"):
        read(path, write_mapping(tmp_path, SIMPLE_MAPPING))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ('[service]\nname = "naam"\nbogus = "x"\n', "unknown field 'bogus'"),
        ('[servce]\nname = "naam"\n', "unknown section"),
        ('[service]\ndescription = "naam"\n', r"\[service\] needs a name"),
        ('[location]\nstreet = "straat"\n', "at least an"),
        ("[service\n", "not valid TOML"),
        ('[file]\nheader_row = 0\n[service]\nname = "naam"\n', "header_row"),
        ('[service]\nname = { column = "naam", value = "x" }\n', "exactly one"),
        ('[service]\nname = "naam"\n[values.nope]\n"a" = "b"\n', "no such field"),
    ],
)
def test_bad_mappings(tmp_path: Path, mapping: str, message: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("naam,straat\nA,B\n", encoding="utf-8")
    with pytest.raises(MalformedSource, match=message):
        read(path, write_mapping(tmp_path, mapping))


def test_mapping_is_required(tmp_path: Path) -> None:
    with pytest.raises(MalformedSource, match="mapping file is required"):
        tabular.read(str(CSV_FILE), ReadOptions())


def test_value_parsing_details(tmp_path: Path) -> None:
    mapping = """
[file]
id_column = "id"
delimiter = ";"

[service]
name = "naam"
status = "status"
accepts_referrals = "verwijzing"
hours_friday = "vr"
last_modified = "gewijzigd"
languages = { column = "talen", separator = "," }

[values.status]
"weg" = "defunct"
"""
    path = tmp_path / "v.csv"
    path.write_text(
        "id;naam;status;verwijzing;vr;gewijzigd;talen\n"
        "1;A;Weg;Ja;8.30-12u;2024-03-01;nl, fr, nl\n"
        "2;B;;misschien;;;\n"
        "3;C;tijdelijk gesloten;nee;na afspraak;31/12/2023;\n"
        "4;D;;;;gisteren;\n",
        encoding="utf-8",
    )
    batch = read(path, write_mapping(tmp_path, mapping))
    services = {s.external_id: s for s in batch.services}
    a = services["1"]
    assert a.status == "defunct" and a.intake.accepts_referrals is True
    assert [(s.weekday, s.opens_at, s.closes_at) for s in a.schedules] == [(5, "08:30", "12:00")]
    assert a.last_modified.isoformat() == "2024-03-01T00:00:00"
    assert a.languages == ["nl", "fr"]
    c = services["3"]
    assert c.status == "temporarily closed" and c.intake.accepts_referrals is False
    assert [(s.weekday, s.description) for s in c.schedules] == [(5, "na afspraak")]
    assert c.last_modified.year == 2023
    assert services["4"].last_modified is None
    assert "2" not in services
    issues = [(i.ref, i.field, i.rejected) for i in batch.issues]
    assert ("v.csv row 2", "verwijzing", True) in issues
    assert ("v.csv row 3", "vr", False) in issues
    assert ("v.csv row 4", "gewijzigd", False) in issues
