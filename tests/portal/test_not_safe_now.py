"""Her "not safe now": pressed in her portal, it stops every contact at once: a letter and a
text are refused with that reason, a text already waiting in the outbox is not sent, a call
cannot be recorded; her treater sees it and either of them lifts it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side import contact, pauses
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.rules import ContactNotAllowed, MessageRefused
from tests.helpers import log_in, text_of
from tests.messaging.sending import Held, queue
from tests.portal.test_portal_app import _invited, _redeemed


def _letter(held: Held):
    return letters.send_letter(
        held.holder.user, held.case.id, "call_announcement", "sv", confirm_duplicate=True
    )


def test_not_safe_now_refuses_letters_texts_and_calls_until_she_lifts_it(
    her: FlaskClient, held: Held, clock
) -> None:
    waiting = queue(held, "call_announcement")  # queued before she says it
    _redeemed(her, _invited(held))
    assert 'id="not-safe-now"' in her.get("/start").text
    pressed = her.post("/not-safe-now", data={"csrf_token": _csrf(her)})
    assert pressed.status_code == 302
    assert "Du sa att det inte är säkert nu." in her.get("/start").text

    for send in (
        lambda: _letter(held),
        lambda: queue(held, "call_announcement", confirm_duplicate=True),
    ):
        with pytest.raises(MessageRefused) as refused:
            send()
        db.session.rollback()
        assert refused.value.rule == "not_safe_now"
        assert "inte är säkert nu" in str(refused.value.message)
    with pytest.raises(ContactNotAllowed) as refused_call:
        contact.record_attempt(
            held.holder.user,
            held.case.id,
            channel="phone",
            outcome="no_answer",
            attempted_at=clock.now(),
        )
    db.session.rollback()
    assert refused_call.value.rule == "not_safe_now"
    # The text that was waiting does not go out.
    send_due_sms()
    db.session.commit()
    assert db.session.get(SmsMessage, waiting.id, populate_existing=True).state == "cancelled"

    lifted = her.post("/safe-again", data={"csrf_token": _csrf(her)})
    assert lifted.status_code == 302
    _letter(held)
    db.session.commit()


def test_her_treater_sees_the_pause_and_lifts_it(
    client: FlaskClient, her: FlaskClient, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    her.post("/not-safe-now", data={"csrf_token": _csrf(her)})
    log_in(client, held.holder, clock)
    case_page = f"/partner/cases/{held.case.id}"
    page = text_of(client.get(case_page))
    assert 'id="contact-paused"' in page and "som hon sa" in page
    token = _staff_csrf(page)
    assert client.post(f"{case_page}/pause/lift", data={"csrf_token": token}).status_code == 302
    assert 'id="contact-paused"' not in text_of(client.get(case_page))
    # And records it for her when she says so on the phone.
    pauses.pause(held.holder.user, held.case.id)
    db.session.commit()
    assert "som hennes behandlare sa" in text_of(client.get(case_page))
    assert db.session.scalar(select(SmsMessage.id)) is None


def _csrf(client: FlaskClient) -> str:
    import re

    found = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get("/start").text
    )
    assert found
    return found.group(1)


def _staff_csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found
    return found.group(1)
