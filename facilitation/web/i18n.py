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

from ..engine.errors import MESSAGES

LANGUAGES = ("ru", "en")
# Languages with a catalogue: the English texts are the message ids themselves.
TRANSLATED = ("ru",)
DEFAULT_LANGUAGE = "en"
COOKIE = "krug_lang"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def compile_catalogues() -> None:
    """Write .mo files next to the .po sources when missing or older (setup and tests need no extra step)."""
    for lang in TRANSLATED:
        po_path = _po_path(lang)
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=lang)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translated text for one language; empty for English, whose texts are the ids."""
    if lang not in TRANSLATED:
        return {}
    with _po_path(lang).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    return {m.id: (m.string or m.id) for m in catalog if m.id and isinstance(m.id, str)}


@cache
def browser_catalogue(lang: str) -> dict:
    """What ``/i18n/<lang>.json`` gives the browser: the messages, and every error code's text
    in this language (the engine's English message is the msgid), so no error text is copied
    into the browser code."""
    messages = catalogue(lang)
    return {"messages": messages,
            "errors": {code: messages.get(text, text) for code, text in MESSAGES.items()}}
