"""A risk signal: the client's treater asks the partner side to act on a raised risk. A reason
and an urgency cross, whatever the consent lets her be told; the partner side gets a task with
a deadline, and the managers are told once if nothing is done by then."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.client_side.cases.risk_signals import raise_risk_signal
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side.escalations import RISK_SIGNAL_OVERDUE, Escalation
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.relay_inbox import record_outcome, relayed_events
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.tasks.queue import dispatch_due
from tests.cases_built import client_of
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.partners.conftest import HandedOver
from tests.relay.conftest import client_id_of


def _signals() -> list[RelayEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(RelayEvent).where(RelayEvent.kind == "risk_signal")))


def _overdue_escalations(case: PartnerCase) -> list[Escalation]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Escalation).where(
                Escalation.partner_case_id == case.id, Escalation.reason == RISK_SIGNAL_OVERDUE
            )
        )
    )


def test_a_risk_signal_crosses_whatever_the_consent_lets_her_be_told(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    client_id = client_id_of(held.case)
    page = f"/client/{client_id}/risk-signal"
    assert 'id="raise-risk-signal"' in text_of(client.get(f"/client/{client_id}"))

    response = submit(client, page, {"reason": "weapons", "urgency": "urgent"})

    assert response.status_code == 302
    (signal,) = _signals()
    assert (signal.reason, signal.urgency) == ("weapons", "urgent")
    assert signal.occurred_on == clock.now().date()
    seen = relayed_events(held.partner_treater.user, held.case)
    assert [(event.kind, event.reason, event.open) for event in seen] == [
        ("risk_signal", "weapons", True)
    ]
    assert seen[0].act_by == signal.recorded_at + timedelta(hours=4)  # the clinic's default
    db.session.commit()  # the read's audit entry
    # What the client's treater sees is what was sent, never what the partner side did.
    assert "Tillgång till vapen" in text_of(client.get(page))


def test_the_partner_treater_sees_the_signal_and_acts_on_it_with_the_clients_treater(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    raise_risk_signal(
        held.client_treater.user, client_id_of(held.case), reason="separation", urgency="soon"
    )
    db.session.commit()
    (signal,) = _signals()
    log_in(client, held.partner_treater, clock)
    home = text_of(client.get("/partner/"))
    assert "Risksignal från klientens behandlare" in home
    assert "prata igenom det med klientens behandlare" in home
    assert "informera henne om hon vill" not in home  # it is never passed on to her
    case_page = text_of(client.get(f"/partner/cases/{held.case.id}"))
    assert "En separation är nära eller har skett" in case_page
    assert f'id="risk-signal-{signal.id}"' in case_page
    page = f"/partner/cases/{held.case.id}/relay/{signal.id}"

    # It is never passed on to her: no outcome says she was told of it.
    today = clock.now().date().isoformat()
    told = submit(client, page, {"outcome": "informed_phone", "outcome_on": today})
    assert told.status_code == 400 and "outcome" in text_of(told)
    assert db.session.scalar(select(func.count()).select_from(RelayOutcome)) == 0

    done = submit(client, page, {"outcome": "consulted", "outcome_on": today})
    assert done.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(RelayOutcome.outcome)) == "consulted"


def test_only_the_clients_own_treater_can_raise_one(
    app, factory: Factory, held: HandedOver, clock, client: FlaskClient
) -> None:
    other = factory.client_treater()
    client_id = client_id_of(held.case)
    with pytest.raises(NotFound):
        raise_risk_signal(other.user, client_id, reason="threats", urgency="urgent")
    db.session.rollback()
    log_in(client, other, clock)
    assert client.get(f"/client/{client_id}/risk-signal").status_code == 404
    token_page = "/client/"
    response = submit(
        client,
        token_page,
        {"reason": "threats", "urgency": "urgent"},
        action=f"/client/{client_id}/risk-signal",
    )
    assert response.status_code == 404
    assert _signals() == []


def test_bad_input_names_the_field_and_writes_nothing(
    app, held: HandedOver, clock, client: FlaskClient
) -> None:
    log_in(client, held.client_treater, clock)
    page = f"/client/{client_id_of(held.case)}/risk-signal"
    missing = submit(client, page, {"reason": "weapons"})
    assert missing.status_code == 400 and "Välj hur brådskande det är." in text_of(missing)
    made_up = submit(client, page, {"reason": "he said she should call", "urgency": "urgent"})
    assert made_up.status_code == 400
    assert _signals() == []


def test_one_signal_a_day_and_only_where_partner_contact_was_handed_over(
    app, factory: Factory, held: HandedOver, clock
) -> None:
    client_id = client_id_of(held.case)
    raise_risk_signal(held.client_treater.user, client_id, reason="threats", urgency="urgent")
    db.session.commit()
    with pytest.raises(Exception) as again:
        raise_risk_signal(held.client_treater.user, client_id, reason="weapons", urgency="urgent")
    assert again.value.status == 409 and again.value.field == "reason"
    db.session.rollback()

    without_contact = client_of(held.client_treater.user, name="Olle Påhittad")
    with pytest.raises(Exception) as nobody:
        raise_risk_signal(
            held.client_treater.user, without_contact, reason="threats", urgency="urgent"
        )
    assert nobody.value.status == 409 and nobody.value.field == "reason"
    db.session.rollback()
    assert len(_signals()) == 1


def test_an_unhandled_signal_escalates_to_the_managers_at_its_deadline_once(
    app, factory: Factory, held: HandedOver, clock, client: FlaskClient
) -> None:
    raised_at = clock.now()
    raise_risk_signal(
        held.client_treater.user, client_id_of(held.case), reason="new_violence", urgency="urgent"
    )
    db.session.commit()

    clock.set(raised_at + timedelta(hours=3, minutes=59))
    dispatch_due()
    assert _overdue_escalations(held.case) == []

    clock.set(raised_at + timedelta(hours=4))
    dispatch_due()
    (escalation,) = _overdue_escalations(held.case)
    assert escalation.urgency == "urgent" and escalation.raised_by_id is None

    clock.advance(hours=30)
    dispatch_due()
    assert len(_overdue_escalations(held.case)) == 1

    manager = factory.manager()
    log_in(client, manager, clock)
    tasks = text_of(client.get("/management/tasks"))
    assert "En risksignal från klientens behandlare åtgärdades inte i tid" in tasks
    assert "Maja" not in tasks and "new_violence" not in tasks


def test_a_signal_acted_on_in_time_is_not_escalated(app, held: HandedOver, clock) -> None:
    raised_at = clock.now()
    raise_risk_signal(
        held.client_treater.user, client_id_of(held.case), reason="threats", urgency="soon"
    )
    db.session.commit()
    (signal,) = _signals()
    clock.set(raised_at + timedelta(hours=50))
    record_outcome(
        held.partner_treater.user,
        held.case.id,
        signal.id,
        outcome="consulted",
        outcome_on=clock.now().date(),
    )
    db.session.commit()

    clock.set(raised_at + timedelta(hours=72))
    dispatch_due()
    assert _overdue_escalations(held.case) == []


def test_the_database_refuses_a_reason_outside_the_list_or_on_another_kind(
    app, held: HandedOver, clock
) -> None:
    row = {
        "episode_id": held.case.episode_id,
        "occurred_on": clock.now().date(),
        "recorded_by_id": held.client_treater.user.id,
        "recorded_at": clock.now(),
    }
    db.session.execute(
        insert(RelayEvent).values(
            id=uuid.uuid4(), kind="risk_signal", reason="threats", urgency="urgent", **row
        )
    )
    db.session.rollback()
    for bad in (
        {"kind": "risk_signal", "reason": "he said she should call", "urgency": "urgent"},
        {"kind": "risk_signal", "reason": "threats", "urgency": "whenever"},
        {"kind": "risk_signal", "reason": None, "urgency": None},
        {"kind": "session_missed", "reason": "threats", "urgency": "urgent"},
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(RelayEvent).values(id=uuid.uuid4(), **bad, **row))
        db.session.rollback()
