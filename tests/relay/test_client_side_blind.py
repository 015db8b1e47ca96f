"""No client-side route reads what the partner side records: not the outcomes of relayed
events, not her answers or her own consent. Checked on the statements the database is sent,
so it holds for what is loaded, not only for what a page shows."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import event, select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.relay_inbox import record_outcome
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.models import RelayEvent
from tests.cases_built import first_steps_taken
from tests.helpers import log_in, sample_url, submit
from tests.partners.conftest import HandedOver

# Tables (and the one column) holding what the partner side learns or decides.
PARTNER_SIDE_ONLY = re.compile(
    r"\b(relay_outcome|partner_answer|partner_consent|partner_case\.answer)\b"
)


def test_no_client_side_route_reads_outcomes_or_her_answers(
    app: Flask, handed_over: HandedOver, clock
) -> None:
    today = clock.now().date()
    partner_treater = handed_over.partner_treater.user
    case = handed_over.case
    pick_up(partner_treater, case.id)
    first_steps_taken(partner_treater, case.id, clock)
    record_answer(
        partner_treater, case.id, answer="accepted", answered_on=today, scopes=["contact_phone"]
    )
    db.session.commit()

    episode = db.session.get(TreatmentEpisode, case.episode_id)
    client_id = episode.client_id
    consent_id = db.session.scalar(select(Consent.id).where(Consent.episode_id == episode.id))
    browser = app.test_client()
    log_in(browser, handed_over.client_treater, clock)
    page = f"/client/{client_id}"

    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert (
            submit(browser, f"{page}/episode/start", {"started_on": today.isoformat()}).status_code
            == 302
        )
        assert (
            submit(
                browser,
                f"{page}/sessions/new",
                {"held_on": today.isoformat(), "attendance": "missed"},
            ).status_code
            == 302
        )
        # The partner side acts on the event between the client treater's requests.
        event.remove(db.engine, "before_cursor_execute", capture)
        event_id = db.session.scalar(select(RelayEvent.id))
        record_outcome(
            partner_treater, case.id, event_id, outcome="informed_phone", outcome_on=today
        )
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", capture)
        crawled = 0
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("client_side.") and "GET" in rule.methods:
                url = sample_url(rule, {"client_id": client_id, "consent_id": consent_id})
                crawled += browser.get(url).status_code == 200
        assert (
            submit(
                browser,
                f"{page}/episode/end",
                {"ended_on": today.isoformat(), "outcome": "dropped_out"},
            ).status_code
            == 302
        )
    finally:
        if event.contains(db.engine, "before_cursor_execute", capture):
            event.remove(db.engine, "before_cursor_execute", capture)

    assert crawled >= 5 and len(statements) > 50
    leaking = [statement for statement in statements if PARTNER_SIDE_ONLY.search(statement)]
    assert leaking == []
