"""The leaders' debrief after a meeting: a page, and its data for the leaders' tokens.

The page carries nothing; the console keeps its leader's token for the debrief after the end
(``krug-debrief:<code>`` in localStorage) and the page asks ``/api/debrief`` with it. The record
holds no typed text (engine/debrief.py), so it stays after the content is gone.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from ..engine import DomainError
from ..persistence.credentials import normalize_code
from ..services import services
from .i18n import select_locale

bp = Blueprint("debrief", __name__)


@bp.get("/d/<code>")
def page(code: str):
    """The debrief page (printable; the chart can be saved as PNG)."""
    normal = normalize_code(code)
    if normal is None:
        abort(404)
    if normal != code:
        return redirect(url_for("debrief.page", code=normal))
    return render_template("debrief.html", code=normal, lang=select_locale())


@bp.get("/api/debrief")
def record():
    """``Authorization: Bearer <a leader's token>`` of an ended room. Returns
    ``{ok, record, past: [record…]}`` (``past``: earlier meetings with the same saved format);
    401 ``not_authenticated`` for any other token, 409 ``session_not_ended`` while it runs."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    identity = services().rooms.identify(token)
    if identity is None or identity.actor.person_id is None or identity.after_end == "ended":
        return jsonify(DomainError("not_authenticated").as_ack()), 401
    if identity.after_end != "debrief":
        return jsonify(DomainError("session_not_ended").as_ack()), 409
    found, past = services().rooms.debrief(identity.room_id)
    if found is None:
        return jsonify(DomainError("not_found").as_ack()), 404
    response = jsonify({"ok": True, "code": identity.code, "record": found, "past": past})
    response.headers["Cache-Control"] = "no-store"
    return response
