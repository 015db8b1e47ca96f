"""The stop switch and the development outbox, as managers and administrators use them."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import OutboundHalt
from partnercontact.transports.transport import OutboxTransport
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.messaging.sending import held_for_sms, queue

PAGE = "/messages/stop"


def _halts() -> list[OutboundHalt]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboundHalt)))


def _actions(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_administrator_halts_and_resumes_everything(
    app: Flask, factory: Factory, clock, role: str
) -> None:
    account = getattr(factory, role)()
    client = app.test_client()
    log_in(client, account, clock)
    response = submit(client, PAGE, {"reason": ""}, action=f"{PAGE}/halt")
    assert response.status_code == 400 and _halts() == []
    assert "Ange varför" in text_of(response) or "reason" in text_of(response).lower()

    response = submit(client, PAGE, {"reason": "Fel mall i utskicket"}, action=f"{PAGE}/halt")
    assert response.status_code == 302
    (halt,) = _halts()
    assert halt.reason == "Fel mall i utskicket" and halt.lifted_at is None
    page = text_of(client.get(PAGE))
    assert "Fel mall i utskicket" in page
    assert _actions("message.outbound_halted") == 1

    response = submit(client, PAGE, {}, action=f"{PAGE}/resume")
    assert response.status_code == 400 and _halts()[0].lifted_at is None
    response = submit(client, PAGE, {"confirm": "y"}, action=f"{PAGE}/resume")
    assert response.status_code == 302
    assert _halts()[0].lifted_at is not None
    assert _actions("message.outbound_resumed") == 1
    # The audit entries say that it happened, never why.
    reasons = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.resource_id.contains("Fel mall"))
    )
    assert reasons == 0


def test_treaters_cannot_touch_the_switch(app: Flask, factory: Factory, clock) -> None:
    for account in (factory.partner_treater(), factory.client_treater()):
        client = app.test_client()
        log_in(client, account, clock)
        assert client.get(PAGE).status_code == 403


def test_the_outbox_shows_what_she_would_have_read(app: Flask, factory: Factory, clock) -> None:
    held = held_for_sms(factory, clock)
    message = queue(held)
    send_due_sms(OutboxTransport())
    client = app.test_client()
    log_in(client, factory.admin(), clock)
    page = text_of(client.get("/messages/outbox"))
    assert message.body in page and "+46707654321" in page
    assert _actions("message.outbox_viewed") == 1
    treater = app.test_client()
    log_in(treater, held.holder, clock)
    assert treater.get("/messages/outbox").status_code == 403


@pytest.fixture
def config_overrides() -> dict:
    return {"auth": {"second_factor": "required"}}
