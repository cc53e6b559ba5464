"""HTTP: the landing page, creating and joining rooms, the three faces, the QR code.

Pages carry no secrets: a device's token lives in its own localStorage and travels only in
JSON bodies and the Socket.IO ``auth`` packet, never in a URL the server would see.
"""
from __future__ import annotations

import io
from pathlib import Path

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..engine import DomainError, FormatError, customize, refuse_invalid_text
from ..engine.rules import NAME_MAX, clean_text
from ..persistence.credentials import normalize_code
from ..persistence.database import UNAVAILABLE, describe
from ..realtime.broadcast import broadcast
from ..services import services
from .export import presenter_export
from .health import readiness
from .i18n import COOKIE, LANGUAGES, browser_catalogue, select_locale
from .network import public_url

bp = Blueprint("web", __name__)
OWNER_HEADER = "X-Krug-Owner"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

VENDOR = {
    "socket.io.min.js": Path("node_modules/socket.io-client/dist/socket.io.min.js"),
}


def _error(err: DomainError, status: int = 400):
    if err.code == "unavailable":
        return _unavailable(err)
    return jsonify(err.as_ack()), status


def _unavailable(err: DomainError):
    response = jsonify(err.as_ack())
    response.headers["Retry-After"] = "5"
    return response, 503


@bp.app_errorhandler(DomainError)
def domain_error(err: DomainError):
    """A refusal no route caught: the database failing on a page, mostly."""
    return _error(err)


def database_unavailable(exc):
    current_app.logger.warning("database unavailable: %s", describe(exc))
    return _unavailable(DomainError("unavailable"))


for _kind in UNAVAILABLE:
    bp.app_errorhandler(_kind)(database_unavailable)


def _rate_limited():
    """None, or a 429 answer when this address has tried too often."""
    wait = services().limits.hit_join(request.remote_addr or "?")
    if wait is None:
        return None
    response = jsonify(DomainError("rate_limited", f"Too many attempts; wait {wait} s.", retry_after=wait).as_ack())
    response.headers["Retry-After"] = str(wait)
    return response, 429


def _json_body():
    """The request's JSON, or None when it is not JSON (nested past the parser's depth too)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _limited_json_body():
    """(body, None) for a JSON object within the rate limit, else (None, an error answer)."""
    limited = _rate_limited()
    if limited:
        return None, limited
    body = _json_body()
    if not isinstance(body, dict):
        return None, _error(DomainError("bad_request", "Send a JSON object."))
    try:
        refuse_invalid_text(body)
    except DomainError as err:
        return None, _error(err)
    return body, None


def _base_url() -> str:
    return public_url(current_app.config, request.host_url)


@bp.after_app_request
def remember_language(response: Response) -> Response:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


@bp.get("/")
def index():
    """Landing page: start a room (leader) or type a code (everyone else). Only the built-in
    formats: a device's own saved ones come from /api/formats with its owner key."""
    return render_template("index.html", formats=services().formats.built_in(), lang=select_locale())


