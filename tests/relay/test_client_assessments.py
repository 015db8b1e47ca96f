"""The client's treater assesses the risk he poses, item by item; a high result signals the
partner side by itself. And the concern reports the client's treater makes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from partnercontact.assessments.instruments import RatingsInvalid
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.concern_reports import record_client_concern_report
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import (
    ClientConcernReport,
    ClientRiskAssessment,
)
from partnercontact.client_side.cases.risk_assessments import record_client_assessment
from partnercontact.client_side.cases.risk_signals import raise_risk_signal
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side.relay_inbox import relayed_events
from partnercontact.relay.models import RelayEvent
from tests.cases_built import client_of
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.partners.conftest import HandedOver
from tests.ratings import rated, rated_form
from tests.relay.conftest import client_id_of

NOTES = "Sade att han vet var hon bor nu och att han har kvar jaktgeväret"
SARA_NEW = "risk-assessments/new?instrument=sara"


def _signals() -> list[RelayEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(RelayEvent).where(RelayEvent.kind == "risk_signal")))


def _assessments() -> list[ClientRiskAssessment]:
    db.session.rollback()
    return list(db.session.scalars(select(ClientRiskAssessment)))


def _sara(level: str, **changes: str) -> dict[str, str]:
    return {
        **rated_form("sara", "absent"),
        "item_weapons_or_death_threats": "present",
        "item_separation": "present",
        "assessed_on": "2026-01-15",  # the fixed clock's today
        "level": level,
        "next_review_on": "",
        "notes": NOTES,
        **changes,
    }


def test_a_high_sara_signals_the_partner_side_whatever_the_consent_says(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    chooser = text_of(client.get(f"/client/{client_id}/risk-assessments/new"))
    assert 'value="sara"' in chooser and 'value="freda_danger"' not in chooser  # his, not hers

    response = submit(client, f"/client/{client_id}/{SARA_NEW}", _sara("high"))

    assert response.status_code == 302
    assert "brådskande risksignal" in text_of(client.get(response.headers["Location"]))
    (assessment,) = _assessments()
    (signal,) = _signals()
    assert assessment.risk_signal_id == signal.id
    assert (signal.reason, signal.urgency) == ("high_assessment", "urgent")
    # The partner side sees that a high assessment was made, never its ratings or notes.
    seen = relayed_events(held.partner_treater.user, held.case)
    assert [(event.kind, event.reason) for event in seen] == [("risk_signal", "high_assessment")]
    db.session.commit()
    log_in(partner := app.test_client(), held.partner_treater, clock)
    case_page = text_of(partner.get(f"/partner/cases/{held.case.id}"))
    assert "En riskbedömning av klienten visade hög risk" in case_page
    assert NOTES not in case_page and "jaktgeväret" not in case_page


def test_the_ratings_and_notes_are_sealed_and_the_log_holds_no_content(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    submit(client, f"/client/{client_id}/{SARA_NEW}", _sara("moderate"))
    (assessment,) = _assessments()
    assert _signals() == []  # only a high result signals
    raw = db.session.execute(text("SELECT ratings_ct, notes_ct FROM client_risk_assessment")).one()
    assert b"weapons_or_death_threats" not in bytes(raw[0]) and b"jakt" not in bytes(raw[1])
    assert assessment.instrument_version == 1
    assert '"weapons_or_death_threats":"present"' in assessment.ratings

    page = text_of(client.get(f"/client/{client_id}/risk-assessments/{assessment.id}"))
    assert "Vapen använt eller trovärdiga dödshot" in page and NOTES in page
    db.session.rollback()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(assessment.id))
    ).all()
    assert sorted(actions) == [
        AuditAction.CLIENT_RISK_ASSESSMENT_RECORDED.value,
        AuditAction.CLIENT_RISK_ASSESSMENT_VIEWED.value,
    ]
    logged = " ".join(str(row) for row in db.session.execute(select(AuditEvent)).all())
    assert "jakt" not in logged and "present" not in logged


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"item_escalation": ""}, "item_escalation"),
        ({"item_denial": "somewhat"}, "item_denial"),
        ({"level": ""}, "level"),
        ({"assessed_on": "2026-01-16"}, "assessed_on"),
    ],
)
def test_every_item_is_checked_and_a_bad_one_is_named(
    app, held: HandedOver, clock, client: FlaskClient, changes: dict, field: str
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    response = submit(client, f"/client/{client_id}/{SARA_NEW}", {**_sara("high"), **changes})
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert NOTES in page  # what was typed is kept
    assert _assessments() == [] and _signals() == []


def test_the_service_names_the_item_and_refuses_items_of_no_instrument(
    held: HandedOver, clock
) -> None:
    client_id = client_id_of(held.case)
    values = {
        "instrument": "sam",
        "assessed_on": clock.now().date(),
        "level": "low",
        "next_review_on": None,
        "notes": None,
    }
    ratings = rated("sam")
    del ratings["obsessed"]
    with pytest.raises(RatingsInvalid) as missing:
        record_client_assessment(held.client_treater.user, client_id, ratings=ratings, **values)
    assert missing.value.field == "item_obsessed" and "12" in str(missing.value.message)
    db.session.rollback()
    with pytest.raises(RatingsInvalid) as stranger:
        record_client_assessment(
            held.client_treater.user,
            client_id,
            ratings={**rated("sam"), "tarot": "present"},
            **values,
        )
    assert stranger.value.field == "ratings"
    db.session.rollback()
    with pytest.raises(ClientInvalid) as hers:
        record_client_assessment(
            held.client_treater.user,
            client_id,
            ratings=rated("freda_danger"),
            **{**values, "instrument": "freda_danger"},
        )
    assert hers.value.field == "instrument"
    assert _assessments() == []


def test_only_the_clients_own_treater_assesses_or_reads(
    app, factory: Factory, held: HandedOver, clock, client: FlaskClient
) -> None:
    client_id = client_id_of(held.case)
    assessment = record_client_assessment(
        held.client_treater.user,
        client_id,
        instrument="clinical",
        assessed_on=clock.now().date(),
        ratings=rated("clinical"),
        level="low",
        next_review_on=None,
        notes=NOTES,
    ).assessment
    db.session.commit()
    other = factory.client_treater()
    with pytest.raises(NotFound):
        record_client_assessment(
            other.user,
            client_id,
            instrument="clinical",
            assessed_on=clock.now().date(),
            ratings=rated("clinical"),
            level="high",
            next_review_on=None,
            notes=None,
        )
    db.session.rollback()
    log_in(client, other, clock)
    assert client.get(f"/client/{client_id}/{SARA_NEW}").status_code == 404
    response = client.get(f"/client/{client_id}/risk-assessments/{assessment.id}")
    assert response.status_code == 404 and NOTES not in text_of(response)
    response = submit(client, "/client/", _sara("high"), action=f"/client/{client_id}/{SARA_NEW}")
    assert response.status_code == 404
    assert len(_assessments()) == 1 and _signals() == []


def test_a_high_result_sends_no_second_signal_the_same_day_and_none_without_partner_contact(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    treater = held.client_treater.user
    client_id = client_id_of(held.case)
    raise_risk_signal(treater, client_id, reason="threats", urgency="soon")
    db.session.commit()
    log_in(client, held.client_treater, clock)
    response = submit(client, f"/client/{client_id}/{SARA_NEW}", _sara("high"))
    assert response.status_code == 302
    assert "Ingen risksignal skickades" in text_of(client.get(response.headers["Location"]))
    assert [signal.reason for signal in _signals()] == ["threats"]

    alone = client_of(treater, name="Olle Påhittad")
    response = submit(client, f"/client/{alone}/{SARA_NEW}", _sara("high"))
    assert response.status_code == 302
    assert "Ingen partnerkontakt" in text_of(client.get(response.headers["Location"]))
    assert len(_assessments()) == 2 and len(_signals()) == 1


def test_the_review_date_reminds_the_treater_on_the_client_page(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    review_on = clock.now().date() + timedelta(days=14)
    submit(
        client,
        f"/client/{client_id}/{SARA_NEW}",
        _sara("low", next_review_on=review_on.isoformat()),
    )
    assert 'id="risk-review-due"' not in text_of(client.get(f"/client/{client_id}"))
    assert "Riskbedömning ska göras" not in text_of(client.get("/client/"))
    clock.advance(days=14)
    later = app.test_client()
    log_in(later, held.client_treater, clock)
    page = text_of(later.get(f"/client/{client_id}"))
    assert 'id="risk-review-due"' in page and review_on.isoformat() in page
    assert "Riskbedömning ska göras" in text_of(later.get("/client/"))  # on his list too
    # A new assessment answers the reminder.
    submit(later, f"/client/{client_id}/{SARA_NEW}", _sara("low"))
    assert 'id="risk-review-due"' not in text_of(later.get(f"/client/{client_id}"))
    assert "Riskbedömning ska göras" not in text_of(later.get("/client/"))


# --- concern reports ----------------------------------------------------------------------------

BOARD = "Socialnämnden i Lindvik"


def test_a_concern_report_is_recorded_and_shown_to_the_clients_treater_only(
    app, factory: Factory, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    page = f"/client/{client_id}/concern-reports/new"
    today = clock.now().date().isoformat()
    response = submit(
        client, page, {"reported_on": today, "board": BOARD, "reason": "witnessing_violence"}
    )
    assert response.status_code == 302
    client_page = text_of(client.get(f"/client/{client_id}"))
    assert BOARD in client_page and "Barnet bevittnar våld" in client_page

    partner = app.test_client()
    log_in(partner, held.partner_treater, clock)
    assert BOARD not in text_of(partner.get(f"/partner/cases/{held.case.id}?view=safety"))
    other = factory.client_treater()
    with pytest.raises(NotFound):
        record_client_concern_report(
            other.user, client_id, reported_on=clock.now().date(), board=BOARD, reason="neglect"
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ClientConcernReport)) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reported_on": ""}, "reported_on"),
        ({"reported_on": "2026-01-16"}, "reported_on"),
        ({"board": "  "}, "board"),
        ({"board": "x" * 201}, "board"),
        ({"reason": "gossip"}, "reason"),
    ],
)
def test_a_bad_concern_report_names_its_field_and_writes_nothing(
    app, held: HandedOver, clock, client: FlaskClient, changes: dict, field: str
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    form = {"reported_on": clock.now().date().isoformat(), "board": BOARD, "reason": "neglect"}
    response = submit(client, f"/client/{client_id}/concern-reports/new", {**form, **changes})
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ClientConcernReport)) == 0
