#!/usr/bin/env python
"""Keep the NL/FR/EN catalogues in socialmap/translations up to date.

  python scripts/i18n.py update            extract messages (babel.cfg), update the three .po
                                           files (no fuzzy guesses), compile the .mo files
  python scripts/i18n.py add FILE.json     update, then fill translations from FILE.json:
                                           {"English msgid": {"nl": "...", "fr": "..."}, ...}
                                           ("en" defaults to the msgid; for ngettext messages
                                           give a list [singular, plural] per language)
  python scripts/i18n.py missing           list messages without a translation, per language

Message ids are English. Safe to run from several shells at once (a file lock).
"""

from __future__ import annotations

import copy
import fcntl
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "socialmap" / "translations"
LANGUAGES = ("nl", "fr", "en")


def _template() -> Catalog:
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="socialmap", version="0.1.0")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _read(lang: str) -> Catalog:
    with open(_po_path(lang), "rb") as f:
        return read_po(f, locale=lang)


def _write(lang: str, catalog: Catalog) -> None:
    catalog.fuzzy = False
    with open(_po_path(lang), "wb") as f:
        write_po(f, catalog, width=100, sort_output=True)
    with open(_po_path(lang).with_suffix(".mo"), "wb") as f:
        write_mo(f, catalog)


def update(fill: dict[str, dict[str, object]] | None = None) -> None:
    template = _template()
    for lang in LANGUAGES:
        catalog = _read(lang)
        # a copy: Catalog.update adds the template's own Message objects for new ids, which
        # the languages would then share (the last language's text ended up in all three)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            given = (fill or {}).get(key, {}).get(lang)
            if given is None and lang == "en" and not _translated(message.string):
                given = list(message.id) if message.pluralizable else message.id
            if given is not None:
                message.string = tuple(given) if message.pluralizable else given
            message.flags.discard("fuzzy")
        _write(lang, catalog)


def _translated(value: object) -> bool:
    strings = (value,) if isinstance(value, str) else tuple(value or ())  # type: ignore[arg-type]
    return bool(strings) and all(str(s).strip() for s in strings)


def missing() -> int:
    count = 0
    for lang in LANGUAGES:
        for message in _read(lang):
            if message.id and not _translated(message.string):
                count += 1
                print(f"{lang}\t{message.id}")
    return count


def main(argv: list[str]) -> int:
    with open(TRANSLATIONS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if argv[:1] == ["update"]:
            update()
        elif argv[:1] == ["add"] and len(argv) == 2:
            update(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        elif argv[:1] == ["missing"]:
            return 1 if missing() else 0
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
