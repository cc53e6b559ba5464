"""Issue 14 item 23: Chromium reads the phone page's web app manifest without an error, finds the
page installable (opens standalone from the home screen), and loads every icon it names.

A persistent profile rather than the module's shared browser: Chromium refuses to install from an
incognito context, which is what Playwright's ``new_context`` makes.
"""
from __future__ import annotations

import json

import pytest
import requests

from .conftest import CHROMIUM, LAUNCH_ARGS, require_chromium, start_server, sync_playwright

pytestmark = pytest.mark.browser

LOAD_ICON = """(src) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
  img.onerror = () => resolve(null);
  img.src = src;
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory)
    yield srv
    srv.stop()


def test_phone_page_is_installable_in_chromium(server, tmp_path):
    require_chromium()
    code = server.create_room("Lea")["code"]
    manifest_url = f"{server.url}/static/manifest.webmanifest"
    served = requests.get(manifest_url, timeout=5)
    assert served.headers["Content-Type"].split(";")[0] == "application/manifest+json"
    declared = served.json()
    problems: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS,
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ru-RU")
        try:
            context.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
            page = context.pages[0] if context.pages else context.new_page()
            page.on("pageerror", lambda err: problems.append(str(err)))
            cdp = context.new_cdp_session(page)
            for path in (f"/j/{code}", "/"):
                page.goto(server.url + path)
                page.wait_for_selector("#main")
                app = cdp.send("Page.getAppManifest")
                assert app["url"] == manifest_url, path
                assert app["errors"] == [], (path, app["errors"])
                seen = app["manifest"]
                assert seen["name"] == "Krug" and seen["display"] == "kStandalone", seen
                assert seen["startUrl"] == server.url + "/" and seen["scope"] == server.url + "/"
                assert len(seen["icons"]) == len(declared["icons"])
                assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == [], path
            # Every icon loads in the page, under its Content-Security-Policy, at its declared size.
            for icon in seen["icons"]:
                size = page.evaluate(LOAD_ICON, icon["url"])
                assert size, f"icon did not load: {icon['url']}"
                if icon["sizes"] != "0x0":  # the SVG: any size
                    assert f"{size[0]}x{size[1]}" == icon["sizes"], (icon, size)
            touch = page.evaluate("document.querySelector('link[rel=apple-touch-icon]').href")
            assert page.evaluate(LOAD_ICON, touch) == [180, 180]
        finally:
            context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
