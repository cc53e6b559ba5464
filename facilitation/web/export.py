"""The presenter's own case (or, in tutor support, the person in focus's route card) as a
Markdown file: the one copy of case content that may leave the room, and only in that
person's hands, before the session ends. The phone can open a route card again at the next
meeting; it reads the file itself, so nothing of it is stored on the server."""
from __future__ import annotations

from flask_babel import gettext as _

from ..engine import DomainError, Session


def _sections() -> tuple[tuple[str, str], ...]:
    # Translated at call time, in the requester's language.
    return (
        ("question", _("Questions")),
        ("hypothesis", _("Hypotheses")),
        ("advice", _("Advice")),
        ("thought", _("Discussion")),
        ("response", _("My response")),
    )


def _route_sections() -> tuple[tuple[str, str], ...]:
    return (
        ("interest", _("My cognitive interest")),
        ("edu_question", _("My educational question")),
        ("goal", _("My goal")),
        ("plan_step", _("Steps of my plan")),
        ("resource", _("Resources offered")),
        ("difficulty", _("Difficulties")),
        ("result", _("Results")),
        ("analysis", _("Analysis of the results")),
        ("perspective", _("Outlook")),
        ("question", _("Questions")),
        ("thought", _("Thoughts of the tutor and colleagues")),
    )


def presenter_export(session: Session, person_id: str, note: str = "", lang: str = "en") -> str:
    # The right to a case's content was fixed when its presentation began (``Case.exporter_id``):
    # whoever is named presenter afterwards never receives it.
    cases = [case for case in session.cases if case.exporter_id == person_id]
    if not cases:
        raise DomainError("not_presenter")
    if session.format.focus:
        return route_card(session, note, lang)
    lines = [f"# {_('Krug')} — {session.format.name.get(lang) or session.format.name['en']}", ""]
    for case in cases:
        lines += [f"## {_('Case')} {case.number}: {case.title or '—'}", ""]
        if case.request:
            lines += [f"### {_('My request')}", "", case.request, ""]
        for kind, heading in _sections():
            texts = [card.text for card in session.cards
                     if card.case == case.number and card.kind == kind and not card.hidden and not card.held]
            if texts:
                lines += [f"### {heading}", ""] + [f"- {text}" for text in texts] + [""]
    if note.strip():
        lines += [f"## {_('My private note')}", "", note.strip(), ""]
    lines += ["---", _("Exported from Krug for the presenter only. Keep it as confidential as the session itself.")]
    return "\n".join(lines) + "\n"


def route_card(session: Session, note: str, lang: str) -> str:
    """The person in focus's statements and the resources offered, by stage of the meeting."""
    lines = [f"# {_('My route card')} — {session.format.name.get(lang) or session.format.name['en']}", ""]
    for kind, heading in _route_sections():
        texts = [card.text for card in session.cards if card.kind == kind and not card.hidden and card.group is None]
        if texts:
            lines += [f"## {heading}", ""] + [f"- {text}" for text in texts] + [""]
    if note.strip():
        lines += [f"## {_('My private note')}", "", note.strip(), ""]
    lines += ["---", _("Exported from Krug for the person in focus only. Open it on your phone at the next meeting.")]
    return "\n".join(lines) + "\n"
