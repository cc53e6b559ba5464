"""Russian and English are both complete: every string the faces show has both."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from facilitation.engine import FormatLibrary
from facilitation.engine.errors import MESSAGES
from facilitation.persistence.saved_formats import FORMATS_DIR
from facilitation.web.i18n import LANGUAGES, TRANSLATIONS

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
    sources += [(p, PY_CALL) for p in (ROOT / "facilitation").glob("*.py")]
    for path, pattern in sources:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            found[text.replace("\\'", "'").replace('\\"', '"')] = path.name
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
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
    """Each error a person can meet is shown in their language: the browser maps codes to
    the English message, which the catalogue translates."""
    ids = {m.id for m in catalogue("ru") if m.id and m.string}
    browser = (ROOT / "static" / "krug.js").read_text(encoding="utf-8")
    for code, message in MESSAGES.items():
        # Newer codes reach the browser as text from the server's catalogue, not its own table.
        assert code in browser or message in ids, f"no words for error code {code}"
    assert ids  # sanity


def test_formats_are_bilingual_to_the_last_rule_card():
    for fmt in FormatLibrary(FORMATS_DIR).formats.values():
        texts = [fmt.name, fmt.summary] + [t for p in fmt.phases for t in (p.title, p.rule, p.prompt, *p.reflection)]
        for text in texts:
            assert set(text) == set(LANGUAGES) and all(text[lang].strip() for lang in LANGUAGES)
