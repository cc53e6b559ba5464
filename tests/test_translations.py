"""Russian and English are both complete: every string the faces show has both.

English texts are the message ids themselves, so only Russian has a catalogue.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from facilitation.engine import FormatLibrary
from facilitation.engine.errors import MESSAGES
from facilitation.engine.rules import TEXT_LIMITS
from facilitation.persistence.saved_formats import FORMATS_DIR
from facilitation.web.i18n import LANGUAGES, TRANSLATED, TRANSLATIONS, browser_catalogue

ROOT = Path(__file__).resolve().parent.parent
# t('…') in the browser code and _('…') / gettext in templates and Python.
JS_CALL = re.compile(r"""\b(?:t|N_)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")
PY_CALL = re.compile(r"""\b_\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")


def catalogue(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def used_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [(p, JS_CALL) for p in (ROOT / "static").glob("*.js")]
    sources += [(p, PY_CALL) for p in (ROOT / "templates").glob("*.html")]
    sources += [(p, PY_CALL) for p in (ROOT / "facilitation").rglob("*.py")]
    for path, pattern in sources:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            found[text.replace("\\'", "'").replace('\\"', '"')] = path.name
    return found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_used_string_is_in_the_catalogue(lang):
    ids = {m.id for m in catalogue(lang) if m.id}
    missing = {text: where for text, where in used_strings().items() if text not in ids}
    assert not missing, f"{lang}: strings without a catalogue entry: {missing}"


def test_every_russian_entry_is_translated():
    untranslated = [m.id for m in catalogue("ru") if m.id and not m.string]
    assert not untranslated, f"no Russian for: {untranslated}"
    fuzzy = [m.id for m in catalogue("ru") if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) Russian for: {fuzzy}"


def test_russian_keeps_the_placeholders():
    for message in catalogue("ru"):
        if message.id and message.string:
            assert sorted(re.findall(r"\{\w+\}|%\(\w+\)s", message.id)) == \
                sorted(re.findall(r"\{\w+\}|%\(\w+\)s", message.string)), message.id


def test_error_codes_have_words_in_both_languages():
    """Each error a person can meet is shown in their language, from one source: the engine's
    English message, translated by the catalogue, sent to the browser with the catalogue."""
    russian = {m.id: m.string for m in catalogue("ru") if m.id and m.string}
    missing = [code for code, text in MESSAGES.items() if text not in russian]
    assert not missing, f"no Russian for the errors {missing}"
    assert browser_catalogue("ru")["errors"] == {code: russian[text] for code, text in MESSAGES.items()}
    assert browser_catalogue("en")["errors"] == MESSAGES


def test_error_texts_and_limits_live_once():
    """Neither the browser code nor the templates carry their own copy of an error text or a limit."""
    browser = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "static").glob("*.js"))
    copied = [code for code, text in MESSAGES.items() if f"'{text}'" in browser or f'"{text}"' in browser]
    assert not copied, f"error texts copied into static/: {copied}"
    templates = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "templates").glob("*.html"))
    assert not re.search(r'maxlength="({})"'.format("|".join(str(v) for v in TEXT_LIMITS.values())), templates)


def test_no_catalogue_only_copies_the_ids():
    assert not (TRANSLATIONS / "en").exists()
    assert set(LANGUAGES) - set(TRANSLATED) == {"en"}


def test_formats_are_bilingual_to_the_last_rule_card():
    for fmt in FormatLibrary(FORMATS_DIR).formats.values():
        texts = [fmt.name, fmt.summary] + [t for p in fmt.phases for t in (p.title, p.rule, p.prompt, *p.reflection)]
        for text in texts:
            assert set(text) == set(LANGUAGES) and all(text[lang].strip() for lang in LANGUAGES)
