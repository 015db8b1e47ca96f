"""Every form that the browser could check by itself leaves the checking to the service: a
browser's own message comes in the browser's language ("Please fill out this field") and
names nothing the service's message would, so each such form on every page of the canary
crawl carries ``novalidate`` and the service's message is what a person reads."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from partnercontact.policy import Role
from tests.factories import Factory
from tests.web.canary import CanaryWorld, build_canary_world, reachable

# What makes a browser refuse a form by itself, with its own words.
CHECKED_ATTRIBUTES = ("required", "pattern", "min", "max", "minlength")
CHECKED_TYPES = ("email", "url", "number")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # what a page's forms say does not depend on the database


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


class _Forms(HTMLParser):
    """The forms of a page that the browser would check, by their action, and whether each
    leaves the checking to the service."""

    def __init__(self) -> None:
        super().__init__()
        self.checked_by_browser: list[str] = []
        self._form: tuple[str, bool] | None = None
        self._reported = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._form = (attributes.get("action") or "(this page)", "novalidate" in attributes)
            self._reported = False
            return
        if self._form is None or tag not in ("input", "select", "textarea"):
            return
        action, novalidate = self._form
        checked = any(name in attributes for name in CHECKED_ATTRIBUTES) or (
            tag == "input" and attributes.get("type") in CHECKED_TYPES
        )
        if checked and not novalidate and not self._reported:
            self.checked_by_browser.append(action)
            self._reported = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_no_form_leaves_its_checking_to_the_browser(
    app: Flask, world: CanaryWorld, clock, role: Role
) -> None:
    found = []
    for url, body in reachable(app, world, role, clock).items():
        if url.startswith("/api/") or not body.lstrip().startswith(b"<!doctype html"):
            continue
        forms = _Forms()
        forms.feed(body.decode())
        found += [f"the form to {action} on {url}" for action in forms.checked_by_browser]
    assert sorted(set(found)) == []


def test_a_form_the_browser_would_check_is_found() -> None:
    forms = _Forms()
    forms.feed(
        '<form action="/a"><input name="x" required></form><form action="/b" novalidate>'
        '<input type="email" name="y"></form>'
    )
    assert forms.checked_by_browser == ["/a"]
