"""Several people, or several tabs, submitting the same change at the same moment: one change
happens, one event crosses, everyone else is told to reload, and nothing fails."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.relay.models import RelayEvent
from tests.cases_built import client_of, consent_of
from tests.factories import Factory
from tests.helpers import log_in, posted_at_once

SCOPES = ["contact_letter", "tell_in_treatment", "tell_when_ended"]


def test_a_burst_of_status_updates_makes_one_change_and_one_event_each(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    consent_of(treater.user, client_id, clock, scopes=SCOPES)
    browsers = []
    for _ in range(6):
        browser = app.test_client()
        log_in(browser, treater, clock)
        browsers.append(browser)
        clock.advance(seconds=31)  # a fresh one-time code for the next login
    today = clock.now().date().isoformat()

    started = posted_at_once(
        browsers, f"/client/{client_id}/episode/start", [{"started_on": today}] * 6
    )
    ended = posted_at_once(
        browsers,
        f"/client/{client_id}/episode/end",
        [{"ended_on": today, "outcome": outcome} for outcome in ["dropped_out", "completed"] * 3],
    )

    # One tab wins each time; the others are refused with a message, never a server error.
    assert started == Counter({302: 1, 409: 5})
    assert ended == Counter({302: 1, 409: 5})
    db.session.rollback()
    episode = db.session.scalar(
        select(TreatmentEpisode).where(TreatmentEpisode.client_id == client_id)
    )
    assert episode.status in ("dropped_out", "completed")
    kinds = Counter(db.session.scalars(select(RelayEvent.kind)))
    ending = "dropped_out" if episode.status == "dropped_out" else "treatment_completed"
    assert kinds == Counter({"treatment_started": 1, ending: 1})


def _tabs(app: Flask, account, clock, count: int = 6) -> list:
    browsers = []
    for _ in range(count):
        browser = app.test_client()
        log_in(browser, account, clock)
        browsers.append(browser)
        clock.advance(seconds=31)  # a fresh one-time code for the next login
    return browsers


def test_a_burst_of_risk_signals_and_talk_requests_makes_one_of_each(
    app: Flask, factory: Factory, clock
) -> None:
    from partnercontact.partner_side.scheduling.kinds import RELAY_DEADLINE
    from partnercontact.partner_side.service import pick_up
    from partnercontact.relay.models import Consultation
    from partnercontact.tasks.models import ScheduledTask
    from tests.partners.conftest import handed_over_case

    client_treater, partner_treater = factory.client_treater(), factory.partner_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater)
    pick_up(partner_treater.user, case.id)
    db.session.commit()
    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == case.episode_id)
    )
    db.session.rollback()
    his = _tabs(app, client_treater, clock)
    hers = _tabs(app, partner_treater, clock)

    signals = posted_at_once(
        his,
        f"/client/{client_id}/risk-signal",
        [{"reason": "weapons", "urgency": "urgent"}] * 6,
    )
    asked_by_him = posted_at_once(
        his, f"/client/{client_id}/consultations/new", [{"reason": "risk"}] * 6
    )
    asked_by_her_treater = posted_at_once(
        hers, f"/partner/cases/{case.id}/consultations/new", [{"reason": "ending"}] * 6
    )

    assert signals == asked_by_him == asked_by_her_treater == Counter({302: 1, 409: 5})
    db.session.rollback()
    assert Counter(db.session.scalars(select(RelayEvent.kind))) == Counter({"risk_signal": 1})
    deadlines = db.session.scalars(
        select(ScheduledTask.id).where(ScheduledTask.kind == RELAY_DEADLINE)
    ).all()
    assert len(deadlines) == 1
    assert sorted(db.session.scalars(select(Consultation.asked_from))) == ["client", "partner"]


def test_a_burst_of_high_assessments_records_each_and_signals_once(
    app: Flask, factory: Factory, clock
) -> None:
    from partnercontact.client_side.cases.models import ClientRiskAssessment
    from tests.partners.conftest import handed_over_case
    from tests.ratings import rated_form

    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater)
    db.session.commit()
    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == case.episode_id)
    )
    db.session.rollback()
    form = {
        **rated_form("sara", "present"),
        "assessed_on": clock.now().date().isoformat(),
        "level": "high",
    }

    statuses = posted_at_once(
        _tabs(app, client_treater, clock),
        f"/client/{client_id}/risk-assessments/new?instrument=sara",
        [form] * 6,
    )

    # Each tab's assessment is its own record (SQLite, with one writer, may turn some away
    # with "try again"); the partner side gets one signal, from the first.
    assert set(statuses) <= {302, 409} and statuses[302] >= 1
    db.session.rollback()
    signals = db.session.scalars(select(RelayEvent.id).where(RelayEvent.kind == "risk_signal"))
    (signal_id,) = signals.all()
    linked = db.session.scalars(select(ClientRiskAssessment.risk_signal_id)).all()
    assert len(linked) == statuses[302]
    assert [link for link in linked if link is not None] == [signal_id]
