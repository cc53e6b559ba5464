"""Draws the committed PNG icons from static/krug.svg (run once after changing the logo):

    .venv/bin/python .ci/make_icons.py

Debian's Chromium through Playwright (both from ``bash .ci/setup --test``). The full-bleed
variant (square, opaque) is for iOS, which rounds the corners itself and shows transparency as
black, and for Android's maskable crop: the ring (radius 11.3 of 16) lies inside its safe circle
(radius 12.8 of 16).
"""
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "static"

svg = (STATIC / "krug.svg").read_text()
square = re.sub(r'\s*rx="[^"]*"', "", svg, count=1)
assert square != svg, "krug.svg has no rounded background rect any more: check the variants"
JOBS = [("icon-192.png", svg, 192), ("icon-512.png", svg, 512),
        ("icon-maskable-512.png", square, 512), ("apple-touch-icon.png", square, 180)]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for name, source, size in JOBS:
        page = browser.new_page(viewport={"width": size, "height": size}, device_scale_factor=1)
        sized = source.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
        page.set_content("<!doctype html><style>html,body{margin:0;background:transparent}"
                         f"svg{{display:block}}</style>{sized}")
        page.screenshot(path=str(STATIC / name), omit_background=True)
        page.close()
    browser.close()
