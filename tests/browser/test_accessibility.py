"""Every page each role reaches, in both languages, passes axe-core (WCAG 2.1 A and AA rules)
with no violation of impact serious or critical; a screenshot of each is taken. The pages are
found by following the links a person of that role sees (header and main), starting at their
home page, on the demo data, so a new page is checked as soon as it is linked.

Screenshots go to $PORTAL_SCREENSHOTS when set (to look at them), else to the test's tmp dir."""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES_PER_ROLE = 45
# Links that are not pages to look at: files, the sign-out, other sites.
NOT_PAGES = re.compile(r"/(download|pdf|export|file|logout)\b|\.(pdf|csv|xlsx|png|jpg)$")


@pytest.fixture
def demo(transactional_db):
    call_command("load_regions", verbosity=0)
    call_command("load_calendar", verbosity=0)
    call_command("load_demo", persons_per_agency=8, stdout=open(os.devnull, "w"))  # noqa: SIM115


def _route(path: str) -> str | None:
    """The page a path shows (its URL name), one visit per page and language."""
    bare = re.sub(r"^/en(/|$)", "/", path)
    try:
        match = resolve(bare)
    except Resolver404:
        return None
    return match.view_name


def _links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in hrefs if h and h.startswith("/") and not NOT_PAGES.search(h)]


def _axe(page) -> list[dict]:
    page.evaluate(AXE)  # evaluated by the browser's debugger: the page's CSP does not apply
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _crawl(
    page, start: str, shots: Path, tag: str, *, narrow: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Visit the pages reachable from `start`; returns {route: path} and the violations. On a
    `narrow` screen (large text at 200 %) a page wider than the screen is a violation too."""
    seen: dict[str, str] = {}
    problems: list[str] = []
    queue = deque([start])
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        route = _route(urlsplit(path).path)
        if route is None or route in seen or route.startswith("admin:"):
            continue
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen[route] = path
        if response.status >= 400:  # a link shown to this role must lead somewhere
            problems.append(f"{tag} {path}: the link answers {response.status}")
            continue
        if narrow:
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            if overflow > 0:
                problems.append(f"{tag} {path}: {overflow}px wider than the screen")
        for violation in [] if narrow else _axe(page):  # the same colours and names
            nodes = "; ".join(n["target"][0] for n in violation["nodes"][:3])
            problems.append(f"{tag} {path}: {violation['id']} ({violation['impact']}) {nodes}")
        page.screenshot(path=str(shots / f"{tag}-{route.replace(':', '-')}.png"), full_page=True)
        queue.extend(_links(page))
    return seen, problems


def _shots(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("PORTAL_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def _english(page) -> None:
    """The reader's own switch, in the header of every page."""
    with page.expect_navigation():
        page.click("header button[name=language][value=en]")


def _sign_in(page, who: str) -> None:
    login(page, who, DEMO_PASSWORD)
    page.wait_for_load_state()


def _staff(role: str) -> str:
    return User.objects.get(username=f"dongguan_{role}").username


def _applicant() -> str:
    person = User.objects.filter(person__isnull=False, applied_cases__isnull=False).first()
    person = person or User.objects.filter(person__isnull=False).first()
    assert person is not None
    assert person.person is not None
    return person.person.id_number


@pytest.mark.parametrize("role", ["applicant", "clerk", "reviewer", "supervisor", "auditor"])
def test_every_page_a_role_reaches_passes_axe_in_both_languages(demo, new_page, tmp_path, role):
    shots = _shots(tmp_path)
    who = _applicant() if role == "applicant" else _staff(role)
    problems: list[str] = []
    visited = 0
    for language in ("zh", "en", "zh-large"):
        page = new_page()
        narrow = language == "zh-large"
        # Large text on a 1280 px screen zoomed to 200 %: 640 CSS pixels wide.
        page.set_viewport_size({"width": 640 if narrow else 1280, "height": 900})
        _sign_in(page, who)
        if language == "en":
            _english(page)
        if narrow:
            with page.expect_navigation():
                page.click("header button[name=size]")
        seen, found = _crawl(page, page.url, shots, f"{role}-{language}", narrow=narrow)
        visited += len(seen)
        problems += found
    assert visited >= 4, f"the crawl found almost nothing for {role}"
    assert problems == [], "\n".join(problems)


def test_the_pages_before_sign_in_pass_axe(page, demo, tmp_path):
    shots = _shots(tmp_path)
    problems: list[str] = []
    for path in ("/login/", "/signup/", "/transfers/verify/", "/no-such-page/"):
        page.goto(path)
        page.screenshot(path=str(shots / f"anonymous-{path.strip('/')}.png"), full_page=True)
        problems += [f"{path}: {v['id']} ({v['impact']})" for v in _axe(page)]
    assert problems == [], "\n".join(problems)


def test_the_keyboard_reaches_everything_and_focus_is_always_visible(demo, new_page):
    page = new_page()
    _sign_in(page, _staff("clerk"))
    page.goto("/queue/")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.className")
    assert "skip-link" in first, "the first Tab stop is the skip link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    stops = page.evaluate(
        "() => [...document.querySelectorAll("
        "'a[href], button, input:not([type=hidden]), select, textarea')]"
        ".filter(e => !e.disabled && e.offsetParent !== null && !e.closest('.modal')).length"
    )
    page.goto("/queue/")
    unseen = []
    for _ in range(stops + 1):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.outerHTML.slice(0, 80), s.outlineStyle,
                    parseFloat(s.outlineWidth)]; }"""
        )
        if outline[1] == "none" or outline[2] < 2:
            unseen.append(outline[0])
    assert unseen == [], "focus not visible on: " + "; ".join(unseen)


@pytest.mark.parametrize("path", ["/login/", "/signup/", "/transfers/verify/"])
def test_large_text_at_200_percent_keeps_the_page_within_the_screen(page, demo, path):
    page.set_viewport_size({"width": 640, "height": 900})  # a 1280 px screen at 200 %
    page.goto(path)
    with page.expect_navigation():
        page.click("header button[name=size]")
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    page.goto(path)  # remembered on the next page
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
    assert _axe(page) == []
