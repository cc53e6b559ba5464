"""Cases: nominations, the vote, who presents which case, the request, and the cards."""
from __future__ import annotations

from . import commands as c
from .entities import Actor, Card, Case, Event, Nomination
from .errors import DomainError
from .formats import CARD_KINDS, NOMINATION_KINDS
from .rules import (
    CARD_MAX,
    CARDS_PER_PHASE,
    LEADING,
    NOMINATIONS_PER_PERSON,
    PITCH_MAX,
    PITCH_SENTENCES,
    RELEASE_MAX,
    REQUEST_MAX,
    TITLE_MAX,
    VOTE_BUDGET_MAX,
    Role,
    clean_text,
    count_sentences,
)
from .vote import Vote


class CaseCommands:
    """The case part of ``Session`` (a mixin: the state lives in the session)."""

    def _case_is_ahead(self, number: int) -> bool:
        """A case none of whose phases has begun (so its presenter may still change)."""
        return not any(self.format.phases[run.index].case == number for run in self.history)

    def _case_has_content(self, case: Case) -> bool:
        """Something of the case was said: its request, or any card about it."""
        return bool(case.request) or any(card.case == case.number for card in self.cards)

    def _may_change_presenter(self, case: Case, actor: Actor) -> None:
        """A begun case keeps its presenter: only the main leader may correct a wrong one, and
        only before anything of the case was said. This is about the case's state, not the
        sender's rank in general (co-leaders assign cases ahead freely), so it lives here.
        The correction starts the presentation anew: there is nothing yet to hand over."""
        if self._case_is_ahead(case.number):
            return
        if self.role_of(actor) is not Role.LEADER:
            raise DomainError("case_begun")
        if self._case_has_content(case):
            raise DomainError("case_begun")

    def _require_nomination_phase(self) -> None:
        if self.status == "running" and self.phase.kind not in NOMINATION_KINDS:
            raise DomainError("phase_closed")

    def _do_nominate(self, cmd: c.Nominate, actor: Actor, now: float) -> list[Event]:
        existing = next((n for n in self.nominations.values()
                         if n.author_id == actor.person_id and n.client_id == cmd.client_id), None)
        if existing:
            return [Event("duplicate", {"nomination": existing.id})]
        self._require_nomination_phase()
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        title = clean_text(cmd.title, TITLE_MAX, field="title")
        pitch = clean_text(cmd.pitch, PITCH_MAX, field="pitch", required=False, multiline=True)
        if pitch and count_sentences(pitch) > PITCH_SENTENCES:
            raise DomainError("too_long", f"A pitch has at most {PITCH_SENTENCES} sentences.", sentences=PITCH_SENTENCES)
        mine = [n for n in self.nominations.values() if n.author_id == actor.person_id and not n.withdrawn and n.case is None]
        if len(mine) >= NOMINATIONS_PER_PERSON:
            raise DomainError("too_many_nominations")
        nomination = Nomination(id=self._next_id("n"), author_id=actor.person_id,
                                client_id=cmd.client_id, title=title, pitch=pitch)
        self.nominations[nomination.id] = nomination
        return [Event("nominated", {"nomination": nomination.id})]

    def _nomination(self, nomination_id: str) -> Nomination:
        nomination = self.nominations.get(nomination_id)
        if nomination is None or nomination.withdrawn:
            raise DomainError("not_found")
        return nomination

    def _do_withdraw_nomination(self, cmd: c.WithdrawNomination, actor: Actor, now: float) -> list[Event]:
        role = self.role_of(actor)
        nomination = self._nomination(cmd.nomination_id)
        if nomination.author_id != actor.person_id and role not in LEADING:
            raise DomainError("not_author")
        if nomination.case is not None:
            raise DomainError("nomination_used")
        affected: tuple[str, ...] = ()
        if self.vote and nomination.id in self.vote.candidates:
            if not self.vote.is_open:
                raise DomainError("vote_not_closed", "The vote on it is closed; assign another case instead.")
            affected = self.vote.remove_candidate(nomination.id)
        nomination.withdrawn = True
        return [Event("withdrawn", {"nomination": nomination.id}, private_for=affected)]

    def _do_open_vote(self, cmd: c.OpenVote, actor: Actor, now: float) -> list[Event]:
        if self.status == "running" and self.phase.kind not in NOMINATION_KINDS:
            raise DomainError("phase_closed")
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        number = cmd.case if cmd.case is not None else self._first_open_case()
        case = self.case(number)
        if case is None:
            raise DomainError("no_case")
        if not self._case_is_ahead(number):
            raise DomainError("case_begun")
        candidates = [n.id for n in self.nominations.values() if not n.withdrawn and n.case is None]
        if not candidates:
            raise DomainError("no_nominations")
        self.vote = Vote(case=number, candidates=candidates, budget=self.vote_budget, opened_at=now)
        # Everyone's own ballots start empty again.
        return [Event("vote_opened", {"case": number, "candidates": len(candidates)}, private_for=tuple(self.people))]

    def _first_open_case(self) -> int | None:
        if not self.cases:
            return None
        for case in self.cases:
            if case.presenter_id is None:
                return case.number
        return self.cases[-1].number

    def _open_vote(self) -> Vote:
        if not self.vote or not self.vote.is_open:
            raise DomainError("no_vote_open")
        return self.vote

    def _do_cast_vote(self, cmd: c.CastVote, actor: Actor, now: float) -> list[Event]:
        vote = self._open_vote()
        vote.cast(actor.person_id, cmd.nomination_id)
        return [Event("ballot", {"ballots": vote.ballots_cast()}, private_for=(actor.person_id,))]

    def _do_retract_vote(self, cmd: c.RetractVote, actor: Actor, now: float) -> list[Event]:
        vote = self._open_vote()
        vote.retract(actor.person_id, cmd.nomination_id)
        return [Event("ballot", {"ballots": vote.ballots_cast()}, private_for=(actor.person_id,))]

    def _do_close_vote(self, cmd: c.CloseVote, actor: Actor, now: float) -> list[Event]:
        vote = self._open_vote()
        vote.close(now)
        if vote.winner:
            self._give_case(vote.case, vote.winner, "vote")
            self._offer_runner_up(vote)
        # Presenters of this case and the next may have changed.
        return [Event("vote_closed", {"case": vote.case, "tie": bool(vote.tie)}, private_for=tuple(self.people))]

    def _do_reveal_vote(self, cmd: c.RevealVote, actor: Actor, now: float) -> list[Event]:
        if not self.vote:
            raise DomainError("no_vote_open")
        if self.vote.is_open:
            raise DomainError("vote_not_closed")
        self.vote.revealed = True
        return [Event("vote_revealed", {"case": self.vote.case})]

    def _do_break_tie(self, cmd: c.BreakTie, actor: Actor, now: float) -> list[Event]:
        vote = self.vote
        if not vote or vote.is_open:
            raise DomainError("vote_not_closed")
        if not vote.tie or vote.winner:
            raise DomainError("no_tie")
        if cmd.nomination_id not in vote.tie:
            raise DomainError("not_a_candidate")
        vote.winner = cmd.nomination_id
        self._give_case(vote.case, vote.winner, "tie")
        self._offer_runner_up(vote)
        return [Event("tie_broken", {"case": vote.case}, private_for=tuple(self.people))]

    def _offer_runner_up(self, vote: Vote) -> None:
        """The runner-up becomes the next case's candidate, which the leader may change."""
        following = self.case(vote.case + 1)
        runner_up = vote.runner_up()
        if following and following.presenter_id is None and runner_up and self._case_is_ahead(following.number):
            self._give_case(following.number, runner_up, "runner_up")

    def _give_case(self, number: int, nomination_id: str, source: str) -> None:
        case = self.case(number)
        nomination = self.nominations[nomination_id]
        if case.nomination_id and case.nomination_id in self.nominations:
            self.nominations[case.nomination_id].case = None
        nomination.case = number
        case.nomination_id = nomination.id
        case.title = nomination.title
        case.presenter_id = nomination.author_id
        case.request = ""
        if not self._case_is_ahead(number):
            case.exporter_id = case.presenter_id  # a begun case corrected before anything was said
        case.source = source

    def _do_assign_case(self, cmd: c.AssignCase, actor: Actor, now: float) -> list[Event]:
        case = self.case(cmd.case)
        if case is None:
            raise DomainError("no_case")
        nomination = self._nomination(cmd.nomination_id)
        if nomination.case not in (None, cmd.case):
            raise DomainError("nomination_used")
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        author = self.people.get(nomination.author_id)
        if author is None or not author.in_circle:
            raise DomainError("unknown_person")
        self._may_change_presenter(case, actor)
        old = case.presenter_id
        self._give_case(cmd.case, nomination.id, "leader")
        return [Event("case_assigned", {"case": cmd.case}, private_for=tuple(p for p in (old, case.presenter_id) if p))]

    def _do_assign_presenter(self, cmd: c.AssignPresenter, actor: Actor, now: float) -> list[Event]:
        case = self.case(cmd.case)
        if case is None:
            raise DomainError("no_case")
        person = self._person(cmd.person_id)
        if not person.in_circle:
            raise DomainError("unknown_person")
        self._may_change_presenter(case, actor)
        old = case.presenter_id
        case.presenter_id = person.id
        if not self._case_is_ahead(case.number):
            case.exporter_id = person.id  # see _may_change_presenter: nothing was said yet
        return [Event("presenter", {"case": cmd.case}, private_for=tuple(p for p in (old, person.id) if p))]

    def _do_set_request(self, cmd: c.SetRequest, actor: Actor, now: float) -> list[Event]:
        role = self.role_of(actor)
        case = self.current_case
        if case is None or self.phase.kind not in ("request", "presentation"):
            raise DomainError("phase_closed")
        if role not in LEADING and case.presenter_id != actor.person_id:
            raise DomainError("not_presenter")
        case.request = clean_text(cmd.text, REQUEST_MAX, field="text", multiline=True)
        return [Event("request", {"case": case.number})]

    def _do_set_anonymity(self, cmd: c.SetAnonymity, actor: Actor, now: float) -> list[Event]:
        if cmd.kind not in CARD_KINDS:
            raise DomainError("bad_request", "Unknown card kind.", field="kind")
        (self.anonymous.add if cmd.anonymous else self.anonymous.discard)(cmd.kind)
        return [Event("settings", {"anonymous": sorted(self.anonymous)})]

    def _do_set_vote_budget(self, cmd: c.SetVoteBudget, actor: Actor, now: float) -> list[Event]:
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        if not 1 <= cmd.budget <= VOTE_BUDGET_MAX:
            raise DomainError("bad_request", f"The budget is from 1 to {VOTE_BUDGET_MAX}.", field="budget")
        self.vote_budget = cmd.budget
        return [Event("settings", {"vote_budget": cmd.budget})]

    def _do_post_card(self, cmd: c.PostCard, actor: Actor, now: float) -> list[Event]:
        existing = next((card for card in self.cards
                         if card.author_id == actor.person_id and card.client_id == cmd.client_id), None)
        if existing:
            # A retry after a lost acknowledgement: the card is already stored.
            return [Event("duplicate", {"card": existing.id})]
        phase = self.phase
        group = None
        if phase.groups:
            group = self._group_for_post(actor.person_id, cmd.kind)
        else:
            self._check_audience(actor, cmd.kind)
        text = clean_text(cmd.text, CARD_MAX, field="text", multiline=True)
        mine = sum(1 for card in self.cards if card.author_id == actor.person_id and card.phase_key == phase.key)
        if mine >= CARDS_PER_PHASE:
            raise DomainError("too_many_cards")
        # While the presenter listens in silence, a held card waits for a leader's release;
        # leaders' own cards need nobody's release.
        held = self.card_hold and phase.silent_presenter and self.role_of(actor) not in LEADING
        card = Card(id=self._next_id("c"), client_id=cmd.client_id, kind=cmd.kind, text=text,
                    author_id=actor.person_id, phase_key=phase.key, case=phase.case, posted_at=now,
                    group=group, held=held, anonymous=cmd.kind in self.anonymous)
        self.cards.append(card)
        if held:
            # Only the author's own view learns of it (as waiting), besides the leaders'.
            return [Event("card", {"card": card.id, "kind": card.kind, "held": True}, private_for=(card.author_id,))]
        # A group's card reaches its members through their own view.
        members = tuple(self.groups[group]) if group is not None else ()
        return [Event("card", {"card": card.id, "kind": card.kind}, private_for=members)]

    def _check_audience(self, actor: Actor, kind: str) -> None:
        if self.is_silent_presenter(actor.person_id):
            raise DomainError("presenter_is_silent")
        audience = self.phase.audience_for(kind)
        if audience is None:
            raise DomainError("phase_closed")
        case = self.current_case
        is_presenter = bool(case and case.presenter_id == actor.person_id)
        if audience == "presenter" and not is_presenter:
            raise DomainError("not_presenter")
        if audience == "circle" and is_presenter:
            raise DomainError("phase_closed", "The presenter does not post this kind of card.")

    def _do_hide_card(self, cmd: c.HideCard, actor: Actor, now: float) -> list[Event]:
        card = next((card for card in self.cards if card.id == cmd.card_id), None)
        if card is None:
            raise DomainError("not_found")
        card.hidden = cmd.hidden
        # The author learns it in their own view, so the card does not just vanish from their phone.
        return [Event("card_hidden", {"card": card.id, "hidden": cmd.hidden}, private_for=(card.author_id,))]

    def _do_set_card_hold(self, cmd: c.SetCardHold, actor: Actor, now: float) -> list[Event]:
        # Cards already held stay held when the hold is turned off: the leader releases them.
        self.card_hold = cmd.on
        return [Event("settings", {"card_hold": cmd.on})]

    def _do_release_cards(self, cmd: c.ReleaseCards, actor: Actor, now: float) -> list[Event]:
        if cmd.all == (cmd.card_ids is not None):
            raise DomainError("bad_request", "Give either card_ids or all.", field="card_ids")
        if cmd.all:
            cards = [card for card in self.cards if card.held]
        else:
            if not 1 <= len(cmd.card_ids) <= RELEASE_MAX:
                raise DomainError("bad_request", f"From 1 to {RELEASE_MAX} card ids.", field="card_ids")
            by_id = {card.id: card for card in self.cards}
            if any(card_id not in by_id for card_id in cmd.card_ids):
                raise DomainError("not_found")
            # A card released already is no error: a retried release changes nothing.
            cards = [by_id[card_id] for card_id in dict.fromkeys(cmd.card_ids) if by_id[card_id].held]
        for card in cards:
            card.held = False
        authors = tuple(dict.fromkeys(card.author_id for card in cards))
        return [Event("cards_released", {"count": len(cards)}, private_for=authors)]
