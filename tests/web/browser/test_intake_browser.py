"""In a real browser: book one person through the form (inline errors first), and a manifest
(a bad row shown and nothing booked; fixed, checked again, booked)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.web.browser.conftest import PASSWORD, login, screenshot


def api_token(page, username: str) -> str:
    r = page.request.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.ok, r.text()
    return r.json()["token"]


def search(page, token: str, words: str) -> int:
    r = page.request.get("/api/v1/prisoners", params={"q": words}, headers={"Authorization": f"Bearer {token}"})
    assert r.ok, r.text()
    return r.json()["total"]


def test_book_one_person_through_the_form(page):
    tag = uuid.uuid4().hex[:8]
    surname = f"Formulario{tag}"
    login(page, "records", next="/sites/RC/intake")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Book a person into custody")

    # inline errors, as the fields are left: a surname removed, a date of birth in the future
    name = page.get_by_label("Surname(s)")
    name.fill("Temporal")
    name.press("Tab")
    name.fill("")
    name.press("Tab")
    expect(page.locator("#err-surname")).to_have_text("Required.")
    expect(name).to_have_attribute("aria-invalid", "true")
    future = (date.today() + timedelta(days=400)).isoformat()
    dob = page.get_by_label("Date of birth")
    dob.fill(future)
    dob.press("Tab")
    expect(page.locator("#err-date_of_birth")).to_contain_text("is in the future")
    expect(page.locator("#err-given_names")).to_be_empty()  # not reached yet: not shouted at
    screenshot(page, "intake-form-inline-errors")

    # fixed, and the rest filled in
    name.fill(surname)
    name.press("Tab")
    expect(page.locator("#err-surname")).to_be_empty()
    expect(name).not_to_have_attribute("aria-invalid", "true")
    dob.fill("1993-06-15")
    dob.press("Tab")
    expect(page.locator("#err-date_of_birth")).to_be_empty()
    page.get_by_label("Given names").fill("Carlos Ernesto")
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("Sender's reference").fill(f"WEB-{tag}")
    page.get_by_label("Legal status").select_option("remand")
    page.get_by_label("Type").select_option("remand_order")
    page.get_by_label("Reference of the document").fill(f"RO-{tag}")
    page.get_by_label("Issuing authority").fill("Juzgado Segundo de Instrucción")
    page.get_by_label("Issue date").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_label("Reason for commitment").fill("Remand pending trial")
    page.get_by_label("Visible injuries").fill("none")
    page.get_by_label("Next of kin").fill("Ana Martínez")
    page.get_by_role("button", name="Book into custody").click()

    page.wait_for_url(re.compile(r"/prisoners/H\d{7}[A-Z]$"))
    number = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("status")).to_contain_text(f"booked into custody as {number}")
    token = api_token(page, "records")
    r = page.request.get(f"/api/v1/prisoners/{number}", headers={"Authorization": f"Bearer {token}"})
    assert r.ok and r.json()["surname"] == surname


def manifest(tag: str, bad_row: bool) -> bytes:
    issued = (date.today() - timedelta(days=2)).isoformat()
    columns = ["external_ref", "surname", "given_names", "date_of_birth", "sex", "nationality", "national_id", "legal_status", "basis_type",
               "basis_reference", "basis_authority", "basis_issue_date", "commitment_reason", "visible_injuries"]
    rows = [[f"M-{tag}-{i}", f"Manifiesto{tag}", f"Persona {i}", "1990-13-01" if bad_row and i == 2 else f"198{i}-02-0{i}", "M", "SLV",
             f"{tag}-{i}", "remand", "remand_order", f"RO-{tag}-{i}", "Juzgado Primero", issued, "Remand pending trial", "none"]
            for i in range(1, 4)]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().encode()


def test_a_manifest_with_a_bad_row_then_fixed_and_booked(page):
    tag = uuid.uuid4().hex[:8]
    login(page, "records", next="/sites/RC/intake/manifest")
    token = api_token(page, "records")
    upload = page.get_by_label("Manifest file")

    upload.set_input_files({"name": f"arrivals-{tag}.csv", "mimeType": "text/csv", "buffer": manifest(tag, bad_row=True)})
    page.get_by_role("button", name="Check the file").click()
    result = page.locator("#manifest-result")
    expect(result.get_by_role("heading", name="Nothing was booked")).to_be_visible()
    problem = result.get_by_role("row").filter(has_text="date_of_birth")
    expect(problem).to_contain_text(f"arrivals-{tag}.csv")
    expect(problem.get_by_role("cell").nth(1)).to_have_text("3")  # spreadsheet row: the header is row 1
    expect(problem).to_contain_text("month value is outside expected range")
    screenshot(page, "intake-manifest-bad-row")
    assert search(page, token, f"Manifiesto{tag}") == 0  # nothing was booked

    upload.set_input_files({"name": f"arrivals-{tag}.csv", "mimeType": "text/csv", "buffer": manifest(tag, bad_row=False)})
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url(re.compile(r"/sites/RC/intake/manifest/[A-Za-z0-9_-]{32}$"))
    expect(page.get_by_text("every row is correct: 3 people can be booked")).to_be_visible()
    expect(page.get_by_role("table", name="Every row")).to_contain_text(f"Manifiesto{tag}, Persona 2")
    assert search(page, token, f"Manifiesto{tag}") == 0  # still nothing before the button
    screenshot(page, "intake-manifest-summary")
    page.get_by_role("button", name="Book 3 people").click()
    expect(page.get_by_role("heading", name="3 people booked")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^H\d{7}[A-Z]$"))).to_have_count(3)
    assert search(page, token, f"Manifiesto{tag}") == 3
