"""Small groups: the split when a small-group phase begins, the leader's changes before the first
round, the rounds and their steps, and who may write what in their role."""
from __future__ import annotations

from . import commands as c
from .entities import Actor, Event
from .errors import DomainError
from .rounds import FREE, GROUP_SIZES, RoleStep, StepSpec, role_in_round, rounds_for, split
from .rules import Role

FORMING = -1  # the round index while the groups form and the leader may still change them


class GroupCommands:
    """The small-group part of ``Session`` (a mixin: the state lives in the session)."""

    # ----------------------------------------------------------------- queries

    @property
    def group_spec(self):
        phase = self.phase
        return phase.groups if phase and self.status == "running" else None

    @property
    def effective_group_size(self) -> int:
        return self.group_size or self.group_spec.size

    @property
    def group_rounds(self) -> int:
        return rounds_for(self.groups)

    @property
    def group_forming(self) -> bool:
        return self.group_round == FORMING

    @property
    def group_step_spec(self) -> StepSpec | None:
        spec = self.group_spec
        if spec is None or self.group_forming:
            return None
        return spec.steps[self.group_step]

    def group_of(self, person_id: str | None) -> int | None:
        for index, members in enumerate(self.groups):
            if person_id in members:
                return index
        return None

    def group_role(self, person_id: str) -> str | None:
        """This person's role in the current round (``None`` while forming or outside any group)."""
        index = self.group_of(person_id)
        if index is None or self.group_forming:
            return None
        return role_in_round(self.group_spec, self.groups[index], person_id, self.group_round)

    def group_role_step(self, person_id: str) -> RoleStep | None:
        role, step = self.group_role(person_id), self.group_step_spec
        if role is None or step is None or role == FREE:
            return None
        return step.roles[role]

    def group_seconds_after_current(self) -> float:
        """Planned seconds of the steps still ahead in this small-group phase (for the plan)."""
        spec = self.group_spec
        if spec is None:
            return 0.0
        per_round = [step.minutes for step in spec.steps]
        if self.group_forming:
            minutes = self.group_rounds * sum(per_round)
        else:
            minutes = sum(per_round[self.group_step + 1:]) + (self.group_rounds - self.group_round - 1) * sum(per_round)
        return minutes * 60 * self.time_scale

    # ----------------------------------------------------------------- entering and moving

    def _enter_groups(self, now: float) -> None:
        """Called as any phase begins: a small-group phase splits the circle, any other joins it."""
        self.group_size = None
        self.group_shuffle = 0
        self.group_round = FORMING
        self.group_step = 0
        self.group_with_leader = False
        self.groups = []
        if self.group_spec is not None:
            self._split()

    def _split(self) -> None:
        people = [p.id for p in self.circle if self.group_with_leader or p.role is not Role.LEADER]
        seed = f"{self.created_at}:{self.phase.key}:{self.phase_index}:{self.group_shuffle}"
        self.groups = split(people, self.effective_group_size, seed)

    def _group_timer_seconds(self) -> float:
        spec = self.group_spec
        minutes = spec.forming_minutes if self.group_forming else spec.steps[self.group_step].minutes
        return minutes * 60 * self.time_scale

    def _advance_group_step(self) -> bool:
        """Move to the next step or round of this phase; ``False`` when its last step is done."""
        spec = self.group_spec
        if spec is None or (not self.group_forming and self.group_round >= self.group_rounds - 1
                            and self.group_step >= len(spec.steps) - 1):
            return False
        if self.group_forming:
            if not self.groups:
                raise DomainError("too_few_people")
            self.group_round, self.group_step = 0, 0
        elif self.group_step < len(spec.steps) - 1:
            self.group_step += 1
        else:
            self.group_round += 1
            self.group_step = 0
        return True

    def _require_forming(self) -> None:
        if self.group_spec is None:
            raise DomainError("not_group_phase")
        if not self.group_forming:
            raise DomainError("groups_started")

    # ----------------------------------------------------------------- the leader's changes

    def _do_split_groups(self, cmd: c.SplitGroups, actor: Actor, now: float) -> list[Event]:
        self._require_forming()
        if cmd.size is not None and cmd.size not in GROUP_SIZES:
            raise DomainError("bad_request", f"A group has {GROUP_SIZES[0]} or {GROUP_SIZES[-1]} people.", field="size")
        if cmd.size is not None:
            self.group_size = cmd.size
        if cmd.with_leader is not None:
            self.group_with_leader = cmd.with_leader
        self.group_shuffle += 1
        self._split()
        return [Event("groups", {"groups": len(self.groups), "size": self.effective_group_size},
                      private_for=tuple(p.id for p in self.circle))]

    def _do_swap_people(self, cmd: c.SwapPeople, actor: Actor, now: float) -> list[Event]:
        self._require_forming()
        first, second = self.group_of(cmd.person_id), self.group_of(cmd.other_id)
        if first is None or second is None:
            raise DomainError("not_in_group")
        if first == second:
            raise DomainError("bad_request", "These two are already in the same group.", field="other_id")
        a = self.groups[first].index(cmd.person_id)
        b = self.groups[second].index(cmd.other_id)
        self.groups[first][a], self.groups[second][b] = cmd.other_id, cmd.person_id
        # Both groups' members see new partners on their phones.
        return [Event("groups", {"swapped": 2}, private_for=tuple(self.groups[first] + self.groups[second]))]

    # ----------------------------------------------------------------- writing in a group

    def _group_for_post(self, person_id: str, card_kind: str) -> int:
        """The group a card goes to, if this person's role in this step writes that kind."""
        if self.group_forming:
            raise DomainError("groups_forming")
        index = self.group_of(person_id)
        if index is None:
            raise DomainError("not_in_group")
        role_step = self.group_role_step(person_id)
        if role_step is None or not role_step.posts:
            raise DomainError("listening_in_group")
        if card_kind not in role_step.posts:
            raise DomainError("phase_closed", "Your role in this step does not write that kind of card.")
        return index
