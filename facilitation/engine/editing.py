"""The leader's changes to a format before the start: order, skips, minutes, the kind of
reflection of a closing phase, and phases added from the primitive library."""
from __future__ import annotations

from dataclasses import replace

from .formats import REFLECTION_KINDS, REFLECTIVE_PHASES, Format, PhaseSpec, _check_minutes, _Checker, build_phase


def customize(fmt: Format, phases: list[dict], source: str = "customization",
              primitives: dict[str, dict] | None = None) -> Format:
    """Apply a leader's changes: ``phases`` lists the phases in the new order.

    An item ``{"key", "minutes"?, "reflection_kind"?}`` keeps a phase of the format; a phase
    left out is skipped. An item ``{"kind", "minutes"?, "case"?, "reflection_kind"?}`` adds a
    phase from the primitive library (needs ``primitives``). Every case must keep a phase.
    """
    check = _Checker(source)
    by_key = {p.key: p for p in fmt.phases}
    if not isinstance(phases, list) or not phases:
        check.fail("phases", "must be a non-empty list")
    chosen: list[PhaseSpec] = []
    added = 0
    for i, item in enumerate(phases):
        path = f"phases[{i}]"
        if not isinstance(item, dict):
            check.fail(path, "must be an object")
        if "kind" in item and "key" not in item:
            if primitives is None:
                check.fail(f"{path}.kind", "phases cannot be added here")
            added += 1
            key = f"added-{added}"
            while key in by_key:
                added += 1
                key = f"added-{added}"
            raw = {k: item[k] for k in ("kind", "minutes", "case", "reflection_kind") if k in item}
            chosen.append(build_phase(check, {**raw, "key": key}, path, primitives, fmt.cases))
            continue
        if item.get("key") not in by_key:
            check.fail(f"{path}.key", "is not a phase of this format")
        if any(p.key == item["key"] for p in chosen):
            check.fail(f"{path}.key", "is listed twice")
        phase = by_key[item["key"]]
        minutes = item.get("minutes", phase.minutes)
        _check_minutes(check, minutes, f"{path}.minutes")
        if minutes != phase.minutes:
            phase = replace(phase, minutes=minutes, groups=phase.groups.scaled(minutes) if phase.groups else None)
        if item.get("reflection_kind") not in (None, phase.reflection_kind):
            kind = item["reflection_kind"]
            if phase.kind not in REFLECTIVE_PHASES or kind not in REFLECTION_KINDS or primitives is None:
                check.fail(f"{path}.reflection_kind", f"must be one of {list(REFLECTION_KINDS)} on a closing phase")
            texts = primitives["_reflection"][kind]
            phase = replace(phase, reflection_kind=kind, title=texts["title"], rule=texts["rule"],
                            reflection=texts["reflection"])
        chosen.append(phase)
    for case_no in range(1, fmt.cases + 1):
        if not any(p.case == case_no for p in chosen):
            check.fail("phases", f"no phase left for case {case_no}")
    return replace(fmt, phases=tuple(chosen))
