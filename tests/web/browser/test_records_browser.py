"""In a real browser: find a person by name as you type, open the record (location timeline, the
release date line by line), and, as an inspector, read and verify the audit log."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.browser.conftest import login, screenshot

# In the demo of 600 people (seed 7): a convicted man with a sentence and a cell.
NAME = "Rivera Melgar, Rafael Pedro"
NUMBER = "H0000042L"


def test_search_by_name_and_open_the_record(page):
    login(page, "records")
    page.goto("/prisoners")
    box = page.get_by_label("Prisoner number, name or date of birth")
    box.press_sequentially("rivera melg", delay=40)  # live search: no Enter
    row = page.locator("#results tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/prisoners\?q=rivera"))
    screenshot(page, "prisoner-search")
    row.get_by_role("link", name=NUMBER).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Rivera Melgar")
    page.get_by_role("navigation", name="Sections of the record").get_by_role("link", name="Sentences and release").click()
    expect(page).to_have_url(re.compile("#sentences$"))
    expect(page.get_by_role("heading", name="Why this date")).to_be_visible()
    breakdown = page.locator("ol.breakdown")
    expect(breakdown.get_by_role("listitem").first).to_contain_text("Custody start")
    expect(breakdown).to_contain_text("Release date:")
    timeline = page.get_by_role("list", name="Stays, newest first")
    expect(timeline.get_by_role("listitem").first).to_contain_text("now")
    expect(timeline.get_by_role("listitem").last).to_contain_text("admission")
    screenshot(page, "prisoner-record")

    # Enter on an exact number goes straight to the record
    page.goto("/prisoners")
    page.get_by_label("Prisoner number, name or date of birth").fill(NUMBER.lower())
    page.get_by_label("Prisoner number, name or date of birth").press("Enter")
    expect(page).to_have_url(re.compile(f"/prisoners/{NUMBER}$"))


def test_inspector_reads_and_verifies_the_audit_log(page):
    login(page, "inspector")
    page.goto(f"/prisoners/{NUMBER}")  # a read, audited
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")

    page.get_by_role("button", name="Verify the chain now").click()
    expect(page.locator("#verify-result")).to_contain_text("The chain is intact", timeout=30_000)
    expect(page.locator("#verify-result")).to_contain_text("events checked")

    page.get_by_label("Prisoner number").fill(NUMBER)
    page.get_by_label("User", exact=True).fill("inspector")
    page.get_by_role("button", name="Show events").click()
    events = page.locator("table.audit-log tbody tr")
    expect(events.first).to_contain_text("prisoner.read")
    expect(events.first).to_contain_text(NUMBER)
    page.get_by_label("User", exact=True).fill("")
    page.get_by_label("Action").fill("intake.book")
    page.get_by_role("button", name="Show events").click()
    expect(events).to_have_count(1)
    events.first.locator("summary").click()
    expect(events.first.get_by_role("heading", name="After")).to_be_visible()
    expect(events.first.locator("pre.json").last).to_contain_text("Rivera Melgar")
    screenshot(page, "audit-log")


def test_a_viewer_has_no_audit_log(page):
    login(page, "viewer")
    expect(page.get_by_role("link", name="Audit", exact=True)).to_have_count(0)
    page.goto("/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_the_court_day_shows_the_rooms(page):
    login(page, "legal")
    page.goto("/sites/RC/court")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Court day")
    expect(page.get_by_role("img", name="Video-link room timetable")).to_be_visible()
    page.get_by_label("Day", exact=True).fill("2026-01-15")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"on=2026-01-15"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026-01-15")
