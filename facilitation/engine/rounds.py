"""Small groups as data and as arithmetic: the split, the odd-number rule, the rotation of roles.

A small-group phase splits the circle into pairs or trios. It runs in rounds; in each round
every group has one *lead* member (the one who tells, the client) and the others take the
format's other roles in order. Each round has the same steps (tell, ask, consult...), and each
step says, per role, what that person does and which cards they may write.

The split is random but deterministic: it depends only on a seed the session keeps, so a
replayed session (and every server process) arrives at the same groups.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

GROUP_SIZES = (2, 3)
FREE = "free"  # a smaller group's member in the extra round of a bigger group
MAX_STEPS = 6


@dataclass(frozen=True)
class RoleStep:
    """What one role does in one step: a line for the phone, and the cards it may write."""

    label: dict[str, str]
    posts: tuple[str, ...] = ()
    back_turned: bool = False  # sits with their back to the group (the troika's client consulting)

    def to_dict(self) -> dict:
        return {"label": self.label, "posts": list(self.posts), **({"back_turned": True} if self.back_turned else {})}


@dataclass(frozen=True)
class StepSpec:
    key: str
    minutes: float
    title: dict[str, str]
    rule: dict[str, str]
    roles: dict[str, RoleStep]

    def to_dict(self) -> dict:
        return {"key": self.key, "minutes": self.minutes, "title": self.title, "rule": self.rule,
                "roles": {name: role.to_dict() for name, role in self.roles.items()}}


@dataclass(frozen=True)
class GroupSpec:
    """``roles`` in rotation order: ``roles[0]`` is the round's lead (who tells, the client)."""

    size: int
    roles: tuple[str, ...]
    role_titles: dict[str, dict[str, str]]
    steps: tuple[StepSpec, ...]
    forming_minutes: float = 1

    @property
    def round_minutes(self) -> float:
        return sum(step.minutes for step in self.steps)

    def total_minutes(self, rounds: int | None = None) -> float:
        return self.forming_minutes + (rounds or self.size) * self.round_minutes

    def scaled(self, minutes: float) -> GroupSpec:
        """The same rounds fitted into ``minutes`` for the whole phase (the leader re-timed it)."""
        factor = max(minutes - self.forming_minutes, 0.5) / (self.size * self.round_minutes)
        steps = tuple(StepSpec(s.key, round(s.minutes * factor, 2), s.title, s.rule, s.roles) for s in self.steps)
        return GroupSpec(self.size, self.roles, self.role_titles, steps, self.forming_minutes)

    def to_dict(self) -> dict:
        return {"size": self.size, "roles": list(self.roles), "role_titles": self.role_titles,
                "forming_minutes": self.forming_minutes, "steps": [s.to_dict() for s in self.steps]}


