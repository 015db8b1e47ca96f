"""Messages in her own channel, on her pages: she reads what her treater wrote (which marks it
read), answers, sees when the clinic has read hers, and clears a message from her view, named
in the form and never in an address. A message of another case is not found, exactly as a
missing one; a message too long or empty is refused on its field; nothing she reads or writes
is in the audit log."""

from __future__ import annotations

import re
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from partnercontact.partner_side import portal_messages
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.runtime import current_runtime
from tests.factories import Factory
from tests.helpers import without_csrf_tokens
from tests.messaging.sending import Held, held_for_sms
from tests.portal.test_portal_app import _invited, _redeemed

TO_HER = "Hej! Passar det att vi talas vid på torsdag förmiddag?"
FROM_HER = "Torsdag passar bra, men ring inte efter klockan tolv."


def _token(her: FlaskClient) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', her.get("/start").text)
    assert found
    return found.group(1)


def _send(her: FlaskClient, action: str, data: dict[str, str]):
    _tick()
    return her.post(action, data={"csrf_token": _token(her), **data})


def _tick() -> None:
    """A minute on: messages written at one instant have no order of their own."""
    current_runtime().clock.advance(minutes=1)  # type: ignore[attr-defined]


def _write_to_her(held: Held, body: str = TO_HER) -> PortalMessage:
    _tick()
    message = portal_messages.write_to_her(held.holder.user, held.case.id, body)
    db.session.commit()
    return message


def _message(message_id: uuid.UUID) -> PortalMessage:
    db.session.expire_all()
    message = db.session.get(PortalMessage, message_id)
    assert message is not None
    return message


def test_she_reads_and_answers_and_both_sides_see_the_read_marks(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    written = _write_to_her(held)
    assert _message(written.id).read_at is None

    start = her.get("/start")
    assert start.status_code == 200
    assert TO_HER in start.text and 'class="new"' in start.text
    assert _message(written.id).read_at is not None  # she has seen it
    assert 'class="new"' not in her.get("/start").text

    sent = _send(her, "/messages", {"body": FROM_HER})
    assert sent.status_code == 302 and sent.headers["Location"] == "/start#messages"
    page = her.get("/start").text
    assert page.index(TO_HER) < page.index(FROM_HER)  # newest last
    assert "Inte läst än" in page

    thread = portal_messages.thread_for_treater(held.holder.user, held.case.id)
    db.session.commit()
    assert [(entry.direction, entry.body) for entry in thread] == [
        ("to_her", TO_HER),
        ("from_her", FROM_HER),
    ]
    assert all(entry.read_at is not None for entry in thread)
    assert "Läst av mottagningen" in her.get("/start").text


def test_she_reads_and_clears_a_message_and_her_treater_sees_it(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    written = _write_to_her(held)
    kept = _write_to_her(held, "Ett annat meddelande som hon behåller.")
    cleared = _send(her, "/messages/clear", {"message_id": str(written.id)})
    assert cleared.status_code == 302 and str(written.id) not in cleared.headers["Location"]
    page = her.get("/start").text
    assert TO_HER not in page and "Ett annat meddelande som hon behåller." in page

    message = _message(written.id)
    assert message.cleared_at is not None and message.read_at is not None
    assert _message(kept.id).cleared_at is None
    # Cleared once is gone: clearing again is not found.
    assert _send(her, "/messages/clear", {"message_id": str(written.id)}).status_code == 404
    [entry, _] = portal_messages.thread_for_treater(held.holder.user, held.case.id)
    db.session.commit()
    assert entry.cleared_at is not None and entry.body == TO_HER


def test_a_message_of_another_case_is_not_found_like_a_missing_one(
    her: FlaskClient, held: Held, factory: Factory, clock
) -> None:
    _redeemed(her, _invited(held))
    other = held_for_sms(factory, clock)
    theirs = _write_to_her(other, "Till någon annan.")

    foreign = _send(her, "/messages/clear", {"message_id": str(theirs.id)})
    missing = _send(her, "/messages/clear", {"message_id": str(uuid.uuid4())})
    garbled = _send(her, "/messages/clear", {"message_id": "inte-ett-id"})
    assert foreign.status_code == missing.status_code == garbled.status_code == 404
    assert (
        without_csrf_tokens(foreign.text)
        == without_csrf_tokens(missing.text)
        == without_csrf_tokens(garbled.text)
    )
    assert _message(theirs.id).cleared_at is None
    assert "Till någon annan." not in her.get("/start").text


@pytest.mark.parametrize(
    "body",
    ["", "   \n  ", "x" * (portal_messages.MAX_BODY_LENGTH + 1)],
    ids=["empty", "blank", "long"],
)
def test_an_empty_or_too_long_message_is_refused_on_its_field(
    her: FlaskClient, held: Held, body: str
) -> None:
    _redeemed(her, _invited(held))
    refused = _send(her, "/messages", {"body": body})
    assert refused.status_code == 400 and 'id="body-error"' in refused.text
    db.session.rollback()
    assert db.session.scalars(select(PortalMessage)).all() == []


def test_a_message_of_the_longest_length_goes(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    longest = "å" * portal_messages.MAX_BODY_LENGTH
    assert _send(her, "/messages", {"body": longest}).status_code == 302
    db.session.rollback()
    [message] = db.session.scalars(select(PortalMessage)).all()
    assert message.body == longest and message.direction == "from_her"


def test_the_message_pages_need_her_session(her: FlaskClient, held: Held) -> None:
    written = _write_to_her(held)
    for page in ("/messages", "/messages/clear"):
        assert her.get(page).headers["Location"] == "/"
        assert her.post(page, data={"message_id": str(written.id)}).status_code in (302, 400)
    assert _message(written.id).cleared_at is None


def test_her_reads_and_writes_are_audited_without_actor_or_content(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    written = _write_to_her(held)
    her.get("/start")
    _send(her, "/messages", {"body": FROM_HER})
    _send(her, "/messages/clear", {"message_id": str(written.id)})
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("partner.portal_%message%"))
        .order_by(AuditEvent.seq)
    ).all()
    hers = [(row.action, row.actor_id, row.resource_type, row.resource_id) for row in rows]
    case = str(held.case.id)
    assert ("partner.portal_message_to_her", held.holder.user.id, "partner_case", case) in hers
    assert ("partner.portal_message_from_her", None, "partner_case", case) in hers
    assert ("partner.portal_message_cleared", None, "partner_case", case) in hers
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "partner.portal_thread_viewed_by_her")
    ).all()
    assert viewed and all(row.actor_id is None for row in viewed)
    everything = repr([(row.action, row.resource_type, row.resource_id) for row in rows])
    assert TO_HER not in everything and FROM_HER not in everything
