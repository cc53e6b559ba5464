"""What each audience may see of a session: the snapshot every client renders.

Two audiences share one serialization each per change: ``public`` (screen, observers,
participants, the presenter) and ``lead`` (leader and co-leaders). Personal bits (own votes,
own role) travel separately in ``personal_view``. The format's texts (titles, rules, prompts)
never change during a session, so they travel once per connection in ``format_view``, not in
every snapshot: a busy Russian room's snapshot is then under 16 KB (bench/snapshot.py).
Filtering rules:
- vote tallies: nobody before the vote is closed; leaders after close; everyone after reveal;
- anonymous cards (as they were when posted) carry no author, for every audience;
- hidden cards reach leaders only (marked hidden);
- held cards (card hold) reach leaders only (marked held) until a leader releases them;
- an author learns of their own held or hidden cards in their personal view only (``withheld``);
- who has not voted yet: leaders only (everyone gets the counts).
"""
from __future__ import annotations

from .entities import Actor, Card
from .formats import CARD_KINDS
from .plan import session_plan
from .rounds import odd_rule
from .rules import Role
from .session import Session

PUBLIC = "public"
LEAD = "lead"
WAITING = "waiting"  # at the door: learns nothing of the room until let in


def audience_of(session: Session, actor: Actor) -> str:
    if actor.screen:
        return PUBLIC
    role = session.role_of(actor)
    if role is None:
        return WAITING
    return LEAD if role in (Role.LEADER, Role.COLEADER) else PUBLIC


def _phase_view(session: Session) -> dict | None:
    """The current phase by position; its texts are in ``format_view``."""
    phase = session.phase
    if phase is None:
        return None
    return {"index": session.phase_index, "key": phase.key, "kind": phase.kind, "case": phase.case,
            "posts": phase.posts, "silent": phase.silent_presenter}


def format_view(session: Session, audience: str) -> dict | None:
    """The room's (possibly customized) format: sent on connect and with ``sync``.

    Prompts are the leader's cue cards: leaders only. People at the door get nothing here.
    """
    if audience == WAITING:
        return None
    fmt = session.format
    phases = []
    for phase in fmt.phases:
        view = {"key": phase.key, "kind": phase.kind, "case": phase.case, "title": phase.title,
                "rule": phase.rule, "posts": phase.posts, "silent": phase.silent_presenter}
        if phase.reflection:
            view["reflection"] = list(phase.reflection)
        if phase.reflection_kind:
            view["reflection_kind"] = phase.reflection_kind
        if phase.groups:
            view["groups"] = phase.groups.to_dict()
        if audience == LEAD:
            view["prompt"] = phase.prompt
        phases.append(view)
    return {"id": fmt.id, "name": fmt.name, "cases": fmt.cases, "card_kinds": _card_kinds(session),
            "family": fmt.family, "focus": fmt.focus, "phases": phases}


def _card_view(card: Card, session: Session, audience: str) -> dict:
    # ``cid`` lets an author's phone match its outbox and its own anonymous cards.
    view = {"id": card.id, "cid": card.client_id, "kind": card.kind, "text": card.text}
    if not card.anonymous:
        view["by"] = card.author_id
    if card.hidden:
        view["hidden"] = True
    if card.held:
        view["held"] = True
    return view


def _cards_in_view(session: Session) -> list[Card]:
    """Cards of the current case (or of the current phase outside a case)."""
    phase = session.phase
    if phase is None:
        return []
    # A small group's cards reach its members only (``personal_view``).
    if phase.case is not None:
        return [card for card in session.cards if card.group is None and card.case == phase.case]
    return [card for card in session.cards if card.group is None and card.phase_key == phase.key]


def _visible_cards(session: Session, audience: str) -> list[dict]:
    return [_card_view(card, session, audience) for card in _cards_in_view(session)
            if audience == LEAD or not (card.hidden or card.held)]


def _withheld_cards(session: Session, person_id: str) -> list[dict]:
    """This person's own cards the room does not see: waiting for release, or hidden."""
    return [
        {"id": card.id, "cid": card.client_id, "kind": card.kind, "text": card.text,
         **({"held": True} if card.held else {}), **({"hidden": True} if card.hidden else {})}
        for card in _cards_in_view(session)
        if card.author_id == person_id and (card.held or card.hidden)
    ]


def _vote_view(session: Session, audience: str) -> dict | None:
    vote = session.vote
    if vote is None:
        return None
    view = {
        "case": vote.case, "open": vote.is_open, "candidates": list(vote.candidates),
        "budget": vote.budget, "ballots": vote.ballots_cast(), "voters": vote.voters(),
        "revealed": vote.revealed, "eligible": len(session.circle),
    }
    if vote.is_open and audience == LEAD:
        view["not_voted"] = [p.id for p in session.circle if not vote.ballots_of(p.id)]
    if not vote.is_open:
        view["winner"] = vote.winner
        view["tie"] = vote.tie
        if vote.revealed or audience == LEAD:
            view["tallies"] = dict(vote.tallies)
    return view


