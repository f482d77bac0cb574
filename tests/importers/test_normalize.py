"""Tests for importers.normalize: text, names, KBO, phones, e-mails, URLs and addresses.

Sample strings in upper case ("ALGEMEEN ZIEKENHUIS ST. LUCAS", "050/36.91.11", "BRUXELLES--4")
are written the way the Eurostat GISCO hospital list (socialmap/data/hospitals) writes them.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from importers.normalize import AddressNorm
from importers.normalize import NameNorm
from importers.normalize import PhoneNorm
from importers.normalize import email_domain
from importers.normalize import fix_case
from importers.normalize import kbo_is_valid
from importers.normalize import normalize_address
from importers.normalize import normalize_country
from importers.normalize import normalize_email
from importers.normalize import normalize_name
from importers.normalize import normalize_phone
from importers.normalize import normalize_text
from importers.normalize import normalize_url
from importers.normalize import parse_kbo
from importers.normalize import split_emails
from importers.normalize import split_phones
from importers.normalize import url_domain
from importers.records import AddressIn

ROOT = Path(__file__).resolve().parents[2]
HOSPITALS = ROOT / "socialmap" / "data" / "hospitals" / "BE.csv"

HOSTILE = [
    "<script>alert('x')</script>",
    "x" * 10_000,
    "\x00\x01\x02\x1b[31mred\x7f",
    "vzw " * 3000,
    "0" * 10_000,
    "@" * 5000 + ".be",
    "\u202e\u200bevil\ufeff",
    "   ",
    "",
]

# ---------------------------------------------------------------------------------- text


def test_normalize_text_strips_and_collapses() -> None:
    assert normalize_text("  De   Link \t vzw ") == "De Link vzw"
    assert normalize_text("a\u00a0\u2009b") == "a b"
    assert normalize_text("   ") is None
    assert normalize_text("") is None
    assert normalize_text(None) is None
    assert normalize_text(12) == "12"


def test_normalize_text_keeps_line_breaks_in_long_text() -> None:
    text = "Eerste lijn  \r\nTweede   lijn\n\n\n\nDerde"
    assert normalize_text(text) == "Eerste lijn\nTweede lijn\n\nDerde"
    assert normalize_text(text, multiline=False) == "Eerste lijn Tweede lijn Derde"


def test_normalize_text_removes_control_chars_but_not_html() -> None:
    assert normalize_text("a\x00b\x07c\u200bd\ufeff") == "abcd"
    # Escaping is the templates' job: markup stays as data.
    assert normalize_text("<b>Tom & Jerry</b>") == "<b>Tom & Jerry</b>"


# --------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "display", "form"),
    [
        # suffix
        ("De Link vzw", "De Link", "vzw"),
        ("De Link v.z.w.", "De Link", "vzw"),
        ("De Link, V.Z.W.", "De Link", "vzw"),
        ("EPSYLON Asbl", "Epsylon", "asbl"),
        ("Les Petits Riens a.s.b.l.", "Les Petits Riens", "asbl"),
        ("Janssens B.V.B.A.", "Janssens", "bv"),
        ("Janssens bv", "Janssens", "bv"),
        ("Dupont SPRL", "Dupont", "srl"),
        ("Dupont srl", "Dupont", "srl"),
        ("Bouwbedrijf Peeters NV", "Bouwbedrijf Peeters", "nv"),
        ("Coopérative Terre SCRL", "Coopérative Terre", "sc"),
        ("Ecopower cvba", "Ecopower", "cv"),
        ("Médecins Sans Frontières AISBL", "Médecins Sans Frontières", "aisbl"),
        ("Broederlijk Delen ivzw", "Broederlijk Delen", "ivzw"),
        (
            "Koning Boudewijnstichting stichting van openbaar nut",
            "Koning Boudewijnstichting",
            "son",
        ),
        ("Fondation Roi Baudouin, fondation d'utilité publique", "Fondation Roi Baudouin", "fup"),
        ("Fonds Pierre Dupont F.U.P.", "Fonds Pierre Dupont", "fup"),
        ("Stichting Kind S.O.N.", "Stichting Kind", "son"),
        ("Zorgbedrijf Rivierenland OV", "Zorgbedrijf Rivierenland", "ov"),
        ("Peeters & Zn. Comm.V.", "Peeters & Zn.", "commv"),
        # prefix
        ("vzw De Link", "De Link", "vzw"),
        ("V.Z.W. DE LINK", "De Link", "vzw"),
        ("VZW: Kind in Nood", "Kind in Nood", "vzw"),
        ("asbl Les Petits Riens", "Les Petits Riens", "asbl"),
        ("BVBA Janssens", "Janssens", "bv"),
        # brackets, anywhere
        ("De Link (vzw)", "De Link", "vzw"),
        ("De Link [V.Z.W.]", "De Link", "vzw"),
        ("De Link (vzw) Antwerpen", "De Link Antwerpen", "vzw"),
        ("CAW Antwerpen vzw - Regio Noord", "CAW Antwerpen - Regio Noord", "vzw"),
        ("vzw De Link (vzw)", "De Link", "vzw"),
        # US test data
        ("Acme, Inc.", "Acme", "inc"),
        ("Acme Inc", "Acme", "inc"),
        ("Sea Mar LLC", "Sea Mar", "llc"),
        ("Housing Development Corp.", "Housing Development", "corp"),
        ("Smith & Co.", "Smith &", "co"),
    ],
)
def test_legal_forms_split_off(raw: str, display: str, form: str) -> None:
    assert normalize_name(raw) == NameNorm(display=display, legal_form=form)


@pytest.mark.parametrize(
    "raw",
    [
        "Stichting Kinderkanker",  # "stichting" alone is part of the name
        "Smith & Son",  # "son" is only a foundation as "s.o.n."
        "Son of Man Ministries",
        "Maison sa vie",  # "sa" inside a name is a word, not a legal form
        "Kind en Gezin",
        "Lisa Coiffure",
        "Huis van het Kind",
        "Novanthe",
        "vzw",  # nothing would be left
        "(vzw)",
    ],
)
def test_no_legal_form_when_not_one(raw: str) -> None:
    norm = normalize_name(raw)
    assert norm is not None
    assert norm.legal_form is None
    assert norm.display == raw


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("ALGEMEEN ZIEKENHUIS ST. LUCAS", "Algemeen Ziekenhuis St. Lucas"),
        ("ST.-ANDRIESZIEKENHUIS", "St.-Andriesziekenhuis"),
        ("A.Z. RIVIERENLAND", "A.Z. Rivierenland"),
        ("C.H.U. AMBROISE PARE", "C.H.U. Ambroise Pare"),
        ("CENTRE HOSPITALIER UNIVERSITAIRE BRUGMANN", "Centre Hospitalier Universitaire Brugmann"),
        (
            "HOPITAL UNIVERSITAIRE DES ENFANTS REINE FABIOLA (HUDERF)",
            "Hopital Universitaire des Enfants Reine Fabiola (HUDERF)",
        ),
        (
            "CENTRE HOSPITALIER DE WALLONIE PICARDE - Chwapi",
            "Centre Hospitalier de Wallonie Picarde - Chwapi",
        ),
        ("CAW OOST-VLAANDEREN", "CAW Oost-Vlaanderen"),
        ("OCMW GENT", "OCMW Gent"),
        ("CGG VAGGA", "CGG Vagga"),
        ("CPAS/OCMW BRUXELLES", "CPAS/OCMW Bruxelles"),
        ('CRP "LES MARRONNIERS"', 'CRP "Les Marronniers"'),
        ("L'EQUIPE", "L'Equipe"),
        ("HEIST-OP-DEN-BERG", "Heist-op-den-Berg"),
        ("MONT-DE-L'ENCLUS", "Mont-de-l'Enclus"),
        ("IJZERLAAN", "IJzerlaan"),
        ("PSYCHIATRISCH CENTRUM ST.HIERONYMUS", "Psychiatrisch Centrum St.Hieronymus"),
    ],
)
def test_shouting_names_are_recased(raw: str, display: str) -> None:
    norm = normalize_name(raw)
    assert norm is not None
    assert norm.display == display


@pytest.mark.parametrize(
    "raw",
    ["OCMW Gent", "CAW", "De Sleutel", "vzw-huis", "Kids in Motion", "CM Antwerpen", "ZNA"],
)
def test_mixed_case_and_short_acronyms_kept(raw: str) -> None:
    assert fix_case(raw) == raw


def test_name_whitespace_and_empty() -> None:
    assert normalize_name("  De \t Link\n vzw ") == NameNorm("De Link", "vzw")
    assert normalize_name("   ") is None
    assert normalize_name(None) is None


def test_name_norm_is_immutable() -> None:
    # Results are memoised; a caller must not be able to change the cached value.
    norm = normalize_name("De Link vzw")
    assert norm is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        norm.display = "changed"  # type: ignore[misc]


# ----------------------------------------------------------------------------------- KBO


@pytest.mark.parametrize(
    "raw",
    ["0212.347.945", "0212347945", "BE 0212.347.945", "BE0212347945", "212347945",
     "212.347.945", "0212 347 945", "BTW BE 0212.347.945", "KBO: 0212.347.945"],
)  # fmt: skip
def test_kbo_accepted_notations(raw: str) -> None:
    assert parse_kbo(raw) == "0212.347.945"
    assert kbo_is_valid(raw)


def test_kbo_checksum() -> None:
    # Compute a valid number independently of the implementation.
    base = 4031707
    check = 97 - base % 97
    digits = f"{base:08d}{check:02d}"
    assert parse_kbo(digits) == f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    wrong = f"{base:08d}{(check % 97) + 1:02d}"
    assert parse_kbo(wrong) is None
    assert not kbo_is_valid(wrong)


@pytest.mark.parametrize(
    "raw",
    ["0212.347.946", "0212.347.94", "02123479451", "2212.347.945", "0000.000.097",
     "abc", "", None, "0212-347-945x", "BE 0212 347 945 999"],
)  # fmt: skip
def test_kbo_invalid(raw: str | None) -> None:
    assert parse_kbo(raw) is None
    assert kbo_is_valid(raw) is False


# --------------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "e164", "kind"),
    [
        ("050/36.91.11", "+3250369111", "fixed_line"),  # Eurostat style
        ("03/880.90.11", "+3238809011", "fixed_line"),
        ("02 435 51 38", "+3224355138", "fixed_line"),
        ("0472 12 34 56", "+32472123456", "mobile"),
        ("+32 (0)50 36 91 11", "+3250369111", "fixed_line"),
        ("0032 50 36 91 11", "+3250369111", "fixed_line"),
        ("+32 0475 11 22 33", "+32475112233", "mobile"),
        ("tel. 059 55 51 11", "+3259555111", "fixed_line"),
        ("Tel: 09/332.21.11", "+3293322111", "fixed_line"),
        ("0800 12 345", "+3280012345", "toll_free"),
        ("+31 20 123 4567", "+31201234567", "fixed_line"),  # NL number keeps NL
        ("0031 20 123 4567", "+31201234567", "fixed_line"),
    ],
)
def test_belgian_and_foreign_numbers(raw: str, e164: str, kind: str) -> None:
    p = normalize_phone(raw)
    assert p.e164 == e164
    assert p.kind == kind
    assert p.reason is None
    assert p.valid


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(360) 312-2420", "+13603122420"),
        ("3603832045", "+13603832045"),
        ("1-800-860-6812", "+18008606812"),
        ("(360)778- 6051", "+13607786051"),
        ("TTY (360) 676-6749", "+13606766749"),
        ("24 hr. crisis hotline: 360-393-0116", "+13603930116"),
    ],
)
def test_us_numbers_with_region_us(raw: str, e164: str) -> None:
    assert normalize_phone(raw, region="US").e164 == e164
    # The same digits are not a valid Belgian number.
    assert normalize_phone(raw, region="BE").e164 != e164


@pytest.mark.parametrize(
    ("raw", "ext"),
    [
        ("(360) 676-6724 ext. 32243", "32243"),
        ("(360) 733-5120 ext. 0", "0"),
        ("(360) 676-6724 x12", "12"),
        ("(360) 676-6724 extension 77", "77"),
    ],
)
def test_us_extensions(raw: str, ext: str) -> None:
    p = normalize_phone(raw, region="US")
    assert p.extension == ext
    assert p.e164 is not None and p.e164.startswith("+1360")


def test_belgian_extension_words_and_field() -> None:
    assert normalize_phone("02 435 51 38 toestel 12").extension == "12"
    assert normalize_phone("02 435 51 38 ext. 5").extension == "5"
    assert normalize_phone("02 435 51 38", extension="tst. 44") == PhoneNorm(
        "+3224355138", "44", "fixed_line", None
    )


@pytest.mark.parametrize("raw", ["1712", "106", "112", "102", "1813", "116 000"])
def test_short_numbers_kept_without_e164(raw: str) -> None:
    p = normalize_phone(raw)
    assert p.e164 is None
    assert p.reason is None
    assert p.kind == "short_code"
    assert p.national == raw.replace(" ", "")


@pytest.mark.parametrize(
    "raw", ["n/a", "geen", "999", "12345", "050 12", "0000 00 00 00", "<script>alert(1)</script>"]
)
def test_invalid_numbers(raw: str) -> None:
    p = normalize_phone(raw)
    assert p.e164 is None
    assert p.reason == "not a valid phone number for region BE"
    assert not p.valid


def test_empty_phone() -> None:
    assert normalize_phone("  ").reason == "empty phone number"
    assert normalize_phone(None).e164 is None


def test_fast_path_agrees_with_phonenumbers() -> None:
    # The fast path builds PhoneNumber objects itself; it must give phonenumbers' answer.
    import phonenumbers

    samples = [("050/36.91.11", "BE"), ("0472123456", "BE"), ("+3225551234", "BE"),
               ("0032 9 332 21 11", "BE"), ("(360) 312-2420", "US"), ("+1 206 764 2564", "BE"),
               ("080012345", "BE"), ("090012345", "BE")]  # fmt: skip
    for raw, region in samples:
        ref = phonenumbers.parse(raw, region)
        expected = (
            phonenumbers.format_number(ref, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(ref)
            else None
        )
        assert normalize_phone(raw, region=region).e164 == expected, raw


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("050 11 22 33 / 0475 11 22 33", ["050 11 22 33", "0475 11 22 33"]),
        ("050 11 22 33; 0475 11 22 33", ["050 11 22 33", "0475 11 22 33"]),
        ("02 123 45 67 of 0475 12 34 56", ["02 123 45 67", "0475 12 34 56"]),
        ("tel 050 11 22 33, fax 050 11 22 34", ["tel 050 11 22 33", "fax 050 11 22 34"]),
        ("1-800-860-6812 or TTY (360) 676-6749", ["1-800-860-6812", "TTY (360) 676-6749"]),
        ("(360) 676-1848  fax (360) 671-1636", ["(360) 676-1848", "fax (360) 671-1636"]),
        ("050/36.91.11", ["050/36.91.11"]),
        ("050 / 36 91 11", ["050 36 91 11"]),
        ("(360) 676-6724 ext. 32243", ["(360) 676-6724 ext. 32243"]),
        ("112 of 101", ["112", "101"]),
        ("", []),
        ("geen", []),
    ],
)
def test_split_phones(raw: str, parts: list[str]) -> None:
    assert split_phones(raw) == parts


def test_split_then_normalize() -> None:
    nums = [normalize_phone(p).e164 for p in split_phones("050 11 22 33 / 0475 11 22 33")]
    assert nums == ["+3250112233", "+32475112233"]


# -------------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("info@stlucas.be", "info@stlucas.be"),
        ("mailto:Info@StLucas.BE", "Info@stlucas.be"),
        ("MAILTO:info@x.be?subject=Vraag", "info@x.be"),
        ("  Onthaal <ONTHAAL@OCMW.GENT>  ", "ONTHAAL@ocmw.gent"),
        ("e-mail: jan.peeters@ocmw-gent.be.", "jan.peeters@ocmw-gent.be"),
        ("info(at)x.be", "info@x.be"),
        ("info [at] x [dot] be", "info@x.be"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
    ],
)
def test_emails(raw: str, email: str) -> None:
    assert normalize_email(raw) == email


@pytest.mark.parametrize(
    "raw",
    ["foo@bar", "foo@@bar.be", "a b@x.be", "a..b@x.be", ".a@x.be", "@x.be", "x@", "geen",
     "<script>@x.be", "x@-x.be", None, ""],
)  # fmt: skip
def test_invalid_emails(raw: str | None) -> None:
    assert normalize_email(raw) is None
    assert email_domain(raw) is None


def test_email_domain_and_split() -> None:
    assert email_domain("Info@StLucas.BE") == "stlucas.be"
    assert split_emails("a@x.be; b@y.be / A@X.BE, a@x.be") == ["a@x.be", "b@y.be", "A@x.be"]
    assert split_emails("info@x.be") == ["info@x.be"]
    assert split_emails("geen") == []


# ---------------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("www.stlucas.be", "https://www.stlucas.be"),
        ("WWW.STLUCAS.BE", "https://www.stlucas.be"),
        ("https://www.stlucas.be/", "https://www.stlucas.be"),
        ("HTTP://WWW.X.BE:80/Path?q=1", "http://www.x.be/Path?q=1"),
        ("https://x.be:443/a/", "https://x.be/a/"),
        ("https://x.be:8443", "https://x.be:8443"),
        ("www.x.be:8080/a", "https://www.x.be:8080/a"),
        ("//x.be/a", "https://x.be/a"),
        ("<www.x.be>", "https://www.x.be"),
        ("www.x.be.", "https://www.x.be"),
        (
            "www.solidaris-liege.be/clinique/la-clinique-andre-renard",
            "https://www.solidaris-liege.be/clinique/la-clinique-andre-renard",
        ),
    ],
)
def test_urls(raw: str, url: str) -> None:
    assert normalize_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    ["javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:void(0)",
     "data:text/html;base64,PHNjcmlwdD4=", "mailto:info@x.be", "vbscript:x", "ftp://x.be",
     "file:///etc/passwd", "www.x .be", "http:/x.be", "x", "localhost", "https://user:pw@x.be",
     "https://www.bank.be@evil.example", "https://x.be/<script>", "https://-x.be", None, ""],
)  # fmt: skip
def test_rejected_urls(raw: str | None) -> None:
    assert normalize_url(raw) is None


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.uzgent.be/patienten", "uzgent.be"),
        ("intranet.uzgent.be", "uzgent.be"),
        ("www2.azsintjan.be", "azsintjan.be"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("https://www.cob.org", "cob.org"),
        ("foo.wixsite.com/site", "foo.wixsite.com"),
        ("javascript:alert(1)", None),
    ],
)
def test_url_domain(raw: str, domain: str | None) -> None:
    assert url_domain(raw) == domain


# ----------------------------------------------------------------------------- hostile


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_strings_do_not_crash(s: str) -> None:
    text = normalize_text(s)
    assert text is None or ("\x00" not in text and "\x1b" not in text)
    name = normalize_name(s)
    assert name is None or "\x00" not in name.display
    assert parse_kbo(s) is None
    phone = normalize_phone(s)
    assert phone.e164 is None
    split_phones(s)
    assert normalize_email(s) is None
    assert normalize_url(s) is None
    addr = normalize_address(AddressIn(street=s, house_number=s, postcode=s, city=s, box=s))
    assert isinstance(addr, AddressNorm)


def test_script_name_kept_verbatim() -> None:
    norm = normalize_name("<script>alert('x')</script> vzw")
    assert norm == NameNorm("<script>alert('x')</script>", "vzw")


# ----------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("street", "expected"),
    [
        ("Kerkstraat 12 bus 3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12/3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12 b3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12 b.3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12, bus 3", ("Kerkstraat", "12", "3")),
        ("Rue de la Loi 16 bte 2", ("Rue de la Loi", "16", "2")),
        ("Rue de la Loi 16 boîte 2.01", ("Rue de la Loi", "16", "2.01")),
        ("Kerkstraat 12A", ("Kerkstraat", "12A", None)),
        ("Kerkstraat 12 a", ("Kerkstraat", "12A", None)),
        ("FRANCISCO FERRERLAAN 88 A", ("Francisco Ferrerlaan", "88A", None)),
        ("MONTAGNE STE.-WALBURGE 4BIS", ("Montagne Ste.-Walburge", "4bis", None)),
        ("ST.-LUCASLAAN 29", ("St.-Lucaslaan", "29", None)),
        ("Rudderhove 10", ("Rudderhove", "10", None)),
        ("Kerkstraat 12-14", ("Kerkstraat", "12-14", None)),
        ("Rue du 11 Novembre 5", ("Rue du 11 Novembre", "5", None)),
        ("Kerkstraat nr. 7", ("Kerkstraat", "7", None)),
        ("Grote Markt", ("Grote Markt", None, None)),
    ],
)
def test_street_split(street: str, expected: tuple[str, str | None, str | None]) -> None:
    a = normalize_address(AddressIn(street=street, postcode="8400", city="Oostende"))
    assert (a.street, a.house_number, a.box) == expected


def test_given_house_number_is_not_resplit_but_box_is_extracted() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat", house_number="12 bus 3", box=None))
    assert (a.street, a.house_number, a.box) == ("Kerkstraat", "12", "3")
    a = normalize_address(AddressIn(street="Laan 1940", house_number="5", box="bus 7"))
    assert (a.street, a.house_number, a.box) == ("Laan 1940", "5", "7")


@pytest.mark.parametrize(
    ("postcode", "city", "pc", "name"),
    [
        ("B-8400", "Oostende", "8400", "Oostende"),
        ("BE-8400", "OOSTENDE", "8400", "Oostende"),
        (None, "8400 Oostende", "8400", "Oostende"),
        (None, "B-8400 Oostende", "8400", "Oostende"),
        (None, "Oostende (8400)", "8400", "Oostende"),
        ("8400 Oostende", None, "8400", "Oostende"),
        ("2018", "ANTWERPEN-1", "2018", "Antwerpen"),
        ("1030", "BRUXELLES--3", "1030", "Schaerbeek"),
    ],
)
def test_postcode_and_city(postcode: str | None, city: str, pc: str, name: str) -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode=postcode, city=city))
    assert a.postcode == pc
    if name == "Schaerbeek":
        # bpost writes "BRUXELLES--3" for 1030; the gazetteer names the place Schaerbeek.
        assert a.city in ("Bruxelles", "Schaerbeek", "Schaarbeek")
    else:
        assert a.city == name
    assert a.country == "BE"


def test_bpost_suffix_stripped() -> None:
    a = normalize_address(
        AddressIn(street="RUE DES ALEXIENS 11", postcode="1000", city="BRUXELLES--1")
    )
    assert (a.street, a.house_number, a.postcode) == ("Rue des Alexiens", "11", "1000")
    assert a.city in ("Bruxelles", "Brussel")


def test_one_line_address() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 12 bus 3, 8400 Oostende"))
    assert (a.street, a.house_number, a.box, a.postcode, a.city) == (
        "Kerkstraat", "12", "3", "8400", "Oostende"
    )  # fmt: skip


def test_invalid_postcode_format() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="84000", city="Oostende"))
    assert "invalid postcode 84000" in a.issues


def test_country_names() -> None:
    assert normalize_country("België") == "BE"
    assert normalize_country("belgique") == "BE"
    assert normalize_country("USA") == "US"
    assert normalize_country(None) == "BE"
    assert normalize_country(None, "US") == "US"
    assert normalize_country("nl") == "NL"


def test_us_address_keeps_fields() -> None:
    a = normalize_address(
        AddressIn(street="1000 N Forest St", address_2="Suite 2", city="Bellingham",
                  state_province="wa", postcode="98225-1234", country="US"),
        default_country="US",
    )  # fmt: skip
    assert (a.street, a.house_number, a.address_2, a.city) == (
        "1000 N Forest St", None, "Suite 2", "Bellingham"
    )  # fmt: skip
    assert (a.state_province, a.postcode, a.country) == ("WA", "98225", "US")
    assert a.municipality_nis is None and a.lat is None and a.precision is None
    assert a.issues == []


def test_us_state_name_and_short_zip() -> None:
    a = normalize_address(AddressIn(city="Boston", state_province="Massachusetts", postcode="2134"),
                          default_country="US")  # fmt: skip
    assert (a.state_province, a.postcode) == ("MA", "02134")
    assert a.issues == ["zip code 2134 padded with leading zeros"]
    a = normalize_address(AddressIn(postcode="ABCDE", country="US"))
    assert a.issues == ["invalid zip code ABCDE"]


def test_other_country_untouched() -> None:
    a = normalize_address(AddressIn(street="Damrak 1", postcode="1012 LG", city="AMSTERDAM",
                                    country="Nederland"))  # fmt: skip
    assert (a.street, a.house_number, a.postcode, a.city, a.country) == (
        "Damrak 1", None, "1012 LG", "AMSTERDAM", "NL"
    )  # fmt: skip


def test_real_hospital_rows_normalise() -> None:
    """Every row of the shipped Eurostat hospital list gives a valid phone and a split address."""
    with HOSPITALS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 200
    without_number = []
    for row in rows:
        name = normalize_name(row["hospital_name"])
        assert name is not None and not (name.display.isupper() and len(name.display) > 6), name
        if row["tel"]:
            assert normalize_phone(row["tel"]).e164 is not None, row["tel"]
        a = normalize_address(
            AddressIn(street=row["street"], house_number=row["house_number"] or None,
                      postcode=row["postcode"], city=row["city"])
        )  # fmt: skip
        if a.house_number is None:
            without_number.append(a.street)
        else:
            assert a.house_number[0].isdigit() and a.street, row["street"]
        assert a.postcode == row["postcode"]
        assert a.municipality_nis is not None, row
        assert a.city and not a.city[-1].isdigit() and not a.city.isupper(), row
        assert not any("does not match" in issue for issue in a.issues), (row, a.issues)
    # Only the university campus line "DOM.UNIV. SART-TILMAN BAT.35" has no house number.
    assert without_number == ["Dom.Univ. Sart-Tilman Bat.35"]


# ------------------------------------------------------------------ addresses + gazetteer


def _nis(name: str) -> str:
    from socialmap.gazetteer import get_gazetteer

    muni = get_gazetteer().find_municipality(name)
    assert muni is not None, name
    return muni.nis


def test_municipality_nis_is_the_2025_code() -> None:
    # Melle merged into Merelbeke-Melle (44088) and Galmaarden into Pajottegem (23106) on
    # 1 January 2025: the old municipality names still give the new NIS codes.
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="9090", city="MELLE"))
    assert (a.city, a.municipality_nis, a.issues) == ("Melle", "44088", [])
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="1570", city="Galmaarden"))
    assert a.municipality_nis == "23106"
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="9000", city="GENT"))
    assert (a.city, a.municipality_nis) == ("Gent", _nis("Gent"))


def test_unknown_postcode() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="9999", city="Gent"))
    assert a.issues == ["unknown postcode 9999"]
    assert a.municipality_nis is None
    assert a.postcode == "9999"  # kept so a data steward sees what was written


def test_missing_postcode_filled_from_municipality() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", city="OOSTENDE"))
    assert (a.postcode, a.city, a.municipality_nis) == ("8400", "Oostende", _nis("Oostende"))
    assert a.issues == ["postcode filled from municipality"]
    # A deelgemeente gets its own postcode, not the main one of its municipality.
    a = normalize_address(AddressIn(street="Kerkstraat 1", city="Assebroek"))
    assert (a.postcode, a.municipality_nis) == ("8310", _nis("Brugge"))
    assert a.issues == ["postcode filled from municipality"]


def test_missing_city_filled_from_postcode() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="8400"))
    assert (a.city, a.municipality_nis) == ("Oostende", _nis("Oostende"))
    assert a.issues == ["city filled from postcode"]


def test_city_not_matching_postcode() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode="8400", city="Gent"))
    assert a.issues == ["city Gent does not match postcode 8400"]
    assert a.city == "Gent"
    assert a.municipality_nis == _nis("Oostende")  # the postcode decides


def test_unknown_municipality() -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", city="Atlantis"))
    assert (a.postcode, a.city, a.municipality_nis) == (None, "Atlantis", None)
    assert a.issues == ["unknown municipality Atlantis"]


@pytest.mark.parametrize(
    ("postcode", "city", "expected_city", "municipality"),
    [
        ("8310", "BRUGGE", "Brugge", "Brugge"),  # municipality name for a deelgemeente postcode
        ("8310", "ASSEBROEK", "Assebroek", "Brugge"),
        ("1000", "BRUXELLES", "Bruxelles", "Brussel"),  # French spelling kept
        ("1000", "BRUSSEL--1", "Brussel", "Brussel"),
        ("4000", "LIEGE-1 (SART-TILMAN)", "Liège", "Luik"),  # suffix, brackets, accents
        ("7900", "LEUZE (HT)", "Leuze-en-Hainaut", "Leuze-en-Hainaut"),
        ("9120", "BEVEREN", "Beveren-Waas", "Beveren-Kruibeke-Zwijndrecht"),
        ("7603", "BONSECOURS", "Bon-Secours", "Péruwelz"),
        ("2000", "Antwerpen (Zuid)", "Antwerpen", "Antwerpen"),
    ],
)
def test_city_names_resolved(
    postcode: str, city: str, expected_city: str, municipality: str
) -> None:
    a = normalize_address(AddressIn(street="Kerkstraat 1", postcode=postcode, city=city))
    assert a.city == expected_city
    assert a.municipality_nis == _nis(municipality)
    assert a.issues == []


def test_brussels_district_replaced_by_commune() -> None:
    # "1030 BRUXELLES--3" is bpost's old district name for Schaerbeek.
    a = normalize_address(AddressIn(street="Rue de la Luzerne 11", postcode="1030",
                                    city="BRUXELLES--3"))  # fmt: skip
    assert a.municipality_nis == _nis("Schaarbeek")
    assert a.city == "Schaerbeek"  # written in French -> French name
    assert a.issues == ["city Bruxelles replaced by Schaerbeek (postcode 1030)"]


def test_explicit_gazetteer_argument() -> None:
    from socialmap.gazetteer import get_gazetteer

    gaz = get_gazetteer()
    a = normalize_address(AddressIn(street="Kerkstraat 1", city="Oostende"), gazetteer=gaz)
    assert a.postcode == "8400"
