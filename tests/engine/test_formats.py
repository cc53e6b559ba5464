"""Formats are data: the built-ins load, totals match the procedures, bad files are named."""
from __future__ import annotations

import json

import pytest

from facilitation.engine import FormatError, FormatLibrary, customize
from facilitation.engine.formats import LANGUAGES

from .conftest import FORMATS


def test_builtin_totals(library):
    totals = {key: fmt.total_minutes for key, fmt in library.formats.items()}
    assert totals == {"balint-classic": 180, "intervision": 70, "balint-single": 90, "troika": 37,
                      "pair-intervision": 42, "tutorial": 66, "group-reflection": 30, "tutor-route-start": 85,
                      "tutor-route-meeting": 60, "tutor-route-results": 65}


def test_classic_timeline_matches_product(library):
    fmt = library.get("balint-classic")
    case1 = [(p.kind, p.minutes) for p in fmt.phases if p.case == 1]
    assert case1 == [("presentation", 10), ("request", 5), ("questions", 10), ("hypotheses", 20),
                     ("discussion", 15), ("presenter_return", 10)]
    assert [(p.kind, p.minutes) for p in fmt.phases if p.case == 2] == case1
    assert [p.kind for p in fmt.phases if p.case is None] == ["check_in", "vote", "break", "closing"]
    assert [p.key for p in fmt.phases if p.silent_presenter] == [
        "case1_hypotheses", "case1_discussion", "case2_hypotheses", "case2_discussion"]


def test_every_text_in_both_languages(library):
    for fmt in library.formats.values():
        for text in [fmt.name, fmt.summary] + [t for p in fmt.phases for t in (p.title, p.rule, p.prompt, *p.reflection)]:
            assert all(text[lang].strip() for lang in LANGUAGES)


def _write_set(tmp_path, mutate):
    for path in FORMATS.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads((tmp_path / "troika.json").read_text(encoding="utf-8"))
    mutate(data)
    (tmp_path / "troika.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["phases"][1].update(minutes=0), "phases[1].minutes"),
    (lambda d: d["phases"][2].update(kind="gossip"), "phases[2].kind"),
    (lambda d: d["phases"][0].update(posts={"question": "everyone"}), "phases[0].posts.question"),
    (lambda d: d["name"].pop("ru"), "name.ru"),
    (lambda d: d.pop("phases"), "phases"),
    (lambda d: d["phases"][2].update(key=d["phases"][1]["key"]), "phases[2].key"),
    (lambda d: d["phases"][1]["groups"].update(size=4), "phases[1].groups.size"),
    (lambda d: d["phases"][1]["groups"]["steps"][2]["roles"]["client"].update(posts=["gossip"]),
     "phases[1].groups.steps[2].roles.client.posts"),
    (lambda d: d["phases"][1]["groups"]["role_titles"].pop("consultant"), "phases[1].groups.role_titles.consultant"),
    (lambda d: d["phases"][0].update(groups={}), "phases[0].groups"),
    (lambda d: d["phases"][2].update(reflection_kind="mystic"), "phases[2].reflection_kind"),
    (lambda d: d["phases"][0].update(reflection_kind="product"), "phases[0].reflection_kind"),
    (lambda d: d.update(family="chess"), "family"),
])
def test_malformed_format_names_file_and_field(tmp_path, mutate, field):
    _write_set(tmp_path, mutate)
    with pytest.raises(FormatError) as err:
        FormatLibrary(tmp_path)
    assert err.value.source == "troika.json" and err.value.field == field
    assert "troika.json" in str(err.value) and field in str(err.value)


def test_broken_json_is_named(tmp_path):
    _write_set(tmp_path, lambda d: None)
    (tmp_path / "troika.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(FormatError, match="troika.json"):
        FormatLibrary(tmp_path)


def test_customize_durations_skip_and_reorder(library):
    fmt = library.get("balint-single")
    keys = [p.key for p in fmt.phases]
    changed = customize(fmt, [{"key": "vote", "minutes": 3}, {"key": "check_in"}] +
                        [{"key": k} for k in keys[2:] if k != "discussion"])
    assert [p.key for p in changed.phases][:2] == ["vote", "check_in"]
    assert "discussion" not in [p.key for p in changed.phases]
    assert changed.phases[0].minutes == 3 and changed.total_minutes == 90 - 2 - 15
    with pytest.raises(FormatError, match="minutes"):
        customize(fmt, [{"key": "vote", "minutes": -1}])
    with pytest.raises(FormatError, match="case 1"):
        customize(fmt, [{"key": "check_in"}])
