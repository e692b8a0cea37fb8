"""End-to-end tests: Playwright driving Debian's headless chromium against a live server.

Screenshots of the main pages are saved under test-artifacts/screenshots/ (look at them).
Without /usr/bin/chromium these tests are skipped, or fail under REQUIRE_SERVICES=1
(.ci/run installs chromium with apt-get first).
"""

import os
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from tickets.calendars import business_calendar_invalidate, calendar_seed

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"e2e tests need {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread while the browser is
    # open; the ORM calls the tests make themselves (arranging data, checking results) are still
    # plain synchronous calls, so Django's async-safety guard is lifted for as long as it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        # launch() starts chromium on a fresh temporary user-data dir of Playwright's own.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def seeded_data(transactional_db):
    """What the migrations seed (SLA policies, the checklists, the phrase book, the forbidden phrases) is there in every
    browser test. The live server needs committed data, so each test ends by flushing the
    database, seeded rows included; the seeds are idempotent and simply run again."""
    for migration in (
        "tickets.migrations.0002_default_policies",
        "scripts_lib.migrations.0002_seed_visa_and_hukou",
        "scripts_lib.migrations.0003_seed_move_in_and_transfer",
        "scripts_lib.migrations.0006_phrasebook_seed",
        "scripts_lib.migrations.0008_seed_forbidden_phrases",
    ):
        import_module(migration).seed(django_apps, None)


@pytest.fixture(autouse=True)
def official_calendar(seeded_data):
    """The official working calendar is entered, as in any real centre (`make run` seeds it)."""
    calendar_seed()
    business_calendar_invalidate()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() opens a fresh browser window (its own cookies) on the live server, in Chinese."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def page_of(new_page):
    """page_of("engineer") is a second person, signed in at their own desk in their own window."""

    def open_as(username: str):
        page = new_page()
        sign_in(page, username)
        page.wait_for_url("**/")
        return page

    return open_as


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/screenshots/name.png (full page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        # From the top: a full-page capture of a scrolled page draws sticky panels out of place.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str, password: str = "pass-1234") -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
