"""Translations: complete NL/FR/EN catalogues, compiled files up to date, nothing left out,
and the UI language chosen the way the locale selector promises."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask import g
from flask_babel import get_locale
from flask_babel import gettext
from flask_babel import refresh

from socialmap import TRANSLATIONS_DIR
from socialmap import models as m

ROOT = Path(__file__).parent.parent
LANGUAGES = ("nl", "fr", "en")


def _po(lang: str) -> Catalog:
    with open(Path(TRANSLATIONS_DIR) / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _messages(catalog: Catalog) -> dict[tuple[object, str | None], object]:
    return {(msg.id, msg.context): msg.string for msg in catalog if msg.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    catalog = _po(lang)
    assert len(_messages(catalog)) > 0
    untranslated = [
        msg.id for msg in catalog if msg.id and not all(s.strip() for s in _strings(msg.string))
    ]
    assert untranslated == [], f"{lang}: no translation for {untranslated}"
    fuzzy = [msg.id for msg in catalog if msg.id and msg.fuzzy]
    assert fuzzy == [], f"{lang}: fuzzy entries {fuzzy}"
    assert not catalog.fuzzy, f"{lang}: the catalogue header is marked fuzzy"


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value or ())  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_its_po_file(lang: str) -> None:
    compiled = BytesIO()
    write_mo(compiled, _po(lang))
    compiled.seek(0)
    fresh = _messages(read_mo(compiled))
    with open(Path(TRANSLATIONS_DIR) / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        committed = _messages(read_mo(f))
    assert committed == fresh, f"run: pybabel compile -d socialmap/translations ({lang})"


def test_every_extracted_message_is_in_the_catalogues() -> None:
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    assert found, "extraction found no messages: is babel.cfg right?"
    for lang in LANGUAGES:
        known = {msg.id if isinstance(msg.id, str) else msg.id[0] for msg in _po(lang) if msg.id}
        missing = {msgid: where for msgid, where in found.items() if msgid not in known}
        assert missing == {}, f"{lang}: run pybabel extract/update and translate {missing}"


def test_templates_are_translated_at_run_time(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fr-BE,fr;q=0.9"}):
        assert gettext("What to bring") == "À apporter"


def _locale(app: Flask, **request: object) -> str:
    with app.test_request_context(**request):  # type: ignore[arg-type]
        refresh()
        return str(get_locale())


def test_locale_from_accept_language_else_dutch(app: Flask) -> None:
    assert _locale(app, headers={"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}) == "fr"
    assert _locale(app, headers={"Accept-Language": "de-DE,en;q=0.3"}) == "en"
    assert _locale(app, headers={"Accept-Language": "de"}) == "nl"
    assert _locale(app) == "nl"


def test_cookie_wins_over_accept_language_and_query_is_ignored(app: Flask) -> None:
    headers = {"Accept-Language": "fr", "Cookie": "lang=en"}
    assert _locale(app, headers=headers) == "en"
    assert _locale(app, path="/?lang=nl", headers={"Accept-Language": "fr"}) == "fr"
    assert _locale(app, headers={"Accept-Language": "fr", "Cookie": "lang=xx"}) == "fr"


def test_locale_set_by_code_wins(app: Flask) -> None:
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        g.locale = "fr"
        refresh()
        assert str(get_locale()) == "fr"
        del g.locale


def test_signed_in_users_language_wins_over_cookie(app: Flask) -> None:
    from flask_login import LoginManager
    from flask_login import login_user

    if getattr(app, "login_manager", None) is None:  # until socialmap.auth sets it up
        LoginManager(app).user_loader(lambda _user_id: None)
    user = m.User(id="u-1", email="fr@example.org", role="referrer", language="fr", active=True)
    with app.test_request_context(headers={"Cookie": "lang=en", "Accept-Language": "en"}):
        assert login_user(user)
        refresh()
        assert str(get_locale()) == "fr"
