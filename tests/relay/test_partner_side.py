"""What the partner side does with the relay: a task per event, the closing of the contact
when his treatment ends, and nothing of it travelling back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import ContactNotAllowed, check_contact_allowed
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.handover import PartnerDetails, hand_over
from partnercontact.relay.models import RelayEvent, RelayOutcome
from tests.cases_built import attach_pdf, client_of, consent_of, first_steps_taken
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.partners.conftest import HandedOver, handed_over_case

DETAILS = PartnerDetails(
    name="Vera Påhittad",
    phone="070-111 22 33",
    address="",
    relation="former",
    children_in_common="no",
    protected_identity=False,
)


@pytest.fixture
def held(handed_over: HandedOver, clock) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    first_steps_taken(handed_over.partner_treater.user, handed_over.case.id, clock)
    db.session.commit()
    return handed_over


def _client_id(case: PartnerCase):
    return db.session.get(TreatmentEpisode, case.episode_id).client_id


def _in_treatment(held: HandedOver, clock):
    client_id = _client_id(held.case)
    start_treatment(held.client_treater.user, client_id, started_on=clock.now().date())
    db.session.commit()
    return client_id


@pytest.fixture
def browser(client: FlaskClient, held: HandedOver, clock) -> FlaskClient:
    log_in(client, held.partner_treater, clock)
    return client


def _outcomes() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(RelayOutcome))


def test_a_missed_session_becomes_a_task_she_is_informed_of(held, browser, clock) -> None:
    client_id = _in_treatment(held, clock)
    today = clock.now().date()
    record_session(held.client_treater.user, client_id, held_on=today, attendance="missed")
    db.session.commit()
    event_id = db.session.scalar(select(RelayEvent.id))

    home = text_of(browser.get("/partner/"))
    assert "Uteblivet behandlingstillfälle" in home and "informera henne om hon vill" in home
    case_page = text_of(browser.get(f"/partner/cases/{held.case.id}"))
    assert "Informera henne om hon vill" in case_page

    response = submit(
        browser,
        f"/partner/cases/{held.case.id}/relay/{event_id}",
        {"outcome": "informed_phone", "outcome_on": today.isoformat()},
    )
    assert response.status_code == 302
    assert _outcomes() == 1
    assert "Informerad per telefon" in text_of(browser.get(f"/partner/cases/{held.case.id}"))
    assert f'id="work-relay-{held.case.id.hex[:8]}"' not in text_of(browser.get("/partner/"))
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "relay.outcome_recorded",
            AuditEvent.resource_id == str(held.case.id),
        )
    )


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": "", "outcome_on": "{today}"}, "outcome"),
        ({"outcome": "told her everything", "outcome_on": "{today}"}, "outcome"),
        ({"outcome": "not_wanted", "outcome_on": "{yesterday}"}, "outcome_on"),
        ({"outcome": "not_wanted", "outcome_on": "{tomorrow}"}, "outcome_on"),
        ({"outcome": "not_wanted", "outcome_on": ""}, "outcome_on"),
    ],
)
def test_a_bad_outcome_names_its_field_and_records_nothing(
    held, browser, clock, form, field
) -> None:
    client_id = _in_treatment(held, clock)
    today = clock.now().date()
    record_session(held.client_treater.user, client_id, held_on=today, attendance="missed")
    db.session.commit()
    event_id = db.session.scalar(select(RelayEvent.id))
    dates = {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "tomorrow": today + timedelta(days=1),
    }
    data = {
        key: value.format(**{k: v.isoformat() for k, v in dates.items()})
        for key, value in form.items()
    }
    response = submit(browser, f"/partner/cases/{held.case.id}/relay/{event_id}", data)
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert f'value="{data["outcome_on"]}"' in page or not data["outcome_on"]
    assert _outcomes() == 0


def test_an_event_of_another_case_is_not_found(held, browser, factory: Factory, clock) -> None:
    client_id = _in_treatment(held, clock)
    other = handed_over_case(factory, clock, client_treater=held.client_treater)
    other_client = _client_id(other)
    end_episode(
        held.client_treater.user,
        other_client,
        ended_on=clock.now().date(),
        outcome="dropped_out",
    )
    record_session(
        held.client_treater.user, client_id, held_on=clock.now().date(), attendance="missed"
    )
    db.session.commit()
    foreign = db.session.scalar(
        select(RelayEvent.id).where(RelayEvent.episode_id == other.episode_id)
    )
    response = browser.get(f"/partner/cases/{held.case.id}/relay/{foreign}")
    assert response.status_code == 404
    response = submit(
        browser,
        f"/partner/cases/{held.case.id}",
        {"outcome": "not_wanted", "outcome_on": clock.now().date().isoformat()},
        action=f"/partner/cases/{held.case.id}/relay/{foreign}",
    )
    assert response.status_code == 404
    assert _outcomes() == 0


def test_the_end_of_treatment_closes_the_contact_after_a_closing_session(
    held, browser, clock
) -> None:
    client_id = _in_treatment(held, clock)
    today = clock.now().date()
    end_episode(held.client_treater.user, client_id, ended_on=today, outcome="completed")
    db.session.commit()
    case_page = text_of(browser.get(f"/partner/cases/{held.case.id}"))
    assert "partnerkontakten avslutas" in case_page
    assert "avslutningssamtal" in text_of(browser.get("/partner/"))

    response = submit(
        browser,
        f"/partner/cases/{held.case.id}/closing",
        {"outcome": "held", "closed_on": today.isoformat()},
    )
    assert response.status_code == 302
    db.session.rollback()
    case = db.session.get(PartnerCase, held.case.id)
    assert (case.closed_on, case.closing_outcome) == (today, "held")
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(case, "phone", clock.now())
    assert "Partnerkontakten avslutades" in text_of(browser.get(f"/partner/cases/{held.case.id}"))


def test_the_contact_closes_even_when_the_ending_may_not_be_told(factory: Factory, clock) -> None:
    """The consent decides what she may be told, not how long the contact lasts."""
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock, scopes=["contact_letter"])
    attach_pdf(treater.user, client_id, consent)
    hand_over(treater.user, client_id, DETAILS)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RelayEvent)) == 0
    case = db.session.scalar(select(PartnerCase))
    assert case.closing_since == clock.now().date()


def test_her_own_treatment_continues_after_his_ends(held, browser, clock) -> None:
    client_id = _in_treatment(held, clock)
    today = clock.now().date()
    response = submit(
        browser, f"/partner/cases/{held.case.id}/own-treatment", {"since": today.isoformat()}
    )
    assert response.status_code == 302
    end_episode(held.client_treater.user, client_id, ended_on=today, outcome="dropped_out")
    db.session.commit()
    page = text_of(browser.get(f"/partner/cases/{held.case.id}"))
    assert "Hennes egen behandling" in page and "fortsätter" in page
    assert "avslutningssamtal" not in text_of(browser.get("/partner/"))
    case = db.session.get(PartnerCase, held.case.id)
    check_contact_allowed(case, "letter", clock.now())  # still allowed: no error
    response = submit(
        browser,
        f"/partner/cases/{held.case.id}/closing",
        {"outcome": "held", "closed_on": today.isoformat()},
    )
    assert response.status_code == 409


CLIENT_SIDE_TABLES = (
    "client",
    "treatment_episode",
    "treatment_session",
    "consent",
    "consent_document",
    "partner_handover",
    "relay_event",
)


def _client_side_rows() -> dict[str, list]:
    db.session.rollback()
    return {
        table: sorted(map(tuple, db.session.execute(text(f"SELECT * FROM {table}")).all()))  # noqa: S608
        for table in CLIENT_SIDE_TABLES
    }


def test_nothing_the_partner_side_records_changes_the_client_side(held, browser, clock) -> None:
    client_id = _in_treatment(held, clock)
    today = clock.now().date()
    record_session(held.client_treater.user, client_id, held_on=today, attendance="missed")
    end_episode(held.client_treater.user, client_id, ended_on=today, outcome="dropped_out")
    db.session.commit()
    before = _client_side_rows()
    case = f"/partner/cases/{held.case.id}"
    for event_id in db.session.scalars(select(RelayEvent.id)).all():
        for outcome in ("unreachable", "informed_letter"):
            response = submit(
                browser,
                f"{case}/relay/{event_id}",
                {"outcome": outcome, "outcome_on": today.isoformat()},
            )
            assert response.status_code == 302
    assert submit(browser, f"{case}/own-treatment", {"since": today.isoformat()}).status_code == 302
    assert _outcomes() == 4
    assert _client_side_rows() == before
