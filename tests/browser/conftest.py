"""Browser tests: Playwright drives Debian's Chromium (headless) against pytest-django's
live server. Run alone with `./bin/test -m browser`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))

# Playwright's sync API runs an event loop in this thread; Django's async-safety check
# would otherwise refuse the ORM calls the tests make between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (./bin/test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, live_server: object) -> Iterator[object]:
    """A fresh browser context (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def new_page(browser: object, live_server: object) -> Iterator[object]:
    """Open more independent sessions (an applicant and two clerks) in one test."""
    contexts = []

    def _open() -> object:
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def login(page: object, identifier: str, password: str) -> None:
    page.goto("/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", identifier)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("main form button[type=submit]")  # type: ignore[attr-defined]


def press_step(page: object, form: object) -> None:
    """Press a step's button on a case page; a step that moves money or cannot be undone opens
    its dialog first (what will happen, in figures), whose confirming button sends the form."""
    dialog_id = form.get_attribute("data-confirm-dialog")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        form.locator("button[name=action]").click()  # type: ignore[attr-defined]
        if dialog_id:
            dialog = page.locator(f"#{dialog_id}")  # type: ignore[attr-defined]
            dialog.locator("button[name=confirmed]").click()
