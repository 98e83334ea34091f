"""End-to-end fixtures: a real server on 127.0.0.1 over a small demo database (SQLite), and
Debian's chromium driven by Playwright. Screenshots go to test-artifacts/ (or
$HABEAS_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HABEAS_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser-test-password"
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("HABEAS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _habeas(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "habeas.cli.main", *args], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of a server started for the browser tests, over a demo of 600 people."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    db = tmp_path_factory.mktemp("live") / "habeas.db"
    env = {**os.environ, "HABEAS_DATABASE_URL": f"sqlite:///{db}", "HABEAS_DEMO_ADMIN_PASSWORD": PASSWORD}
    env.pop("HABEAS_NOW", None)
    _habeas(env, "db", "upgrade")
    _habeas(env, "demo", "--prisoners", "600", "--seed", "7")
    port = _free_port()
    log = (tmp_path_factory.mktemp("live-log") / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "habeas.app:create_app", "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start: see {log.name}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) at tablet-friendly width; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1024, "height": 800}, base_url=live_server, locale="en-GB")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def login(page, username: str, password: str = PASSWORD, next: str = "/") -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login?next=" + next)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

