"""HTTP routes in-process: pages, room creation, QR, LAN join links, headers, catalogues."""
from __future__ import annotations

from facilitation.web import network


def create(client, **body) -> dict:
    response = client.post("/api/rooms", json={"leader_name": "Lea", **body})
    assert response.status_code == 201, response.json
    return response.json


def test_landing_lists_formats_in_the_browser_language(client):
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    russian = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Balint group — classic 3 hours, two cases" in english
    assert "Балинтовская группа" in russian and 'lang="ru"' in russian


def test_language_switch_is_remembered(client):
    response = client.get("/?lang=ru", headers={"Accept-Language": "en"})
    assert "krug_lang=ru" in response.headers["Set-Cookie"]
    assert 'lang="ru"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_create_room_and_open_its_three_faces(client):
    room = create(client)
    assert len(room["code"]) == 6 and room["token"] != room["screen_token"]
    for prefix in ("c", "s", "j"):
        page = client.get(f"/{prefix}/{room['code']}")
        assert page.status_code == 200 and room["code"] in page.get_data(as_text=True)
        assert room["token"] not in page.get_data(as_text=True)
    assert client.get(f"/j/{room['code'].lower()}").status_code == 302
    assert client.get("/j/ZZZZZ").status_code == 404  # not even the shape of a code


def test_pages_do_not_tell_live_codes_from_dead_ones(client):
    """Issue 12.7: every page (and the QR code) answers a dead code exactly as a live one, so
    codes can be guessed only through the join limit."""
    live = create(client)["code"]
    dead = "ZZZZZZ" if live != "ZZZZZZ" else "YYYYYY"
    for path in ("/j/{}", "/s/{}", "/c/{}", "/qr/{}.svg"):
        a, b = client.get(path.format(live)), client.get(path.format(dead))
        assert a.status_code == b.status_code == 200, path
        assert set(a.headers.keys()) == set(b.headers.keys()) and a.mimetype == b.mimetype
        if not path.startswith("/qr"):
            page = a.get_data(as_text=True).replace(live, dead).replace(" ".join(live), " ".join(dead))
            assert page == b.get_data(as_text=True), path


OWNER, OTHER = "owner-key-of-lea-device-0001", "owner-key-of-someone-else-02"


def test_create_room_with_customized_and_saved_format(client):
    formats = client.get("/api/formats").json["formats"]
    single = next(f for f in formats if f["id"] == "balint-single")
    phases = [{"key": p["key"], "minutes": p["minutes"]} for p in single["phases"] if p["key"] != "check_in"]
    phases[0]["minutes"] = 7
    create(client, format_id="balint-single", phases=phases, save_as="Our Zanzibar group", owner=OWNER)
    mine = client.get("/api/formats", headers={"X-Krug-Owner": OWNER}).json["formats"]
    saved = next(f for f in mine if f["id"].startswith("own-"))
    assert saved["name"]["en"] == "Our Zanzibar group" and saved["total_minutes"] == 90 - 5 - 5 + 7
    assert "zanzibar" not in saved["id"].lower()  # ids are random: names never reach the log through them
    # Only the device that saved it sees it or can use it.
    for headers in ({}, {"X-Krug-Owner": OTHER}):
        assert not any(f["id"].startswith("own-") for f in client.get("/api/formats", headers=headers).json["formats"])
    assert "Zanzibar" not in client.get("/").get_data(as_text=True)
    assert client.post("/api/rooms", json={"leader_name": "Eve", "format_id": saved["id"], "owner": OTHER}).status_code == 404
    create(client, format_id=saved["id"], owner=OWNER)
    bad = client.post("/api/rooms", json={"leader_name": "Lea", "format_id": "balint-single", "phases": [{"key": "nope"}]})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_request"
    assert client.post("/api/rooms", json={"format_id": "balint-single"}).json["error"]["code"] == "bad_request"
    assert client.post("/api/rooms", json={"leader_name": " ", "format_id": "balint-single"}).json["error"]["code"] == "empty_text"


def _own(client, owner=OWNER):
    return [f for f in client.get("/api/formats", headers={"X-Krug-Owner": owner}).json["formats"]
            if f["id"].startswith("own-")]


def test_a_refused_request_saves_no_format(client, caplog):
    refusals = [
        {"leader_name": " ", "save_as": "Empty leader"},                       # empty_text
        {"leader_name": "Lea\x1b[31m", "save_as": "Escape in the name"},       # control character
        {"leader_name": "Lea", "save_as": "No owner key", "owner": None},       # no owner
        {"leader_name": "Lea", "save_as": "Bad\x00name"},                      # control character
        {"leader_name": "Lea", "save_as": "Bad phases", "phases": [{"key": "nope"}]},
        {"leader_name": "Lea", "save_as": "Bad door", "admit_each": "yes"},
    ]
    for body in refusals:
        response = client.post("/api/rooms", json={"format_id": "balint-single", "owner": OWNER, **body})
        assert response.status_code == 400, body
        assert response.headers["Cache-Control"] == "no-store"
    assert _own(client) == []
    assert "name" not in caplog.text.lower() and "Group" not in caplog.text


