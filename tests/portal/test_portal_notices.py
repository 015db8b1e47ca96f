"""Texts about a new message in her own channel: off until she turns them on in her portal;
then a message from her treater queues one text whose whole body is the words she chose (or
the sender name she expects), within her safe hours or waiting for the next start of them, sent
by the worker through the real Twilio SDK to a fake Twilio. No text without SMS in her plan,
while notices are off, for a protected partner, or once she said "not safe now"; several
messages make one text; two written at once make one (PostgreSQL)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.partner_side import portal_access, portal_messages
from partnercontact.partner_side.contact import SafeContactPlanIn, save_safe_contact_plan
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.messaging.templates import PORTAL_NOTICE_PURPOSE
from partnercontact.partner_side.portal_notices_models import PortalNoticeSetting
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.fakes.twilio import FakeTwilio
from tests.helpers import case_view, log_in, text_of
from tests.messaging.conftest import ACCOUNT_SID, AUTH_TOKEN, twilio_settings
from tests.messaging.sending import Held, held_for_sms
from tests.partners.test_portal_access import _database_text
from tests.portal.test_portal_app import PASSPHRASE, _invited, _redeemed

TO_HER = "Hej! Jag har bokat om torsdagens samtal till klockan tio."
WORDS = "Kanelbullarna är klara"
HER_NUMBER = "+46707654321"
# Her plan (first_steps_taken): every day 08 to 20 on the clinic's clocks (Stockholm, UTC+1
# in January). The test clock starts on Thursday 15 January at 10:00 there.
EVENING = datetime(2026, 1, 15, 19, 30, tzinfo=UTC)  # 20:30 in Stockholm
NEXT_WINDOW = datetime(2026, 1, 16, 7, 0, tzinfo=UTC)  # 08:00 in Stockholm
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def twilio(clock: FixedClock) -> Iterator[FakeTwilio]:
    """The fake Twilio the worker sends through (nothing posts back to the app here)."""
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, now=clock.now)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def config_overrides(twilio: FakeTwilio) -> dict:
    return {
        "auth": {"second_factor": "required"},
        "messaging": {
            "sms_transport": "twilio",
            "twilio": twilio_settings(twilio, "http://127.0.0.1:9"),
        },
    }


def _post(her: FlaskClient, action: str, data: dict[str, str], page: str = "/start"):
    found = _TOKEN.search(her.get(page).text)
    assert found, page
    return her.post(action, data={"csrf_token": found.group(1), **data})


def _choose(her: FlaskClient, *, enabled: bool = True, words: str = ""):
    data = {"words": words, **({"enabled": "y"} if enabled else {})}
    return _post(her, "/notices", data, page="/notices")


def _on(her: FlaskClient, words: str = "") -> None:
    answer = _choose(her, words=words)
    assert answer.status_code == 302 and answer.headers["Location"] == "/notices", answer.text


def _write(held: Held, body: str = TO_HER, clock: FixedClock | None = None) -> None:
    if clock is not None:
        clock.advance(minutes=1)
    portal_messages.write_to_her(held.holder.user, held.case.id, body)
    db.session.commit()


def _notices() -> list[SmsMessage]:
    db.session.rollback()
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SmsMessage)
            .where(SmsMessage.purpose == PORTAL_NOTICE_PURPOSE)
            .order_by(SmsMessage.created_at)
        )
    )


def _sent_bodies(twilio: FakeTwilio) -> list[str]:
    return [posted["Body"] for posted in twilio.requests]


def _back_in(her: FlaskClient, codename: str) -> None:
    answer = _post(her, "/", {"codename": codename, "passphrase": PASSPHRASE}, page="/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/start")


def _sender(factory: Factory) -> str:
    return factory.default_clinic.neutral_sender_name.strip()


# --- what the text says ------------------------------------------------------------------------


def test_inside_her_safe_hours_one_text_of_the_sender_name_only_goes_through_twilio(
    her: FlaskClient, held: Held, twilio: FakeTwilio, factory: Factory, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    page = her.get("/notices").text
    assert 'id="notices-off"' in page  # off until she turns them on
    assert f'id="notice-text" dir="auto">{html.escape(_sender(factory))}<' in page
    _on(her)

    _write(held, clock=clock)
    [notice] = _notices()
    assert notice.state == "queued" and notice.next_attempt_at == clock.now()
    assert notice.body == _sender(factory)
    assert TO_HER not in notice.body and "http" not in notice.body

    assert send_due_sms().sent == [notice.id]
    [posted] = twilio.requests
    assert posted["To"] == HER_NUMBER
    assert posted["Body"] == _sender(factory)
    assert factory.default_clinic.name not in posted["Body"]


def test_her_own_words_are_the_whole_text(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    _on(her, f"  {WORDS}  ")
    page = her.get("/notices").text
    assert f'id="notice-text" dir="auto">{WORDS}<' in page and 'id="notices-on"' in page

    _write(held, clock=clock)
    [notice] = _notices()
    assert notice.body == WORDS
    send_due_sms()
    assert _sent_bodies(twilio) == [WORDS]


def test_written_outside_her_safe_hours_it_waits_for_the_start_of_her_next_window(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    _on(her, WORDS)
    clock.set(EVENING)
    _write(held)
    [notice] = _notices()
    assert notice.state == "queued" and notice.next_attempt_at == NEXT_WINDOW

    assert send_due_sms().sent == []
    clock.set(NEXT_WINDOW.replace(hour=6, minute=59))
    assert send_due_sms().sent == []
    assert twilio.requests == []

    clock.set(NEXT_WINDOW)
    assert send_due_sms().sent == [notice.id]
    assert _sent_bodies(twilio) == [WORDS]


def test_a_waiting_text_takes_the_words_she_chooses_meanwhile(
    her: FlaskClient, held: Held, twilio: FakeTwilio, factory: Factory, clock: FixedClock
) -> None:
    codename = _redeemed(her, _invited(held))
    _on(her)
    clock.set(EVENING)
    _write(held)
    [waiting] = _notices()
    assert waiting.body == _sender(factory)
    _back_in(her, codename)
    _on(her, WORDS)
    [waiting] = _notices()
    assert waiting.state == "queued" and waiting.body == WORDS

    clock.set(NEXT_WINDOW)
    send_due_sms()
    assert _sent_bodies(twilio) == [WORDS]


# --- when no text goes --------------------------------------------------------------------------


def test_no_text_while_notices_are_off_and_turning_them_off_stops_a_waiting_one(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    codename = _redeemed(her, _invited(held))
    _write(held, clock=clock)
    assert _notices() == []  # off until she turns them on

    _on(her)
    clock.set(EVENING)
    _write(held, "Ett till.")
    [waiting] = _notices()
    assert waiting.state == "queued"

    _back_in(her, codename)
    answer = _choose(her, enabled=False)
    assert answer.status_code == 302
    [cancelled] = _notices()
    assert cancelled.state == "cancelled" and cancelled.error_code == "notices_off"
    clock.set(NEXT_WINDOW)
    send_due_sms()
    assert twilio.requests == []


def test_her_plan_without_text_messages_means_no_text(
    her: FlaskClient, held: Held, clock: FixedClock
) -> None:
    save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["phone"],
            safe_days=[str(day) for day in range(1, 8)],
            safe_from=datetime(2026, 1, 1, 8).time(),
            safe_until=datetime(2026, 1, 1, 20).time(),
        ),
    )
    db.session.commit()
    _redeemed(her, _invited(held))
    _on(her)
    assert 'id="notices-blocked"' in her.get("/notices").text
    _write(held, clock=clock)
    assert _notices() == []


def test_not_safe_now_stops_a_waiting_text_and_queues_none(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    codename = _redeemed(her, _invited(held))
    _on(her)
    clock.set(EVENING)
    _write(held)
    _back_in(her, codename)
    assert _post(her, "/not-safe-now", {}).status_code == 302
    assert 'id="notices-paused"' in her.get("/notices").text
    _write(held, "Ett meddelande medan det inte är säkert.", clock)
    assert len(_notices()) == 1  # the one that waited, and no new one

    clock.set(NEXT_WINDOW)
    report = send_due_sms()
    assert report.sent == [] and len(report.cancelled) == 1
    [cancelled] = _notices()
    assert cancelled.state == "cancelled" and cancelled.error_code == "not_safe_now"
    assert twilio.requests == []


def test_a_waiting_text_goes_no_more_once_her_access_has_ended(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    _on(her)
    clock.set(EVENING)
    _write(held)
    portal_access.revoke(held.holder.user, held.case.id)
    db.session.commit()

    clock.set(NEXT_WINDOW)
    send_due_sms()
    [cancelled] = _notices()
    assert cancelled.state == "cancelled" and cancelled.error_code == "notices_off"
    assert twilio.requests == []


def test_a_protected_partner_gets_no_text_automatically(
    her: FlaskClient, factory: Factory, clock: FixedClock
) -> None:
    held = held_for_sms(factory, clock, protected=True)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    _redeemed(her, _invited(held))
    _on(her)
    assert 'id="notices-blocked"' in her.get("/notices").text
    _write(held, clock=clock)
    assert _notices() == []


# --- one at a time -------------------------------------------------------------------------------


def test_several_messages_make_one_text_until_she_has_read_them(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    _on(her)
    for number in range(3):
        _write(held, f"Meddelande {number}.", clock)
    assert len(_notices()) == 1
    send_due_sms()
    assert len(twilio.requests) == 1

    _write(held, "Ett fjärde, innan hon har läst.", clock)
    assert len(_notices()) == 1  # she has been told, and has not looked yet

    assert her.get("/start").status_code == 200  # she reads them
    _write(held, "Ett femte, efter att hon läst.", clock)
    assert len(_notices()) == 2
    send_due_sms()
    assert len(twilio.requests) == 2


def test_a_waiting_text_is_not_sent_once_she_has_read_her_messages(
    her: FlaskClient, held: Held, twilio: FakeTwilio, clock: FixedClock
) -> None:
    codename = _redeemed(her, _invited(held))
    _on(her)
    clock.set(EVENING)
    _write(held)
    _back_in(her, codename)
    assert TO_HER in her.get("/start").text

    clock.set(NEXT_WINDOW)
    send_due_sms()
    [cancelled] = _notices()
    assert cancelled.state == "cancelled" and cancelled.error_code == "read_already"
    assert twilio.requests == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_messages_written_at_the_same_moment_make_one_text(
    app: Flask, her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    _on(her)
    user_id, case_id = held.holder.user.id, held.case.id
    db.session.remove()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def write(body: str) -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit, so nothing but the
            # notice's own lock keeps the two apart.
            defer_appends_until_commit()
            actor = db.session.get(User, user_id)
            start.wait()
            try:
                portal_messages.write_to_her(actor, case_id, body)
                db.session.commit()
                outcomes.append("written")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=write, args=(f"Samtidigt {n}.",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["written", "written"]
    assert len(_notices()) == 1


# --- her words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        "x" * 41,
        "Titta på www.exempel.se",
        "https://exempel.se",
        "Skriv till anna@exempel.se",
        "exempel.se",
        "Koden är 4711",
        "Ring 070 12 34",
        "CLINIC",
    ],
    ids=["long", "www", "scheme", "email", "domain", "code", "spaced-digits", "clinic-name"],
)
def test_bad_words_are_refused_on_their_field_and_kept_in_the_form(
    her: FlaskClient, held: Held, factory: Factory, words: str
) -> None:
    if words == "CLINIC":
        words = f"Hälsningar från {factory.default_clinic.name}"
    _redeemed(her, _invited(held))
    refused = _choose(her, words=words)
    assert refused.status_code == 400
    assert 'id="words-error"' in refused.text
    assert f'value="{html.escape(words)}"' in refused.text
    assert "checked" in refused.text  # her choice to turn them on is kept too
    db.session.rollback()
    assert db.session.scalars(select(PortalNoticeSetting)).all() == []


def test_words_of_forty_characters_with_a_short_number_are_kept(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    words = "Mamma, fika kl 3 på fredag, ta med kakor"
    assert len(words) == 40
    _on(her, words)
    assert f'id="notice-text" dir="auto">{html.escape(words)}<' in her.get("/notices").text


def test_her_words_are_sealed_and_her_acts_audited_without_them(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    _on(her, WORDS)
    assert WORDS.lower() not in _database_text().lower()
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action.in_(
                [AuditAction.PORTAL_NOTICES_VIEWED, AuditAction.PORTAL_NOTICES_CHANGED]
            )
        )
    ).all()
    assert {event.action for event in events} == {
        AuditAction.PORTAL_NOTICES_VIEWED,
        AuditAction.PORTAL_NOTICES_CHANGED,
    }
    assert all(
        event.actor_id is None and event.resource_id == str(held.case.id) for event in events
    )


def test_her_treater_sees_whether_notices_are_on_but_not_her_words(
    client: FlaskClient, her: FlaskClient, held: Held, clock: FixedClock
) -> None:
    _redeemed(her, _invited(held))
    log_in(client, held.holder, clock)
    assert "Sms om nya meddelanden: av." in text_of(client.get(case_view(held.case.id, "portal")))
    _on(her, WORDS)
    page = text_of(client.get(case_view(held.case.id, "portal")))
    assert "Sms om nya meddelanden: på" in page and WORDS not in page
    assert "Inget skickas" not in page  # her plan allows texts

    # Her plan changes to calls only: her treater is told that none would go.
    save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["phone"],
            safe_days=[str(day) for day in range(1, 8)],
            safe_from=datetime(2026, 1, 1, 8).time(),
            safe_until=datetime(2026, 1, 1, 20).time(),
        ),
    )
    db.session.commit()
    page = text_of(client.get(case_view(held.case.id, "portal")))
    assert "Inget skickas: hennes plan tillåter inte sms." in page
