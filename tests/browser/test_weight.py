"""A phone on a weak Wi-Fi: its first load of the join page — HTML, scripts, styles, the
language catalogue, the Socket.IO client, as the browser fetches them — transfers under 150 KB.

Measured from the network (CDP ``Network.loadingFinished.encodedDataLength``: bytes on the
wire, headers included) in a fresh browser context, for each language (the Russian catalogue is
the heavier one).
"""
from __future__ import annotations

import time

import pytest

from .conftest import expect, start_server

pytestmark = pytest.mark.browser

BUDGET = 150 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory)
    yield srv
    srv.stop()


def first_load(faces, server, code: str, lang: str) -> dict[str, dict]:
    phone = faces.new(f"phone-{lang}", "phone", lang, server.url)
    cdp = phone.context.new_cdp_session(phone.page)
    requests_seen: dict[str, dict] = {}

    def on_response(event):
        response = event["response"]
        requests_seen.setdefault(event["requestId"], {}).update(
            url=response["url"], status=response["status"],
            encoding=response["headers"].get("Content-Encoding") or response["headers"].get("content-encoding"))

    def on_finished(event):
        requests_seen.setdefault(event["requestId"], {})["bytes"] = event["encodedDataLength"]

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    phone.goto(f"/j/{code}?lang={lang}")
    expect(phone.by_id("p-join")).to_be_visible()
    expect(phone.locator("#join-title")).not_to_be_empty()
    # Everything the load started has finished (the websocket is not a request here).
    deadline = time.monotonic() + 10
    while any("bytes" not in r for r in requests_seen.values()) and time.monotonic() < deadline:
        phone.page.wait_for_timeout(100)
    phone.page.wait_for_timeout(300)
    return {r["url"].replace(server.url, ""): r for r in requests_seen.values() if "url" in r}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_phone_first_load_is_light(server, faces, lang):
    code = server.create_room("Lea")["code"]
    loaded = first_load(faces, server, code, lang)
    paths = {p.split("?")[0] for p in loaded}
    for needed in (f"/j/{code}", "/static/krug.js", "/static/phone.js", "/static/krug.css",
                   f"/i18n/{lang}.json", "/vendor/socket.io.min.js"):
        assert needed in paths, f"{needed} was not loaded: {sorted(paths)}"
    total = sum(r.get("bytes", 0) for r in loaded.values())
    report = "\n".join(f"  {r.get('bytes', 0):>7} B  {r.get('encoding') or 'identity':8} {r['status']} {path}"
                       for path, r in sorted(loaded.items(), key=lambda kv: -kv[1].get("bytes", 0)))
    print(f"\nphone first load ({lang}): {total} B\n{report}")
    big_text = [p for p, r in loaded.items() if r.get("bytes", 0) > 2048 and not r.get("encoding")
                and not p.endswith((".png", ".jpg"))]
    assert not big_text, f"sent uncompressed:\n{report}"
    assert total < BUDGET, f"first load {total} B > {BUDGET} B:\n{report}"
    faces.assert_clean()