def parse_groups(check, raw: object, path: str, card_kinds: tuple[str, ...]) -> GroupSpec:
    """Validate a ``groups`` object of a format file; ``check`` is the loader's checker."""
    if not isinstance(raw, dict):
        check.fail(path, "must be an object with size, roles, role_titles and steps")
    size = check.require(raw, "size", path)
    if size not in GROUP_SIZES or isinstance(size, bool):
        check.fail(f"{path}.size", f"must be one of {list(GROUP_SIZES)}")
    roles = check.require(raw, "roles", path)
    if not isinstance(roles, list) or not 1 <= len(roles) <= size or not all(isinstance(r, str) and r for r in roles):
        check.fail(f"{path}.roles", f"must list 1 to {size} role names, the round's lead first")
    if FREE in roles:
        check.fail(f"{path}.roles", f"{FREE!r} is the engine's own role")
    titles_raw = check.require(raw, "role_titles", path)
    titles = {}
    for name in dict.fromkeys(roles):
        titles[name] = check.text(check.require(titles_raw, name, f"{path}.role_titles"), f"{path}.role_titles.{name}")
    forming = raw.get("forming_minutes", 1)
    if isinstance(forming, bool) or not isinstance(forming, (int, float)) or not 0 < forming <= 10:
        check.fail(f"{path}.forming_minutes", "must be minutes above 0 and at most 10")
    steps_raw = check.require(raw, "steps", path)
    if not isinstance(steps_raw, list) or not 1 <= len(steps_raw) <= MAX_STEPS:
        check.fail(f"{path}.steps", f"must list 1 to {MAX_STEPS} steps of a round")
    steps = []
    for i, step in enumerate(steps_raw):
        spath = f"{path}.steps[{i}]"
        key = check.require(step, "key", spath)
        if not isinstance(key, str) or not key or any(s.key == key for s in steps):
            check.fail(f"{spath}.key", "must be a name not used by another step")
        minutes = check.require(step, "minutes", spath)
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 60:
            check.fail(f"{spath}.minutes", "must be minutes above 0 and at most 60")
        roles_raw = check.require(step, "roles", spath)
        parsed: dict[str, RoleStep] = {}
        for name in titles:
            rpath = f"{spath}.roles.{name}"
            role = check.require(roles_raw, name, f"{spath}.roles")
            posts = role.get("posts", []) if isinstance(role, dict) else None
            if not isinstance(posts, list) or any(k not in card_kinds for k in posts):
                check.fail(f"{rpath}.posts", f"must be a list of card kinds from {list(card_kinds)}")
            back = role.get("back_turned", False)
            if not isinstance(back, bool):
                check.fail(f"{rpath}.back_turned", "must be true or false")
            if back and posts:
                check.fail(f"{rpath}.back_turned", "someone with their back turned only listens: posts must be empty")
            parsed[name] = RoleStep(check.text(check.require(role, "label", rpath), f"{rpath}.label"), tuple(posts), back)
        steps.append(StepSpec(
            key=key, minutes=minutes,
            title=check.text(check.require(step, "title", spath), f"{spath}.title"),
            rule=check.text(check.require(step, "rule", spath), f"{spath}.rule"),
            roles=parsed,
        ))
    return GroupSpec(size=size, roles=tuple(roles), role_titles=titles, steps=tuple(steps), forming_minutes=forming)


def group_sizes(people: int, size: int) -> list[int]:
    """How ``people`` split into groups of ``size``, with the visible rule for the rest.

    Pairs: an odd number makes one trio. Trios: one left over makes one group of four,
    two left over make one pair. Fewer than two people make no groups.
    """
    if people < 2:
        return []
    if size == 2:
        sizes = [2] * (people // 2)
        if people % 2:
            sizes[-1] = 3
        return sizes
    if people < 3:
        return [people]
    sizes = [3] * (people // 3)
    rest = people % 3
    if rest == 1:
        sizes[-1] = 4
    elif rest == 2:
        sizes.append(2)
    return sizes


def odd_rule(people: int, size: int) -> str:
    """A stable name for the rule that applied (the faces word it)."""
    sizes = group_sizes(people, size)
    if not sizes or all(s == size for s in sizes):
        return "even"
    if size == 2:
        return "one_trio"
    return "one_four" if 4 in sizes else "one_pair"


def split(person_ids: list[str], size: int, seed: str) -> list[list[str]]:
    """Shuffle with a seeded generator, then cut into the sizes of ``group_sizes``."""
    order = list(person_ids)
    random.Random(seed).shuffle(order)
    groups, at = [], 0
    for n in group_sizes(len(order), size):
        groups.append(order[at:at + n])
        at += n
    return groups


def rounds_for(groups: list[list[str]]) -> int:
    """Every member of every group leads once: as many rounds as the biggest group has people."""
    return max((len(g) for g in groups), default=0)


def role_in_round(spec: GroupSpec, group: list[str], person_id: str, round_index: int) -> str:
    """The rotation: in round r the r-th member leads; the others follow in the spec's order;
    a smaller group whose members have all led sits the extra round out (``FREE``)."""
    size = len(group)
    if round_index >= size:
        return FREE
    offset = (group.index(person_id) - round_index) % size
    return spec.roles[min(offset, len(spec.roles) - 1)]


def groups_from_dict(data: dict) -> GroupSpec:
    """A spec written by ``GroupSpec.to_dict`` (a room's stored format): already validated."""
    steps = tuple(
        StepSpec(s["key"], s["minutes"], s["title"], s["rule"],
                 {name: RoleStep(r["label"], tuple(r["posts"]), r.get("back_turned", False))
                  for name, r in s["roles"].items()})
        for s in data["steps"]
    )
    return GroupSpec(data["size"], tuple(data["roles"]), data["role_titles"], steps, data.get("forming_minutes", 1))
