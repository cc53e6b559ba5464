"""Issue 12.8 in Chromium: a format saved on the landing page is this device's own; another
device's landing page never lists it."""
from __future__ import annotations

import re

import pytest

from .conftest import expect, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory)
    yield srv
    srv.stop()


def test_a_saved_format_is_listed_on_its_own_device_only(server, faces):
    lea = faces.new("lea", "console", "en", server.url)
    lea.goto("/?lang=en")
    lea.by_id("leader-name").fill("Lea")
    lea.by_id("save-as").fill("Zanzibar group")
    lea.by_id("create-btn").click()
    lea.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
    assert re.fullmatch(r"[0-9a-f]{64}", lea.storage("krug:format-owner"))
    lea.goto("/?lang=en")
    own = lea.locator('input[name="format_id"][value^="own-"]')
    expect(own).to_have_count(1)
    expect(lea.by_id("format-list")).to_contain_text("Zanzibar group")
    own.check()
    lea.by_id("leader-name").fill("Lea")
    lea.by_id("create-btn").click()
    lea.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))  # usable by its owner

    other = faces.new("other", "console", "en", server.url)
    other.goto("/?lang=en")
    expect(other.locator('input[name="format_id"]').first).to_be_checked()
    other.by_id("adjust").locator("summary").click()  # the list of formats has arrived
    expect(other.locator("#phase-editor li").first).to_be_attached()
    expect(other.locator('input[name="format_id"][value^="own-"]')).to_have_count(0)
    expect(other.by_id("format-list")).not_to_contain_text("Zanzibar")
    faces.assert_clean()