def _plan_view(session: Session, now: float) -> dict:
    plan = session_plan(session, now)
    done: dict[int, float] = {}
    for run in session.history:
        if run.ended_at is not None:
            done[run.index] = done.get(run.index, 0.0) + (run.ended_at - run.started_at)
    return {
        "started_at": session.started_at,
        "planned_end": plan.planned_end,
        "rest": plan.rest_seconds,
        # By position, as in format_view; "spent" only for phases already run.
        "phases": [
            {"seconds": _seconds(session.phase_seconds(i)), **({"spent": _seconds(done[i])} if i in done else {})}
            for i in range(len(session.format.phases))
        ],
    }


def _seconds(value: float) -> float | int:
    """Durations to a tenth of a second, whole ones without ".0" (they go to every phone)."""
    value = round(value, 1)
    return int(value) if value == int(value) else value


def _card_kinds(session: Session) -> list[str]:
    """Card kinds some phase of this room's format takes, in catalogue order."""
    used = {kind for phase in session.format.phases for kind in phase.posts}
    used |= {kind for phase in session.format.phases if phase.groups
             for step in phase.groups.steps for role in step.roles.values() for kind in role.posts}
    return [kind for kind in CARD_KINDS if kind in used]


def room_view(session: Session, audience: str, now: float) -> dict:
    """The snapshot for one audience. ``now`` only shapes the plan; clients add server_now."""
    if audience == WAITING:
        return {"status": session.status, "waiting": True,
                "format": {"id": session.format.id, "name": session.format.name, "cases": session.format.cases}}
    view = {
        "status": session.status,
        "phase": _phase_view(session),
        "timer": session.timer.to_dict() if session.timer else None,
        "plan": _plan_view(session, now),
        "people": [
            {"id": p.id, "name": p.name, "role": p.role.value, "online": p.online,
             **({"off_since": p.disconnected_at} if p.disconnected_at is not None else {}),
             **({"waiting": True} if p.waiting else {})}
            for p in session.people.values()
            if not p.left and (not p.waiting or audience == LEAD)
        ],
        "presenter_outside": bool(session.phase and session.phase.silent_presenter
                                  and session.current_case and session.current_case.presenter_id),
        "cases": [
            {"number": case.number, "title": case.title, "presenter": case.presenter_id,
             "request": case.request, "nomination": case.nomination_id, "source": case.source}
            for case in session.cases
        ],
        "nominations": [
            {"id": n.id, "title": n.title, "pitch": n.pitch, "by": n.author_id, "case": n.case}
            for n in session.nominations.values() if not n.withdrawn
        ],
        "vote": _vote_view(session, audience),
        "cards": _visible_cards(session, audience),
        "settings": {"anonymous": sorted(session.anonymous), "vote_budget": session.vote_budget,
                     "allow_observers": session.allow_observers, "locked": session.locked,
                     "card_hold": session.card_hold,
                     # Only when on: every byte of the busy room's snapshot counts (bench/snapshot.py).
                     **({"admit_each": True} if session.admit_each else {})},
    }
    groups = _groups_view(session)
    if groups is not None:  # only while a phase splits the circle: every snapshot is sent to 13
        view["groups"] = groups
    return view


def _groups_view(session: Session) -> dict | None:
    """Who is with whom, and each member's role this round: the screen draws small rings."""
    if session.group_spec is None:
        return None
    people = len([pid for members in session.groups for pid in members])
    return {
        "size": session.effective_group_size, "with_leader": session.group_with_leader,
        "rule": odd_rule(people, session.effective_group_size),
        "forming": session.group_forming, "round": session.group_round, "rounds": session.group_rounds,
        "step": session.group_step, "steps": len(session.group_spec.steps),
        "list": [{"members": list(members),
                  "roles": {pid: session.group_role(pid) for pid in members} if not session.group_forming else {}}
                 for members in session.groups],
    }


def _my_group(session: Session, person_id: str) -> dict | None:
    index = session.group_of(person_id) if session.group_spec is not None else None
    if index is None:
        return None
    role_step = session.group_role_step(person_id)
    cards = [
        _card_view(card, session, PUBLIC) for card in session.cards
        if card.group == index and card.phase_key == session.phase.key and not card.hidden
    ]
    return {"index": index, "members": list(session.groups[index]), "role": session.group_role(person_id),
            "posts": list(role_step.posts) if role_step else [],
            "listening": not session.group_forming and not (role_step and role_step.posts), "cards": cards}


def personal_view(session: Session, actor: Actor) -> dict:
    """What only this device learns: who it is, its role, its own ballots."""
    if actor.screen:
        return {"screen": True, "person": None, "role": "screen"}
    person = session.people.get(actor.person_id)
    if person is None or person.left:
        return {"screen": False, "person": None, "role": None}
    if person.waiting:
        return {"screen": False, "person": person.id, "name": person.name, "role": "waiting",
                "votes": [], "silent": False, "presenter_of": []}
    votes = session.vote.ballots_of(person.id) if session.vote else []
    return {
        "screen": False, "person": person.id, "name": person.name, "role": person.role.value,
        "votes": votes, "silent": session.is_silent_presenter(person.id),
        "presenter_of": [case.number for case in session.cases if case.presenter_id == person.id],
        "withheld": _withheld_cards(session, person.id),
        "group": _my_group(session, person.id),
    }
