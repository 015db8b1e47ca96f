"""The case page in parts: tabs that are plain links, each part showing its own sections and
reading only what they show, a link or a save that lands on the part with its place, and a
clear refusal of a part that does not exist."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.web.canary import SeededCase, seed_case

# What a treater finds under each tab, in the page's order.
SECTIONS_BY_VIEW = {
    "now": ["glance", "safety-steps", "relay", "consultations", "urgent"],
    "her": ["her-own", "details", "investigations"],
    "contact": ["safe_contact", "suitability", "answer", "attempts", "threat", "sends"],
    "texts": ["messages", "letters"],
    "channel": ["portal"],
    "sessions": ["sessions"],
    "safety": ["risk", "escalations", "children", "safety_plans", "concerns"],
}
TABS_SV = [
    "Aktuellt",
    "Om henne",
    "Kontakt",
    "Sms och brev",
    "Hennes egen kanal",
    "Kontakttillfällen",
    "Risk och säkerhet",
]
_SECTION = re.compile(r'<section class="case-section" id="([^"]+)">')


@pytest.fixture
def seeded(factory: Factory, clock) -> tuple[SeededCase, object]:
    holder = factory.partner_treater()
    case = seed_case(
        factory,
        clock,
        tag="Delar",
        number=3,
        client_treater=factory.client_treater(),
        partner_treater=holder,
    )
    return case, holder


@pytest.fixture
def holder_client(app: Flask, seeded, clock) -> FlaskClient:
    client = app.test_client()
    log_in(client, seeded[1], clock)
    return client


def _url(case: SeededCase, view: str | None = None) -> str:
    return f"/partner/cases/{case.case_id}" + (f"?view={view}" if view else "")


def test_each_tab_shows_its_own_sections_and_every_section_has_a_tab(
    holder_client: FlaskClient, seeded
) -> None:
    case, _ = seeded
    shown: dict[str, list[str]] = {}
    for view in SECTIONS_BY_VIEW:
        response = holder_client.get(_url(case, view))
        assert response.status_code == 200
        shown[view] = _SECTION.findall(text_of(response))
    assert shown == SECTIONS_BY_VIEW
    # The case page opens on its first part.
    assert _SECTION.findall(text_of(holder_client.get(_url(case)))) == SECTIONS_BY_VIEW["now"]


def test_the_tabs_are_links_with_the_current_one_marked(holder_client: FlaskClient, seeded) -> None:
    case, _ = seeded
    page = text_of(holder_client.get(_url(case, "texts")))
    nav = page.split('<nav class="case-views"')[1].split("</nav>")[0]
    assert re.findall(r">([^<>]+)</a>", nav) == TABS_SV
    links = re.findall(r'href="([^"]+)"', nav)
    assert links == [_url(case)] + [_url(case, view) for view in list(SECTIONS_BY_VIEW)[1:]]
    assert re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', nav) == ["Sms och brev"]
    assert "<title>Partnerärende" in page and ": Sms och brev" in page.split("</title>")[0]


def _actions_of_a_look(client: FlaskClient, url: str) -> set[str]:
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert client.get(url).status_code == 200
    db.session.expire_all()
    return set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > before)))


def test_a_tab_reads_only_what_it_shows(holder_client: FlaskClient, seeded) -> None:
    """The access log records the reads a look at a tab made: those of its own sections."""
    case, _ = seeded
    looks = {view: _actions_of_a_look(holder_client, _url(case, view)) for view in SECTIONS_BY_VIEW}
    # Each of these reads is made by the one tab that shows what it read.
    for action, view in {
        "relay.events_viewed": "now",
        "partner.details_viewed": "her",
        "partner.portal_tasks_viewed": "channel",
        "message.messages_viewed": "texts",
        "schedule.sessions_viewed": "sessions",
    }.items():
        assert {key for key, actions in looks.items() if action in actions} == {view}, action


def test_a_part_that_does_not_exist_is_refused_naming_the_field(
    holder_client: FlaskClient, seeded
) -> None:
    case, _ = seeded
    response = holder_client.get(_url(case, "everything"))
    assert response.status_code == 400
    page = text_of(response)
    assert "Ärendesidan har ingen sådan del." in page and "<code>view</code>" in page


def test_a_save_returns_to_the_tab_that_shows_the_record(
    holder_client: FlaskClient, seeded
) -> None:
    case, _ = seeded
    form = f"/partner/cases/{case.case_id}/children/new"
    response = submit(holder_client, form, {"label": "Kim", "age": "5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{_url(case, 'safety')}#children")
    assert "Kim" in text_of(holder_client.get(response.headers["Location"]))


def test_a_case_nobody_holds_shows_no_tabs(app: Flask, factory: Factory, clock) -> None:
    waiting = seed_case(
        factory,
        clock,
        tag="Vantar",
        number=4,
        client_treater=factory.client_treater(),
        partner_treater=None,
    )
    client = app.test_client()
    log_in(client, factory.partner_treater(), clock)
    page = text_of(client.get(_url(waiting, "contact")))
    assert 'class="case-views"' not in page and not _SECTION.findall(page)


def test_no_two_sections_of_the_case_page_share_a_heading(
    holder_client: FlaskClient, seeded
) -> None:
    """A heading names one part of the case: two sections once were both "Hennes svar"."""
    case, _ = seeded
    headings: list[str] = []
    for view in SECTIONS_BY_VIEW:
        page = text_of(holder_client.get(_url(case, view)))
        headings += [
            re.sub(r"<[^>]+>|\s+", " ", heading).strip()
            for heading in re.findall(r"<h2[^>]*>(.*?)</h2>", page, flags=re.S)
        ]
    assert len(headings) >= len([s for sections in SECTIONS_BY_VIEW.values() for s in sections])
    assert sorted(h for h in set(headings) if headings.count(h) > 1) == []
