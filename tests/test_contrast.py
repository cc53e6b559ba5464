"""WCAG AA contrast for both themes, computed from the colour tokens in static/krug.css."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parent.parent / "static" / "krug.css").read_text(encoding="utf-8")
ACCENTS = ("speaking", "asking", "listening", "break", "neutral", "alarm")


def tokens(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", CSS, re.S).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))


THEMES = {"light": tokens(":root"), "dark": {**tokens(":root"), **tokens(':root[data-theme="dark"]')}}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("theme", THEMES)
def test_body_text_reads_on_every_surface(theme):
    t = THEMES[theme]
    for fg in ("text", "muted"):
        for bg in ("bg", "surface", "surface-2"):
            assert ratio(t[fg], t[bg]) >= 4.5, (theme, fg, bg, round(ratio(t[fg], t[bg]), 2))


@pytest.mark.parametrize("theme", THEMES)
def test_accents_read_as_text_and_carry_button_labels(theme):
    t = THEMES[theme]
    for accent in ACCENTS:
        for bg in ("bg", "surface"):
            assert ratio(t[accent], t[bg]) >= 4.5, (theme, accent, bg, round(ratio(t[accent], t[bg]), 2))
        assert ratio(t["on-accent"], t[accent]) >= 4.5, (theme, "on-accent", accent, round(ratio(t["on-accent"], t[accent]), 2))
