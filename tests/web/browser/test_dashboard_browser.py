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


def test_an_inspector_reaches_no_write_action(page):
    login(page, "inspector")
    nav = page.get_by_role("navigation", name="Main")
    labels = [a.inner_text().strip() for a in nav.get_by_role("link").all()]
    assert "Audit" in labels and "Intake" not in labels
    for label in labels:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").count() >= 1, label
        forms = page.locator("form[method='post'], form[method='POST']")
        actions = {forms.nth(i).get_attribute("action") for i in range(forms.count())}
        assert actions <= {"/language", "/logout"}, (label, actions)
        assert page.locator("[hx-post], [hx-put], [hx-delete], [hx-patch]").count() == 0, label
    for url in ("/sites/RC/intake", "/sites/RC/intake/manifest"):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_an_error_answer_to_htmx_replaces_the_main_area(page):
    login(page, "viewer")
    page.goto("/sites/RC")
    page.evaluate("htmx.ajax('GET', '/sites/NOPE', {target: '#main'})")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main#main")).to_have_count(1)
