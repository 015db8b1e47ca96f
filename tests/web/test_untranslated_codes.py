"""No page shows people a code where a label belongs: every page each role reaches in the
canary crawl is read as a person reads it (text, labels, titles), and none of it may hold a
code of a known vocabulary (an audit action like ``consent.recorded``, a rule like
``case_end``, a task kind, a reason, a state), nor a stored moment written as a machine
writes it (``2026-01-15T23:30:00+00:00``) instead of on the clinic's clocks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from partnercontact.policy import Role
from tests.factories import Factory
from tests.vocabulary import codes_in, known_codes
from tests.web.canary import CanaryWorld, build_canary_world, reachable

# A moment in ISO 8601, as ``datetime.isoformat()`` writes it: UTC shown as if it were the time.
ISO_MOMENT = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d")
# Attributes a person reads (or hears read out).
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # what a page says does not depend on the database


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


class _ReadText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        self.parts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def read_text(page: bytes) -> str:
    parser = _ReadText()
    parser.feed(page.decode("utf-8", "replace"))
    return " ".join(parser.parts)


def test_the_vocabulary_is_found() -> None:
    codes = known_codes()
    # One of each kind the pages once showed raw, so the search itself is known to work.
    assert {"consent.recorded", "case_end", "treatment_started", "partner_treater"} <= codes


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_no_page_shows_a_code_where_a_label_belongs(
    app: Flask, world: CanaryWorld, clock, role: Role
) -> None:
    shown = []
    for url, body in reachable(app, world, role, clock).items():
        if url.startswith("/api/") or not body.lstrip().startswith(b"<!doctype html"):
            continue  # files, exports and the API (and its documentation of the codes)
        text = read_text(body)
        shown += [f"{code} on {url}" for code in codes_in(text)]
        shown += [f"{moment} on {url}" for moment in ISO_MOMENT.findall(text)]
    assert sorted(set(shown)) == []