def test_saved_formats_are_bounded_per_owner(client, monkeypatch):
    from facilitation.persistence import saved_formats

    monkeypatch.setattr(saved_formats, "FORMATS_PER_OWNER", 2)
    for n in range(2):
        create(client, format_id="balint-single", save_as=f"Group {n}", owner=OWNER)
    over = client.post("/api/rooms", json={"leader_name": "Lea", "format_id": "balint-single",
                                           "save_as": "One too many", "owner": OWNER})
    assert over.status_code == 400 and over.json["error"]["code"] == "too_many_formats"
    assert len(_own(client)) == 2
    create(client, format_id="balint-single", save_as="Someone else's", owner=OTHER)  # a bound per owner
    monkeypatch.setattr(saved_formats, "FORMATS_IN_ALL", 3)
    assert client.post("/api/rooms", json={"leader_name": "Eve", "format_id": "balint-single", "save_as": "x",
                                           "owner": "a-third-owner-key-0000000"}).json["error"]["code"] == "too_many_formats"


def test_token_answers_are_never_cached(client):
    created = client.post("/api/rooms", json={"leader_name": "Lea"})
    assert created.headers["Cache-Control"] == "no-store"
    joined = client.post(f"/api/rooms/{created.json['code']}/join", json={"name": "Anna", "consent": True})
    assert joined.status_code == 201 and joined.headers["Cache-Control"] == "no-store"


def test_qr_is_svg_of_the_join_link(client):
    room = create(client)
    response = client.get(f"/qr/{room['code']}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


def test_join_link_uses_the_lan_address_when_listening_everywhere(make_app, monkeypatch):
    monkeypatch.setattr(network, "interface_addresses", lambda: ["127.0.0.1", "192.168.1.23"])
    client = make_app(HOST="0.0.0.0", PORT=5000, PUBLIC_URL=None).test_client()
    room = create(client)
    page = client.get(f"/c/{room['code']}").get_data(as_text=True)
    assert f"http://192.168.1.23:5000/j/{room['code']}" in page and "127.0.0.1" not in page


def test_public_url_wins_when_set(make_app):
    client = make_app(HOST="0.0.0.0", PUBLIC_URL="https://krug.example.org/").test_client()
    room = create(client)
    assert f"https://krug.example.org/j/{room['code']}" in client.get(f"/s/{room['code']}").get_data(as_text=True)


def test_lan_address_prefers_private_ranges():
    assert network.lan_address(["127.0.0.1", "169.254.3.3", "203.0.113.5", "10.0.0.7"]) == "10.0.0.7"
    assert network.lan_address(["127.0.0.1"]) is None
    assert all(not a.startswith("127.") for a in [network.lan_address() or "x"])


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_socket_client_and_catalogues_are_served_locally(client):
    script = client.get("/vendor/socket.io.min.js")
    assert script.status_code == 200 and b"io" in script.data
    assert client.get("/vendor/other.js").status_code == 404
    ru = client.get("/i18n/ru.json").json
    assert ru["messages"]["Krug"] == "Круг" and ru["errors"]["room_full"] == "Круг заполнен (12 человек)."
    en = client.get("/i18n/en.json").json
    assert en["messages"] == {} and en["errors"]["room_full"] == "The circle is full (12 people)."
    assert client.get("/i18n/de.json").status_code == 404


def test_healthz(client):
    assert client.get("/healthz").json == {"ok": True, "database": True, "writes": True}


def test_language_cookie_is_secure_behind_tls(make_app):
    client = make_app(PROXY_COUNT=1).test_client()
    response = client.get("/?lang=en", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in client.get("/?lang=en").headers["Set-Cookie"]


def test_text_is_gzipped_for_phones(client):
    import gzip

    script = client.get("/static/krug.js", headers={"Accept-Encoding": "gzip, deflate"})
    assert script.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in script.headers["Vary"]
    plain = client.get("/static/krug.js")
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(script.data) == plain.data and len(script.data) < len(plain.data) / 2
    catalogue = client.get("/i18n/ru.json", headers={"Accept-Encoding": "gzip"})
    assert catalogue.headers["Content-Encoding"] == "gzip"
    qr_small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in qr_small.headers  # too small to be worth it
