"""The presenter's own case as a Markdown file: the one copy of case content that may leave
the room, and only in the presenter's hands, before the session ends."""
from __future__ import annotations

from flask_babel import get_locale
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


def presenter_export(session: Session, person_id: str, note: str = "") -> str:
    # The right to a case's content was fixed when its presentation began (``Case.exporter_id``):
    # whoever is named presenter afterwards never receives it.
    cases = [case for case in session.cases if case.exporter_id == person_id]
    if not cases:
        raise DomainError("not_presenter")
    lines = [f"# {_('Krug')} — {session.format.name.get(str(get_locale()), session.format.name['en'])}", ""]
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
