"""In a real browser: a transfer from an outside agency to RC, from the plan to the close, with the
allocation of the arrivals previewed and committed by the housing officer."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.web.browser.conftest import login, screenshot


def manifest(tag: str) -> bytes:
    issued = (date.today() - timedelta(days=1)).isoformat()
    columns = ["external_ref", "surname", "given_names", "date_of_birth", "sex", "national_id", "legal_status", "basis_type",
               "basis_reference", "basis_authority", "basis_issue_date", "commitment_reason"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for i in range(1, 4):
        w.writerow([f"T-{tag}-{i}", f"Traslado{tag}", f"Persona {i}", f"198{i}-05-1{i}", "M", f"T{tag}{i}", "remand", "remand_order",
                    f"RO-{tag}-{i}", "Juzgado Primero de Paz", issued, "Remand pending trial"])
    return buf.getvalue().encode()


def as_user(page, username: str, url: str) -> None:
    page.context.clear_cookies()
    login(page, username, next=url)


def test_plan_check_in_allocate_and_reconcile_a_transfer(page):
    tag = uuid.uuid4().hex[:8]
    refs = [f"T-{tag}-{i}" for i in range(1, 4)]

    # operations plans the transfer from the agency's manifest: beds reserved
    login(page, "operations", next="/sites/RC/transfers")
    form = page.locator("form").filter(has=page.get_by_label("Agency"))
    form.get_by_label("Agency").fill(f"PNC Apopa {tag}")
    form.get_by_label("Reason").fill("State of exception detainees")
    form.get_by_label("Manifest file").set_input_files({"name": f"pnc-{tag}.csv", "mimeType": "text/csv", "buffer": manifest(tag)})
    form.get_by_role("button", name="Plan the transfer").click()
    page.wait_for_url(re.compile(r"/sites/RC/transfers/\d+$"))
    transfer = urlparse(page.url).path
    expect(page.get_by_role("status")).to_contain_text("planned")
    expect(page.locator("h1 .badge")).to_have_text("planned")
    manifest_table = page.get_by_role("table").last
    expect(manifest_table.get_by_role("row").filter(has_text=refs[0])).to_contain_text(re.compile(r"P\d-\d+-C\d+"))  # a reserved cell

    # departure, then check-in: an unexpected person is refused with the alert shown
    page.get_by_role("button", name="Record the departure").click()
    expect(page.locator("h1 .badge")).to_have_text("departed")
    scan = page.get_by_label("Sender's reference")
    scan.fill(f"{refs[0]} NOBODY-{tag}")
    scan.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(f"NOBODY-{tag}: not on the manifest")
    expect(page.locator("#alerts")).to_contain_text(f"NOBODY-{tag}: not on the manifest")
    screenshot(page, "transfer-unexpected-arrival")
    scan = page.get_by_label("Sender's reference")
    scan.fill(f"{refs[0]} {refs[1]}")
    scan.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Checked in: {refs[0]}, {refs[1]}.")
    expect(page.get_by_label("Sender's reference")).to_be_focused()  # ready for the next scan

    # the third did not arrive: accounted for
    page.get_by_label("Person", exact=True).fill(refs[2])
    page.get_by_label("What happened").fill("Not handed over by the escort: order under review")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text(f"{refs[2]} accounted for: incident")

    # housing previews the allocation of the two arrivals, then commits it
    as_user(page, "housing", transfer)
    expect(page.locator("#allocation")).to_contain_text("2 people from this transfer are waiting in reception for a cell")
    page.get_by_role("button", name="Preview the allocation").click()
    allocation = page.locator("#allocation")
    expect(allocation).to_contain_text("Preview: nothing is written yet.")
    expect(allocation).to_contain_text("2 people would be housed")
    expect(allocation.get_by_role("img", name=re.compile("after the allocation"))).to_be_visible()
    expect(allocation.get_by_role("row").filter(has_text="+2").first).to_be_visible()
    screenshot(page, "transfer-allocation-preview")
    page.get_by_role("button", name="Commit the allocation").click()
    expect(allocation).to_contain_text("2 people housed.")

    # operations sees the reconciliation and closes the transfer
    as_user(page, "operations", transfer)
    def figure(label: str):
        return page.locator("#rec-title + .figures .figure").filter(has=page.locator("span", has_text=re.compile(f"^{label}$"))).locator(".n")

    expect(figure("expected")).to_have_text("3")
    expect(figure("have arrived")).to_have_text("2")
    expect(figure("incident")).to_have_text("1")
    expect(figure("in transit, not arrived")).to_have_text("0")
    page.get_by_role("button", name="Close the transfer").click()
    expect(page.locator("h1 .badge")).to_have_text("closed")
    screenshot(page, "transfer-closed")
