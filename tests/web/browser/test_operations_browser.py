"""In a real browser: a count with a difference found and resolved; the site map with a cell's
people opened by mouse and by keyboard; the roll."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web.browser.conftest import login, screenshot

LANDING = "P8-2"  # a landing no other browser test counts, so the count is independent


def expected_numbers(page) -> dict[str, int]:
    """People present in each cell of the landing now, read from the roll down to each cell."""
    page.goto("/sites/RC/roll?cells=1")
    out = {}
    rows = page.locator("table.roll tbody tr")
    for i in range(rows.count()):
        row = rows.nth(i)
        code = row.locator("th a, th").first.inner_text().split()[0]
        if re.fullmatch(rf"{LANDING}-C\d\d", code):
            out[code] = int(row.locator("td").nth(1).inner_text())
    assert len(out) == 32
    return out


def test_a_count_with_a_difference_is_found_at_once_and_resolved(page):
    login(page, "operations")
    page.goto("/sites/RC/counts")
    page.get_by_label("Scope (location code)").fill(LANDING)
    page.get_by_role("button", name="Open the count").click()
    page.wait_for_url(re.compile(r"/sites/RC/counts/\d+$"))
    count_url = page.url
    count_id = count_url.rsplit("/", 1)[1]
    expect(page.get_by_role("status").first).to_contain_text(f"Count {count_id} is open")

    expected = expected_numbers(page)
    short = next(code for code, n in expected.items() if n > 0)
    page.goto(count_url)

    # the officer counts one fewer in one cell: the difference shows at once, with the people expected there
    field = page.get_by_role("textbox", name=short, exact=True)
    expect(field).to_have_attribute("inputmode", "numeric")
    field.fill(str(expected[short] - 1))
    field.press("Enter")
    line = page.locator(f"#line-{short}")
    expect(line).to_contain_text("mismatch")
    expect(line).to_contain_text(f"Difference in {short}: expected {expected[short]}, counted {expected[short] - 1}.")
    expect(line.get_by_role("link", name=re.compile(r"^H\d{7}[A-Z]$")).first).to_be_visible()
    expect(page.locator("#count-totals")).to_contain_text("1 / 32")
    screenshot(page, "count-mismatch")

    # the other cells all at once
    for code, n in expected.items():
        if code != short:
            page.get_by_role("textbox", name=code, exact=True).fill(str(n))
    page.get_by_role("button", name="Submit every number entered").first.click()
    expect(page.get_by_role("status").first).to_contain_text("31 places submitted: every number matches.")
    expect(page.locator("#count-totals")).to_contain_text("32 / 32")

    # it cannot clear while the difference stands
    page.get_by_role("button", name="Clear the count").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot clear: 1 location(s) not reconciled")
    expect(page.get_by_role("alert")).to_contain_text(short)

    # a recount, with its reason; the right number this time
    page.goto(count_url)
    line = page.locator(f"#line-{short}")
    line.get_by_label("Reason for the recount").fill("officer unsure: two men on one bunk")
    line.get_by_role("button", name=f"Order the recount of {short}").click()
    expect(line).to_contain_text("recount ordered")
    field = page.get_by_role("textbox", name=short, exact=True)
    expect(field).to_be_focused()
    field.fill("many")
    field.press("Enter")
    expect(page.locator(f"#err-{short}")).to_contain_text("is not a number of people")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill(str(expected[short]))
    field.press("Enter")
    expect(line).to_contain_text("matched")
    expect(line).to_contain_text("(2 counts)")

    page.get_by_role("button", name="Reconcile").click()
    expect(page.get_by_role("status").first).to_contain_text("There was no difference to reconcile.")
    page.get_by_role("button", name="Clear the count").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Count {count_id} is cleared.")
    expect(page.locator(".count-status")).to_have_text("Cleared")
    expect(page.get_by_role("textbox", name=short, exact=True)).to_have_count(0)


def test_the_site_map_and_a_cells_people_by_mouse_and_keyboard(page):
    login(page, "viewer")
    page.goto("/sites/RC/map")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Site map")
    for n in range(1, 9):
        expect(page.get_by_role("heading", name=re.compile(rf"^Pavilion {n}\b"))).to_be_visible()
    expect(page.get_by_role("heading", name="Legend")).to_be_visible()
    cells = page.locator("a.cell")
    assert cells.count() >= 8 * 2 * 32

    # a click opens the cell's people in the side panel
    page.get_by_role("link", name=re.compile(r"^P1-1-C01, ")).click()
    panel = page.locator("#cell-panel")
    expect(panel.get_by_role("heading", level=2)).to_contain_text("P1-1-C01")
    expect(panel.get_by_role("link", name=re.compile(r"^H\d{7}[A-Z]$")).first).to_be_visible()
    screenshot(page, "site-map")

    # the keyboard: a cell is a focusable link; Enter opens it and the focus moves to the panel
    cell = page.get_by_role("link", name=re.compile(r"^P2-1-C05, "))
    cell.focus()
    expect(cell).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", level=2)).to_contain_text("P2-1-C05")
    expect(panel.get_by_role("heading", level=2)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("href", re.compile(r"^/prisoners/"))
    panel.get_by_role("link", name="Back to P2-1-C05 on the map").press("Enter")
    expect(cell).to_be_focused()

    # the same cell has a page of its own, and the floor-area view colours against the standards
    page.goto("/sites/RC/map/cells/P2-1-C05")
    expect(page.get_by_role("heading", level=2)).to_contain_text("P2-1-C05")
    page.goto("/sites/RC/map")
    page.get_by_role("link", name="Floor area per person").click()
    expect(page.get_by_role("link", name="Floor area per person")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("below the CPT standard, meets the ICRC standard")).to_be_visible()


def test_the_roll(page):
    login(page, "viewer")
    page.goto("/sites/RC/roll")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Roll")
    expect(page.get_by_role("heading", name="Who is held, and where")).to_be_visible()
    expect(page.get_by_text("unlock roll (inside at the start of the day)")).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile(r"^P8-2 "))).to_be_visible()
    screenshot(page, "roll")
    page.get_by_role("link", name="Show every cell too").click()
    expect(page.get_by_role("rowheader", name=re.compile(r"^P8-2-C32 "))).to_be_visible()
