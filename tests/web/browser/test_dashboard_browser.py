"""In a real browser: sign in, the dashboard, the language switch, sign out."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.browser.conftest import login, screenshot


def test_sign_in_see_the_dashboard_and_sign_out(page):
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    login(page, "admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    expect(page.get_by_role("img", name="Population against capacity per pavilion")).to_be_visible()
    expect(page.locator("#held-without-basis summary")).to_contain_text("Held without a current legal basis")
    screenshot(page, "dashboard")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    page.goto("/sites/RC")
    assert "/login" in page.url


def test_switch_to_spanish_and_back(page):
    login(page, "viewer")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Panel")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar idioma").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_keyboard_reaches_the_main_content(page):
    login(page, "viewer")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
