"""Issue 14 item 23: the phone page is installable. Every page links the web app manifest, the
theme colours and the apple-touch-icon; the manifest is served as ``application/manifest+json``,
parses, names its colours from the CSS tokens, and every icon it names loads at its size.

In-process HTTP (Flask's test client); ``tests/browser/test_install.py`` has Chromium read it.
"""
from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from config import TestConfig
from facilitation import create_app
from facilitation.cli import upgrade_database

CSS = (Path(__file__).resolve().parent.parent / "static" / "krug.css").read_text(encoding="utf-8")
MANIFEST_URL = "/static/manifest.webmanifest"


def tokens(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", CSS, re.S).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))


LIGHT = tokens(":root")
DARK = {**LIGHT, **tokens(':root[data-theme="dark"]')}


class Head(HTMLParser):
    """The <link> and <meta> elements of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []
        self.metas: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag == "meta":
            self.metas.append(dict(attrs))


def head(html: str) -> Head:
    parsed = Head()
    parsed.feed(html)
    return parsed


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from the IHDR chunk; colour type 2 = RGB, 6 = RGBA."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[25]


@pytest.fixture
def client(tmp_path):
    url = f"sqlite:///{tmp_path / 'manifest.sqlite3'}"
    upgrade_database(url)
    return create_app(TestConfig(DATABASE_URL=url)).test_client()


def pages(client) -> dict[str, object]:
    code = client.post("/api/rooms", json={"leader_name": "Lea"}).json["code"]
    return {path: client.get(path + query)
            for path in ("/", f"/j/{code}", f"/s/{code}", f"/c/{code}", "/j/ZZZZZZ")
            for query in ("?lang=ru", "?lang=en")}


def test_every_page_links_the_manifest_theme_colours_and_touch_icon(client):
    for path, response in pages(client).items():
        assert response.status_code in (200, 404), path
        page = head(response.get_data(as_text=True))
        rels = {link.get("rel"): link.get("href") for link in page.links}
        assert rels.get("manifest") == MANIFEST_URL, path
        assert rels.get("apple-touch-icon") == "/static/apple-touch-icon.png", path
        metas = {(m.get("name"), m.get("media")): m.get("content") for m in page.metas if m.get("name")}
        # The browser's bar continues the page's top bar (--surface) in either theme.
        assert metas[("theme-color", "(prefers-color-scheme: light)")] == LIGHT["surface"], path
        assert metas[("theme-color", "(prefers-color-scheme: dark)")] == DARK["surface"], path
        assert metas[("mobile-web-app-capable", None)] == "yes", path
        assert metas[("apple-mobile-web-app-capable", None)] == "yes", path
        assert metas[("apple-mobile-web-app-title", None)] == "Krug", path
        # The page's Content-Security-Policy lets the browser fetch the manifest and its icons.
        csp = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
        assert "'self'" in csp.get("manifest-src", csp["default-src"]).split(), path
        assert "'self'" in csp.get("img-src", csp["default-src"]).split(), path


def test_manifest_is_served_as_a_manifest_and_describes_the_app(client):
    response = client.get(MANIFEST_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Krug" and manifest["short_name"] == "Krug"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == LIGHT["surface"]
    assert manifest["background_color"] == LIGHT["bg"]  # the splash screen is the page's background


def test_every_manifest_icon_loads_at_its_size(client):
    manifest = json.loads(client.get(MANIFEST_URL).get_data(as_text=True))
    seen = set()
    for icon in manifest["icons"]:
        url = urljoin(MANIFEST_URL, icon["src"])
        assert urlparse(url).path.startswith("/static/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == icon["type"], url
        data = response.get_data()
        if icon["type"] == "image/svg+xml":
            assert icon["sizes"] == "any"
            assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"
        else:
            width, height, _ = png_size(data)
            assert icon["sizes"] == f"{width}x{height}", url
        seen.add((icon["type"], icon["sizes"], icon.get("purpose", "any")))
    for needed in (("image/png", "192x192", "any"), ("image/png", "512x512", "any"),
                   ("image/png", "512x512", "maskable"), ("image/svg+xml", "any", "any")):
        assert needed in seen, needed


def test_apple_touch_icon_is_an_opaque_180_square(client):
    response = client.get("/static/apple-touch-icon.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    # iOS rounds the corners itself and would show transparent ones black.
    assert png_size(response.get_data()) == (180, 180, 2)
