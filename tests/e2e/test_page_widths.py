"""Every page each role reaches works on a phone and on a desktop: at 390 and 1280 pixels wide
no page scrolls sideways, every menu item is on screen, and axe-core finds no accessibility
violation of any impact. A screenshot of each page visited goes to
``test-output/screenshots/widths/``."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.axe import AxeWatch
from tests.e2e.conftest import SCREENSHOTS, Served
from tests.e2e.walks import hand_over_a_case, log_in_as, take_the_safety_steps, words

pytestmark = pytest.mark.e2e

WIDTHS = (390, 1280)
ROLES = ("client_treater", "partner_treater", "manager", "admin")
# Enough to reach every kind of page a role has from its menus, within the suite's time.
MAX_PAGES = 30
# Links that change something or leave the pages (files, exports, the feed).
NOT_PAGES = re.compile(
    r"/(logout|static|api)/|\.(pdf|csv|xlsx|ics|png|jpg)$|/export|/download|/feed|/file$|/pdf$|/print"
)


def _links(page: Page, base: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all(
        "main a[href], header a[href]", "as => as.map(a => a.getAttribute('href'))"
    ):
        link = urljoin(page.url, href)
        parts = urlsplit(link)
        if link.startswith(base) and not NOT_PAGES.search(parts.path):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _kind(path: str) -> str:
    """The kind of page an address is: one week of the calendar is like another, one user's
    page like the next."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{8}\b|\d+", "#", path)


def _overflow(page: Page) -> int:
    """How far the page reaches past the window's right edge, in pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _menu_off_screen(page: Page, width: int) -> list[str]:
    return page.eval_on_selector_all(
        "header nav a, header .header-tools a, header .header-tools button",
        """(items, width) => items.filter(item => {
            const box = item.getBoundingClientRect();
            return box.width === 0 || box.left < 0 || box.right > width;
        }).map(item => item.textContent.trim())""",
        width,
    )


@pytest.fixture(scope="module")
def a_case_worked(browser: Browser, served: Served) -> None:
    """A case handed over, picked up and past its safety steps, so that the partner
    treater's walk reaches every part of a case page and the client treater's a client."""
    context = browser.new_context(locale="sv-SE")
    watch = AxeWatch()
    page = watch.watch(context.new_page())
    t = words("sv")
    partner = "Lova Påhittad bredd"
    hand_over_a_case(page, served, "sv", partner)
    log_in_as(page, served, "partner_treater", "sv")
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    take_the_safety_steps(page, "sv")
    problems = watch.finish()
    context.close()
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_and_the_menu_is_on_screen(
    new_page: Callable[..., Page],
    axe_watch: AxeWatch,
    served: Served,
    a_case_worked: None,
    role: str,
    width: int,
) -> None:
    page = new_page(viewport={"width": width, "height": 844})
    log_in_as(page, served, role, "sv")
    folder = SCREENSHOTS / "widths"
    folder.mkdir(parents=True, exist_ok=True)
    queue, seen, problems = [urlsplit(page.url).path], set(), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if _kind(path) in seen:
            continue
        seen.add(_kind(path))
        response = page.goto(served.url + path)
        if (
            response is None
            or response.status != 200
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        page.screenshot(path=str(folder / f"{role}-{width}-{name[:80]}.png"))
        if (overflow := _overflow(page)) > 0:
            problems.append(f"{path} scrolls {overflow} px sideways")
        if off := _menu_off_screen(page, width):
            problems.append(f"{path}: menu items off screen: {off}")
        axe_watch.check(page)
        queue += [link for link in _links(page, served.url) if _kind(link) not in seen]
    assert len(seen) > 3  # the walk went somewhere
    assert problems == []
