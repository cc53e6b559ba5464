"""Russian and English: Flask-Babel catalogues for the server, the same catalogue for browsers.

Message ids are the English source texts. The browser gets the active language's catalogue
as JSON from ``/i18n/<lang>.json``; ``t()`` in ``static/krug.js`` looks strings up the same way.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "en"
COOKIE = "krug_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def compile_catalogues() -> None:
    """Write .mo files next to the .po sources when missing or older (setup and tests need no extra step)."""
    for lang in LANGUAGES:
        po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=lang)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translated text for one language (English falls back to the id)."""
    po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    return {m.id: (m.string or m.id) for m in catalog if m.id and isinstance(m.id, str)}
