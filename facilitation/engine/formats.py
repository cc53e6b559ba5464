"""Formats as data: ordered phases built from a small set of primitives.

A format file names each phase's kind and minutes; everything else (title, rule card, leader
prompt, who may post what, whether the presenter is silent) defaults from ``primitives.json``
and may be overridden per phase. Loading validates everything and names the file and field of
the first mistake, so a bad edit never reaches a live room.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .rounds import GroupSpec, groups_from_dict, parse_groups

LANGUAGES = ("ru", "en")

PHASE_KINDS = (
    "check_in", "vote", "presentation", "request", "questions", "hypotheses", "advice",
    "discussion", "presenter_return", "decision", "closing", "break",
    "study", "small_groups", "focus", "reflection",
)
CARD_KINDS = (
    "checkin", "question", "hypothesis", "advice", "thought", "response", "reflection",
    # the focus person's statements in tutor support, and what the others offer them
    "interest", "edu_question", "goal", "plan_step", "difficulty", "result", "analysis", "perspective",
    "resource",
)
# The three kinds of reflection (prognostic, processual, productive); their texts are in primitives.json.
REFLECTION_KINDS = ("prognostic", "process", "product")
REFLECTIVE_PHASES = ("closing", "reflection")
# The landing page's shelves.
FAMILIES = ("balint", "intervision", "tutoring")
# circle: everyone in the circle but the case's presenter; presenter: only them; all: everyone.
AUDIENCES = ("circle", "presenter", "all")
# Phases in which people may put a case forward and the leader may run a case vote.
NOMINATION_KINDS = ("check_in", "vote", "break")
MAX_MINUTES = 240
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

Text = dict[str, str]


class FormatError(ValueError):
    """A format that cannot be used; the message names the source and the field."""

    def __init__(self, source: str, field_path: str, problem: str) -> None:
        self.source = source
        self.field = field_path
        super().__init__(f"{source}: {field_path}: {problem}")


@dataclass(frozen=True)
class PhaseSpec:
    key: str
    kind: str
    minutes: float
    title: Text
    rule: Text
    prompt: Text
    posts: dict[str, str]
    silent_presenter: bool
    case: int | None = None
    reflection: tuple[Text, ...] = ()
    reflection_kind: str | None = None
    groups: GroupSpec | None = None

    def audience_for(self, card_kind: str) -> str | None:
        return self.posts.get(card_kind)

    def to_dict(self) -> dict:
        data = {
            "key": self.key, "kind": self.kind, "minutes": self.minutes, "title": self.title,
            "rule": self.rule, "prompt": self.prompt, "posts": dict(self.posts),
            "silent_presenter": self.silent_presenter, "case": self.case,
        }
        if self.reflection:
            data["reflection"] = list(self.reflection)
        if self.reflection_kind:
            data["reflection_kind"] = self.reflection_kind
        if self.groups:
            data["groups"] = self.groups.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PhaseSpec:
        return cls(
            key=data["key"], kind=data["kind"], minutes=data["minutes"], title=data["title"],
            rule=data["rule"], prompt=data["prompt"], posts=dict(data["posts"]),
            silent_presenter=data["silent_presenter"], case=data.get("case"),
            reflection=tuple(data.get("reflection", ())), reflection_kind=data.get("reflection_kind"),
            groups=groups_from_dict(data["groups"]) if data.get("groups") else None,
        )


@dataclass(frozen=True)
class Format:
    id: str
    name: Text
    summary: Text
    cases: int
    anonymous: tuple[str, ...]
    phases: tuple[PhaseSpec, ...] = field(default_factory=tuple)
    family: str = "balint"
    when: Text | None = None   # one line on the landing page: when to use it
    focus: Text | None = None  # the title of the person in focus (the teacher), if not a presenter

    @property
    def has_groups(self) -> bool:
        return any(phase.groups for phase in self.phases)

    @property
    def total_minutes(self) -> float:
        return sum(phase.minutes for phase in self.phases)

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "summary": self.summary, "cases": self.cases,
            "anonymous": list(self.anonymous), "phases": [p.to_dict() for p in self.phases],
            "family": self.family,
            **({"when": self.when} if self.when else {}), **({"focus": self.focus} if self.focus else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Format:
        return cls(
            id=data["id"], name=data["name"], summary=data["summary"], cases=data["cases"],
            anonymous=tuple(data["anonymous"]),
            phases=tuple(PhaseSpec.from_dict(p) for p in data["phases"]),
            family=data.get("family", "balint"), when=data.get("when"), focus=data.get("focus"),
        )


class _Checker:
    """Validates one source document and raises FormatError naming the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> None:
        raise FormatError(self.source, path, problem)

    def require(self, data: dict, key: str, path: str) -> object:
        if not isinstance(data, dict) or key not in data:
            self.fail(f"{path}.{key}" if path else key, "is missing")
        return data[key]

    def text(self, value: object, path: str) -> Text:
        if not isinstance(value, dict):
            self.fail(path, "must be an object with 'ru' and 'en' texts")
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.fail(f"{path}.{lang}", "is missing or empty")
        extra = set(value) - set(LANGUAGES)
        if extra:
            self.fail(path, f"has unknown languages {sorted(extra)}")
        return {lang: value[lang] for lang in LANGUAGES}

    def posts(self, value: object, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            self.fail(path, "must be an object of card kind -> audience")
        for kind, audience in value.items():
            if kind not in CARD_KINDS:
                self.fail(f"{path}.{kind}", f"unknown card kind; expected one of {list(CARD_KINDS)}")
            if audience not in AUDIENCES:
                self.fail(f"{path}.{kind}", f"unknown audience {audience!r}; expected one of {list(AUDIENCES)}")
        return dict(value)


def load_primitives(path: Path) -> dict[str, dict]:
    """The phase kinds' default texts; ``"_reflection"`` holds the three kinds of reflection."""
    check = _Checker(path.name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(path.name, f"line {exc.lineno}", f"invalid JSON ({exc.msg})") from None
    kinds = check.require(data, "kinds", "")
    primitives: dict[str, dict] = {}
    for kind in PHASE_KINDS:
        base = f"kinds.{kind}"
        spec = check.require(kinds, kind, "kinds")
        primitives[kind] = {
            "title": check.text(check.require(spec, "title", base), f"{base}.title"),
            "rule": check.text(check.require(spec, "rule", base), f"{base}.rule"),
            "prompt": check.text(check.require(spec, "prompt", base), f"{base}.prompt"),
            "posts": check.posts(check.require(spec, "posts", base), f"{base}.posts"),
            "silent_presenter": spec.get("silent_presenter", False),
            "reflection": _reflection_list(check, spec.get("reflection", []), f"{base}.reflection"),
            "minutes": spec.get("minutes", 10),
            "groups": parse_groups(check, spec["groups"], f"{base}.groups", CARD_KINDS) if "groups" in spec else None,
        }
        if not isinstance(primitives[kind]["silent_presenter"], bool):
            check.fail(f"{base}.silent_presenter", "must be true or false")
        _check_minutes(check, primitives[kind]["minutes"], f"{base}.minutes")
    if primitives["small_groups"]["groups"] is None:
        check.fail("kinds.small_groups.groups", "is missing")
    reflections = check.require(data, "reflection_kinds", "")
    primitives["_reflection"] = {}
    for kind in REFLECTION_KINDS:
        base = f"reflection_kinds.{kind}"
        spec = check.require(reflections, kind, "reflection_kinds")
        primitives["_reflection"][kind] = {
            "title": check.text(check.require(spec, "title", base), f"{base}.title"),
            "rule": check.text(check.require(spec, "rule", base), f"{base}.rule"),
            "reflection": _reflection_list(check, check.require(spec, "reflection", base), f"{base}.reflection"),
        }
    return primitives


def _reflection_list(check: _Checker, value: object, path: str) -> tuple[Text, ...]:
    if not isinstance(value, list):
        check.fail(path, "must be a list of questions")
    return tuple(check.text(r, f"{path}[{i}]") for i, r in enumerate(value))


def _check_minutes(check: _Checker, minutes: object, path: str) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= MAX_MINUTES:
        check.fail(path, f"must be a number of minutes above 0 and at most {MAX_MINUTES}")


def _optional_text(check: _Checker, data: dict, key: str) -> Text | None:
    return check.text(data[key], key) if key in data else None


def build_phase(check: _Checker, raw: dict, path: str, primitives: dict[str, dict], cases: int) -> PhaseSpec:
    """One phase of a format (or one the leader added): its own fields over its kind's defaults."""
    kind = check.require(raw, "kind", path)
    if kind not in PHASE_KINDS:
        check.fail(f"{path}.kind", f"unknown kind {kind!r}; expected one of {list(PHASE_KINDS)}")
    base = primitives[kind]
    case = raw.get("case")
    if case is not None and (not isinstance(case, int) or isinstance(case, bool) or not 1 <= case <= cases):
        check.fail(f"{path}.case", f"must be a case number from 1 to {cases}")
    silent = raw.get("silent_presenter", base["silent_presenter"])
    if not isinstance(silent, bool):
        check.fail(f"{path}.silent_presenter", "must be true or false")
    groups = None
    if kind == "small_groups":
        groups = parse_groups(check, raw["groups"], f"{path}.groups", CARD_KINDS) if "groups" in raw else base["groups"]
    elif "groups" in raw:
        check.fail(f"{path}.groups", "only a small_groups phase splits the circle")
    minutes = raw.get("minutes", groups.total_minutes() if groups else base["minutes"])
    _check_minutes(check, minutes, f"{path}.minutes")
    if groups and minutes != groups.total_minutes():
        groups = groups.scaled(minutes)
    texts = {
        "title": base["title"], "rule": base["rule"], "reflection": base["reflection"],
    }
    reflection_kind = raw.get("reflection_kind")
    if reflection_kind is not None:
        if kind not in REFLECTIVE_PHASES:
            check.fail(f"{path}.reflection_kind", f"only a phase of kind {list(REFLECTIVE_PHASES)} has one")
        if reflection_kind not in REFLECTION_KINDS:
            check.fail(f"{path}.reflection_kind", f"must be one of {list(REFLECTION_KINDS)}")
        texts.update(primitives["_reflection"][reflection_kind])
    return PhaseSpec(
        key=raw["key"], kind=kind, minutes=minutes, case=case,
        title=check.text(raw["title"], f"{path}.title") if "title" in raw else texts["title"],
        rule=check.text(raw["rule"], f"{path}.rule") if "rule" in raw else texts["rule"],
        prompt=check.text(raw["prompt"], f"{path}.prompt") if "prompt" in raw else base["prompt"],
        posts=check.posts(raw["posts"], f"{path}.posts") if "posts" in raw else dict(base["posts"]),
        silent_presenter=silent,
        reflection=_reflection_list(check, raw["reflection"], f"{path}.reflection")
        if "reflection" in raw else texts["reflection"],
        reflection_kind=reflection_kind, groups=groups,
    )


def parse_format(data: object, source: str, primitives: dict[str, dict]) -> Format:
    """Build a Format from a decoded document (a file, or a leader's saved format)."""
    check = _Checker(source)
    if not isinstance(data, dict):
        check.fail("(top level)", "must be an object")
    format_id = check.require(data, "id", "")
    if not isinstance(format_id, str) or not _KEY.match(format_id):
        check.fail("id", "must be a lowercase slug (a-z, 0-9, -, _)")
    cases = check.require(data, "cases", "")
    if not isinstance(cases, int) or isinstance(cases, bool) or not 0 <= cases <= 4:
        check.fail("cases", "must be a whole number from 0 to 4")
    anonymous = data.get("anonymous", [])
    if not isinstance(anonymous, list) or any(k not in CARD_KINDS for k in anonymous):
        check.fail("anonymous", f"must be a list of card kinds from {list(CARD_KINDS)}")
    family = data.get("family", "balint")
    if family not in FAMILIES:
        check.fail("family", f"must be one of {list(FAMILIES)}")
    phases_data = check.require(data, "phases", "")
    if not isinstance(phases_data, list) or not phases_data:
        check.fail("phases", "must be a non-empty list")
    phases = []
    seen_keys: set[str] = set()
    for i, raw in enumerate(phases_data):
        path = f"phases[{i}]"
        if not isinstance(raw, dict):
            check.fail(path, "must be an object")
        key = check.require(raw, "key", path)
        if not isinstance(key, str) or not _KEY.match(key):
            check.fail(f"{path}.key", "must be a lowercase slug (a-z, 0-9, -, _)")
        if key in seen_keys:
            check.fail(f"{path}.key", f"duplicate key {key!r}")
        seen_keys.add(key)
        if raw.get("kind") != "small_groups":
            check.require(raw, "minutes", path)  # a split's minutes follow from its rounds
        phases.append(build_phase(check, raw, path, primitives, cases))
    for case_no in range(1, cases + 1):
        if not any(p.case == case_no for p in phases):
            check.fail("phases", f"no phase belongs to case {case_no}")
    return Format(
        id=format_id,
        name=check.text(check.require(data, "name", ""), "name"),
        summary=check.text(check.require(data, "summary", ""), "summary"),
        cases=cases, anonymous=tuple(anonymous), phases=tuple(phases), family=family,
        when=_optional_text(check, data, "when"), focus=_optional_text(check, data, "focus"),
    )


class FormatLibrary:
    """The built-in formats of a folder, validated at load."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.primitives = load_primitives(self.folder / "primitives.json")
        self.formats: dict[str, Format] = {}
        places: dict[str, int] = {}
        for path in sorted(self.folder.glob("*.json")):
            if path.name == "primitives.json":
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise FormatError(path.name, f"line {exc.lineno}", f"invalid JSON ({exc.msg})") from None
            fmt = parse_format(data, path.name, self.primitives)
            if fmt.id != path.stem:
                raise FormatError(path.name, "id", f"must equal the file name {path.stem!r}")
            self.formats[fmt.id] = fmt
            order = data.get("order", 100)
            if not isinstance(order, int) or isinstance(order, bool):
                raise FormatError(path.name, "order", "must be a whole number (the place on its shelf)")
            places[fmt.id] = order
        # On each shelf of the landing page, in the order the methods are used.
        self.formats = dict(sorted(self.formats.items(), key=lambda item: (places[item[0]], item[0])))

    def get(self, format_id: str) -> Format | None:
        return self.formats.get(format_id)

    def primitive_list(self) -> list[dict]:
        """The phase library for the editor: each kind with its rule card and default minutes."""
        return [
            {"kind": kind, "title": spec["title"], "rule": spec["rule"], "minutes": spec["minutes"],
             **({"groups": spec["groups"].to_dict()} if spec["groups"] else {})}
            for kind, spec in self.primitives.items() if not kind.startswith("_")
        ]

    def reflection_kinds(self) -> dict[str, dict]:
        return {kind: {**texts, "reflection": list(texts["reflection"])}
                for kind, texts in self.primitives["_reflection"].items()}

    def parse(self, data: object, source: str = "custom format") -> Format:
        return parse_format(data, source, self.primitives)