@bp.get("/api/formats")
def list_formats():
    """The built-in formats, then those saved with this device's owner key (header
    ``X-Krug-Owner``), with their phases, and the phase library, for the create-room form."""
    library = services().formats.library
    response = jsonify({"ok": True, "formats": [
        {**f.to_dict(), "total_minutes": f.total_minutes}
        for f in services().formats.all(request.headers.get(OWNER_HEADER))
    ], "primitives": library.primitive_list(), "reflection_kinds": library.reflection_kinds()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/rooms")
def create_room():
    """Create a room. Body: {leader_name, format_id, phases?: [{key, minutes}], save_as?, owner?,
    admit_each?}. ``owner`` (this device's owner key) is needed to use or save a saved format.

    Returns {ok, code, token, screen_token, person_id}: the creator is the leader. A refused
    request stores nothing: every check runs before the format is saved.
    """
    body, refusal = _limited_json_body()
    if refusal:
        return refusal
    formats = services().formats
    fmt = formats.get(body.get("format_id") or "balint-classic", body.get("owner"))
    if fmt is None:
        return _error(DomainError("not_found", "No such format."), 404)
    admit_each = body.get("admit_each", False)
    try:
        if not isinstance(admit_each, bool):
            raise DomainError("bad_request", "admit_each must be true or false.", field="admit_each")
        clean_text(body.get("leader_name"), NAME_MAX, field="leader_name")
        if body.get("phases") is not None:
            fmt = customize(fmt, body["phases"], primitives=formats.library.primitives)
        if body.get("save_as") is not None:
            fmt, owned = formats.prepare(fmt, body["save_as"], body.get("owner"))
            formats.save(fmt, owned)
        code, token, screen_token, person_id = services().rooms.create_room(
            fmt, body.get("leader_name"), current_app.config["TIME_SCALE"], admit_each=admit_each)
    except FormatError as exc:
        return _error(DomainError("bad_request", str(exc), field=exc.field))
    except DomainError as err:
        return _error(err)
    # The format's id, never its name: a saved format's id is random (saved_formats.py).
    current_app.logger.info("room created format=%s phases=%d", fmt.id, len(fmt.phases))
    return jsonify({"ok": True, "code": code, "token": token, "screen_token": screen_token,
                    "person_id": person_id}), 201


@bp.post("/api/rooms/<code>/join")
def join_room(code: str):
    """Join a room. Body: {name, consent: true, observer?: bool}. Returns {ok, token, person_id, waiting}."""
    body, refusal = _limited_json_body()
    if refusal:
        return refusal
    if body.get("consent") is not True:
        return _error(DomainError("bad_request", "Confidentiality consent is required.", field="consent"))
    observer = body.get("observer", False)
    if not isinstance(observer, bool):
        return _error(DomainError("bad_request", "observer must be true or false.", field="observer"))
    try:
        outcome, token, person_id = services().rooms.join(code, body.get("name"), observer)
    except DomainError as err:
        return _error(err, 404 if err.code == "not_found" else 409 if err.code == "room_full" else 400)
    broadcast(outcome)
    current_app.logger.info("joined room=%s role=%s", outcome.room_id, "observer" if observer else "participant")
    waiting = outcome.events[0].data.get("waiting", False)
    return jsonify({"ok": True, "token": token, "person_id": person_id, "waiting": waiting}), 201


@bp.after_request
def no_store_for_tokens(response: Response) -> Response:
    """Answers of the API carry tokens (create, join) or case content (export): no cache, no
    shared proxy and no back-forward cache may keep them."""
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _room_page(template: str, code: str):
    """The same page for every well-formed code, live or not: the pages never tell which codes
    exist. A device learns about its room only through the join route and the Socket.IO
    connect, both under the join limit (an unknown code is ``not_found`` there)."""
    normal = normalize_code(code)
    if normal is None:
        abort(404)
    if normal != code:
        return redirect(url_for(request.endpoint, code=normal))
    base = _base_url()
    return render_template(template, code=normal, lang=select_locale(),
                           join_url=f"{base}/j/{normal}", base_url=base)


@bp.get("/j/<code>")
def phone(code: str):
    """The phone: join (name + consent), then whatever the phase asks of this person."""
    return _room_page("phone.html", code)


@bp.get("/s/<code>")
def screen(code: str):
    """The projector screen; its token arrives in the URL fragment and moves to localStorage."""
    return _room_page("screen.html", code)


@bp.get("/c/<code>")
def console(code: str):
    """The leader console (leader and co-leaders)."""
    return _room_page("console.html", code)


@bp.get("/join")
def join_by_code():
    """The landing page's code box: /join?code=ab c12 → /j/ABC12…"""
    code = normalize_code(request.args.get("code", ""))
    if code is None:
        return redirect(url_for("web.index", bad_code=1))
    return redirect(url_for("web.phone", code=code))


@bp.get("/qr/<code>.svg")
def qr(code: str):
    """QR code of a join link, as SVG (made here, no outside service); for any well-formed code,
    as the pages are, so it says nothing about which rooms exist."""
    normal = normalize_code(code)
    if normal is None:
        abort(404)
    buffer = io.BytesIO()
    segno.make(f"{_base_url()}/j/{normal}", error="m").save(
        buffer, kind="svg", scale=10, border=2, dark="#1b1f24", light="#ffffff", xmldecl=False)
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/i18n/<lang>.json")
def i18n_catalogue(lang: str):
    """The browser's copy of the server's catalogue for one language."""
    if lang not in LANGUAGES:
        abort(404)
    response = jsonify(browser_catalogue(lang))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/vendor/<name>")
def vendor(name: str):
    """Front-end packages installed from the npm registry, served from our own origin."""
    path = VENDOR.get(name)
    if path is None:
        abort(404)
    full = PROJECT_ROOT / path
    if not full.exists():
        abort(404)
    return send_file(full, mimetype="text/javascript", max_age=86400)


@bp.post("/api/export")
def export_case():
    """The presenter downloads their own case. Header ``Authorization: Bearer <token>``;
    body ``{note?}`` (the private note lives only on the phone; it is added if sent).
    Returns a Markdown attachment (the route card when the format has a person in focus);
    403 ``not_presenter`` for anyone else."""
    header = request.headers.get("Authorization", "")
    identity = services().rooms.identify(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
    if identity is None or identity.actor.person_id is None:
        return _error(DomainError("not_authenticated"), 401)
    if identity.after_end:
        return _error(DomainError("session_ended"), 410)
    body = _json_body() or {}
    try:
        refuse_invalid_text(body)
    except DomainError as err:
        return _error(err)
    note = body.get("note", "") if isinstance(body, dict) else ""
    if not isinstance(note, str) or len(note) > 20_000:
        return _error(DomainError("bad_request", "note must be text of at most 20 000 characters.", field="note"))
    session, _version, code = services().rooms.load(identity.room_id)
    try:
        document = presenter_export(session, identity.actor.person_id, note, select_locale())
        kind = "route" if session.format.focus else "case"
    except DomainError as err:
        return _error(err, 403)
    current_app.logger.info("export room=%s", identity.room_id)
    response = make_response(document)
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="krug-{code}-{kind}.md"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """Readiness for operators and load balancers, within a few seconds whatever stalls: the
    database answers and takes writes, and the message queue (when configured) answers and is
    heard. 503 with ``problems`` (plain words) otherwise."""
    ok, body = readiness(services(), current_app.config.get("MESSAGE_QUEUE"))
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503
