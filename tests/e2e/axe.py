"""axe-core, the accessibility checker, run inside the page a browser walk visits.

It comes from the npm registry as its published package, pinned by version and checked
against the registry's integrity hash, and is kept under ``test-output/vendor/`` so that later
runs read the local file. Node is not needed: the package is a tar file with one script in it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import urllib.request
from collections.abc import Callable
from functools import cache, wraps
from typing import ParamSpec, TypedDict, TypeVar
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from partnercontact.config import PROJECT_ROOT

AXE_VERSION = "4.14.1"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
# The registry's "dist.integrity" of that version.
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCK"
    "g2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

P = ParamSpec("P")
R = TypeVar("R")


class Violation(TypedDict):
    rule: str
    impact: str
    nodes: list[str]


VENDORED = PROJECT_ROOT / "test-output" / "vendor" / f"axe-core-{AXE_VERSION}.min.js"


def _download() -> bytes:
    with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:  # noqa: S310  (a fixed https address)
        package = response.read()
    digest = base64.b64encode(hashlib.sha512(package).digest()).decode()
    if f"sha512-{digest}" != AXE_INTEGRITY:
        raise RuntimeError(f"axe-core {AXE_VERSION} from the registry does not match its hash")
    with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as tar:
        script = tar.extractfile("package/axe.min.js")
        assert script is not None
        return script.read()


@cache
def axe_source() -> str:
    if not VENDORED.exists():
        VENDORED.parent.mkdir(parents=True, exist_ok=True)
        VENDORED.write_bytes(_download())
    return VENDORED.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[Violation]:
    """Every violation axe-core finds on the page as it stands, of any impact: the rule, its
    impact and the first few elements at fault.

    The checker goes in through the browser's debugging channel, which the pages' content
    security policy does not govern, so the pages are checked as they are served."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(f"() => {{ {axe_source()}\n }}")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                rule: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )


# A document is checked once: the check marks its root, and a page whose root is unmarked
# has a document (a navigation, a form shown again with its errors) not yet checked.
MARK = "data-axe-checked"
UNCHECKED = f"html:not([{MARK}])"
OURS = re.compile(r"^http://127\.0\.0\.1:\d+/")
# What a document looked like when checked, and what was found, across the session: the same
# address with the same length of HTML in a window as wide is the same page, and is not
# checked again.
_checked: dict[tuple[str, int, int], list[Violation]] = {}


class AxeWatch:
    """Checks each document of ours that a watched page shows, once, at the first of: the
    walk acting on it or asserting on it (Playwright runs a locator handler at those
    moments), the walk leaving it by address (``goto``, ``reload``, back or forward), and the
    end of the walk. Collects what is found, by page."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.problems: dict[str, list[str]] = {}

    def watch(self, page: Page) -> Page:
        self.pages.append(page)
        page.add_locator_handler(
            page.locator(UNCHECKED), lambda: self.check(page), no_wait_after=True
        )
        for name in ("goto", "reload", "go_back", "go_forward"):
            setattr(page, name, self._checking_first(page, getattr(page, name)))
        return page

    def _checking_first(self, page: Page, leave: Callable[P, R]) -> Callable[P, R]:
        @wraps(leave)
        def checked_then_left(*args: P.args, **kwargs: P.kwargs) -> R:
            self.check(page)
            return leave(*args, **kwargs)

        return checked_then_left

    def check(self, page: Page) -> None:
        """Checks the document ``page`` shows, once it has loaded, unless it was checked
        already."""
        if page.is_closed():
            return
        try:
            page.wait_for_load_state("load")
            seen = page.evaluate(
                """mark => {
                    const root = document.documentElement;
                    if (root.hasAttribute(mark)) return null;
                    const length = root.outerHTML.length;
                    root.setAttribute(mark, "");
                    return [location.href, length, document.contentType, innerWidth];
                }""",
                MARK,
            )
            if seen is None:
                return
            url, length, kind, width = seen
            if kind != "text/html" or not OURS.match(url):
                return
            where = urlsplit(url)
            path = where.path + (f"?{where.query}" if where.query else "")
            if (path, length, width) not in _checked:
                _checked[path, length, width] = axe_violations(page)
        except PlaywrightError:
            # The page went on to another document meanwhile; that one is checked in turn.
            return
        for found in _checked[path, length, width]:
            line = f"{found['rule']} ({found['impact']}): {', '.join(found['nodes'])}"
            if line not in self.problems.setdefault(path, []):
                self.problems[path].append(line)

    def finish(self) -> list[str]:
        """Checks the document each page ends on; every violation found, one line each."""
        for page in self.pages:
            self.check(page)
        return [f"{path}: {line}" for path, lines in self.problems.items() for line in lines]
