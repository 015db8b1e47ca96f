"""Texts from numbers no case knows: an administrator sees that one waits (its time and the
last two digits of its number, never its words), opens it with a stated reason, and gives it
to a partner-contact treater, who places it on a case she holds; or destroys it. Nobody else
sees any of it."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.crypto.errors import KeyShredded
from partnercontact.crypto.service import load_data_key
from partnercontact.db import db
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.models import InboundSms
from partnercontact.partner_side.messaging.triage import (
    unmatched_text_count_for,
    unmatched_texts_given_to,
)
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import is_opted_out
from partnercontact.partner_side.service import pick_up
from partnercontact.phones import phone_index
from tests.factories import Account, Factory
from tests.helpers import csrf_token, log_in, sample_url, submit, text_of
from tests.partners.conftest import handed_over_case
from tests.web.canary import crawl

NEW_NUMBER = "+46709998877"
WORDS = "Det här är mitt nya nummer, ring efter tre"
LIST = "/admin/unknown-texts"
MINE = "/partner/unknown-texts"


def _text(clock, body: str = WORDS, number: str = NEW_NUMBER) -> uuid.UUID:
    inbound = receive_inbound(f"SM{uuid.uuid4().hex}", number, body, clock.now())
    assert inbound is not None and inbound.partner_case_id is None
    db.session.commit()
    return inbound.id


def _fresh(text_id: uuid.UUID) -> InboundSms:
    db.session.rollback()
    row = db.session.get(InboundSms, text_id)
    assert row is not None
    return row


def _browser(app: Flask, account: Account, clock) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, account, clock)
    clock.advance(seconds=31)  # a fresh one-time code for the next login
    return browser


def _open(browser: FlaskClient, text_id: uuid.UUID, reason: str = "identify"):
    page = f"{LIST}/{text_id}/open"
    return submit(browser, page, {"reason": reason} if reason else {})


def _give(browser: FlaskClient, text_id: uuid.UUID, treater: Account):
    token = csrf_token(browser, LIST)
    return browser.post(
        f"{LIST}/{text_id}/give", data={"csrf_token": token, "treater": str(treater.user.id)}
    )


def _held_case(factory: Factory, clock, treater: Account, **kwargs: object) -> PartnerCase:
    partner_case = handed_over_case(factory, clock, **kwargs)  # type: ignore[arg-type]
    pick_up(treater.user, partner_case.id)
    db.session.commit()
    return partner_case


def test_an_unknown_text_waits_masked_with_nothing_of_its_words(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)

    page = text_of(admin.get(LIST))

    assert "•••• •• 77" in page
    assert WORDS not in page and "9998877" not in page and "70-999" not in page
    assert "(1)" in page  # counted in the menu
    opening = text_of(admin.get(f"{LIST}/{text_id}/open"))
    assert WORDS not in opening and "•••• •• 77" in opening
    row = _fresh(text_id)
    # Sealed, and only the sealed form is stored.
    assert row.sender == NEW_NUMBER and NEW_NUMBER.encode() not in bytes(row.sender_ct)
    assert (row.triage_state, row.clinic_id) == ("waiting", None)


def test_a_text_kept_before_its_sender_was_shows_an_unknown_sender(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    row = _fresh(text_id)
    row.sender = None
    db.session.commit()
    admin = _browser(app, factory.admin(), clock)

    page = text_of(admin.get(LIST))

    assert "okänd avsändare" in page and "••••" not in page


def test_opening_without_a_reason_is_refused_naming_the_field(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)

    for reason in ("", "curiosity"):
        response = _open(admin, text_id, reason)
        assert response.status_code == 400
        page = text_of(response)
        assert 'id="reason-error"' in page and "Välj varför du öppnar sms:et." in page
        assert WORDS not in page

    assert _fresh(text_id).clinic_id is None
    opened = db.session.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == str(text_id))
    ).all()
    assert [event.action for event in opened] == [AuditAction.SMS_RECEIVED]


def test_opening_with_a_reason_shows_it_once_and_is_audited_without_content(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    account = factory.admin()
    admin = _browser(app, account, clock)

    response = _open(admin, text_id, "her_call")

    assert response.status_code == 200
    assert WORDS in text_of(response) and NEW_NUMBER not in text_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    # The choices that follow post elsewhere, and never carry the words.
    assert f'action="{LIST}/{text_id}/give"' in text_of(response)
    assert f"{LIST}/{text_id}/discard" in text_of(response)
    assert WORDS not in text_of(admin.get(LIST))
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.UNMATCHED_SMS_OPENED_ON_HER_CALL)
    ).all()
    assert (event.actor_id, event.resource_type, event.resource_id) == (
        account.user.id,
        "inbound_sms",
        str(text_id),
    )
    assert event.clinic_id == account.user.clinic_id
    assert _fresh(text_id).clinic_id == account.user.clinic_id


def test_another_clinics_administrator_no_longer_sees_it_once_it_was_taken_up(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    ours = _browser(app, factory.admin(), clock)
    theirs = _browser(app, factory.admin(clinic=factory.clinic()), clock)
    assert "•••• •• 77" in text_of(theirs.get(LIST))  # nobody's yet

    assert _open(ours, text_id).status_code == 200

    assert "•••• •• 77" not in text_of(theirs.get(LIST))
    assert theirs.get(f"{LIST}/{text_id}/open").status_code == 404
    token = csrf_token(theirs, LIST)
    refused = theirs.post(
        f"{LIST}/{text_id}/open", data={"csrf_token": token, "reason": "identify"}
    )
    assert refused.status_code == 404 and WORDS not in text_of(refused)
    assert theirs.get(f"{LIST}/{text_id}/discard").status_code == 404


def test_a_given_text_is_shown_to_that_treater_only(app: Flask, factory: Factory, clock) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    treater, colleague = factory.partner_treater(), factory.partner_treater()
    client_treater, manager = factory.client_treater(), factory.manager()
    assert _open(admin, text_id).status_code == 200

    response = _give(admin, text_id, treater)

    assert response.status_code == 302
    row = _fresh(text_id)
    assert (row.triage_state, row.given_to_id) == ("given", treater.user.id)
    assert "Givet till" in text_of(admin.get(LIST))
    assert [text.id for text in unmatched_texts_given_to(treater.user)] == [text_id]
    assert unmatched_text_count_for(treater.user) == 1
    for other in (colleague, client_treater, manager):
        assert unmatched_texts_given_to(other.user) == []
        assert unmatched_text_count_for(other.user) == 0
    hers = _browser(app, treater, clock)
    home = text_of(hers.get("/partner/"))
    assert 'id="work-unmatched_text-none"' in home and "Partnerkontakt (1)" in home
    assert f'href="{MINE}"' in home and WORDS not in home
    assert 'id="work-unmatched_text' not in text_of(_browser(app, colleague, clock).get("/"))
    listed = text_of(hers.get(MINE))
    assert "•••• •• 77" in listed and WORDS not in listed
    assert WORDS in text_of(hers.get(f"{MINE}/{text_id}"))
    assert (
        len(
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == AuditAction.UNMATCHED_SMS_OPENED_BY_TREATER
                )
            ).all()
        )
        == 1
    )
    assert _browser(app, colleague, clock).get(f"{MINE}/{text_id}").status_code == 404
    for other in (client_treater, manager):
        browser = _browser(app, other, clock)
        assert browser.get(MINE).status_code == 403
        assert browser.get(f"{MINE}/{text_id}").status_code == 404
        assert browser.get(LIST).status_code == 403


def test_giving_to_anyone_but_a_partner_contact_treater_is_refused_naming_the_field(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    elsewhere = factory.partner_treater(clinic=factory.clinic())
    ours = factory.partner_treater()
    assert _open(admin, text_id).status_code == 200

    for chosen in (factory.client_treater(), elsewhere):
        response = _give(admin, text_id, chosen)
        assert response.status_code == 400
        assert 'id="treater-error"' in text_of(response)
    token = csrf_token(admin, LIST)
    for value in ("", "abc"):
        response = admin.post(
            f"{LIST}/{text_id}/give", data={"csrf_token": token, "treater": value}
        )
        assert response.status_code == 400 and 'id="treater-error"' in text_of(response)
    assert _fresh(text_id).triage_state == "waiting"
    assert _give(admin, text_id, ours).status_code == 302


def test_a_text_nobody_opened_cannot_be_given_or_destroyed(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)

    assert _give(admin, text_id, factory.partner_treater()).status_code == 409
    token = csrf_token(admin, LIST)
    response = admin.post(f"{LIST}/{text_id}/discard", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 409
    assert _fresh(text_id).triage_state == "waiting"


def test_placing_it_on_a_held_case_puts_it_among_her_replies(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.partner_treater()
    partner_case = _held_case(factory, clock, treater)
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    _open(admin, text_id)
    _give(admin, text_id, treater)
    waited_under = _fresh(text_id).data_key_id
    hers = _browser(app, treater, clock)
    page = text_of(hers.get(f"{MINE}/{text_id}"))
    assert "Maja Påhittad" in page  # the case she holds, by her partner's name

    response = submit(
        hers, f"{MINE}/{text_id}", {"case_id": str(partner_case.id)}, f"{MINE}/{text_id}/place"
    )

    assert response.status_code == 302
    row = _fresh(text_id)
    assert (row.partner_case_id, row.clinic_id, row.triage_state) == (
        partner_case.id,
        partner_case.clinic_id,
        "placed",
    )
    assert row.data_key_id == partner_case.data_key_id
    assert (row.body, row.sender) == (WORDS, NEW_NUMBER)
    assert load_data_key(waited_under).is_shredded
    replies = text_of(hers.get(f"/partner/cases/{partner_case.id}?view=texts"))
    assert WORDS in replies
    assert "•••• •• 77" not in text_of(hers.get(MINE))
    assert unmatched_text_count_for(treater.user) == 0
    # Off her worklist, and not back on it as a new reply: she read it to place it.
    home = text_of(hers.get("/partner/"))
    assert 'id="work-unmatched_text' not in home and 'id="work-reply' not in home
    listed = text_of(admin.get(LIST))
    assert "•••• •• 77" not in listed and str(partner_case.id)[:8] not in listed
    assert hers.get(f"{MINE}/{text_id}").status_code == 404


def test_placing_it_on_a_case_she_does_not_hold_answers_404(
    app: Flask, factory: Factory, clock
) -> None:
    treater, colleague = factory.partner_treater(), factory.partner_treater()
    _held_case(factory, clock, treater)
    theirs = _held_case(factory, clock, colleague, phone="070-222 33 44")
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    _open(admin, text_id)
    _give(admin, text_id, treater)
    hers = _browser(app, treater, clock)
    assert str(theirs.id) not in text_of(hers.get(f"{MINE}/{text_id}"))

    for case_id in (theirs.id, uuid.uuid4()):
        response = submit(
            hers, f"{MINE}/{text_id}", {"case_id": str(case_id)}, f"{MINE}/{text_id}/place"
        )
        assert response.status_code == 404
    refused = submit(hers, f"{MINE}/{text_id}", {"case_id": "nonsense"}, f"{MINE}/{text_id}/place")
    assert refused.status_code == 400 and 'id="case_id-error"' in text_of(refused)
    row = _fresh(text_id)
    assert (row.triage_state, row.partner_case_id) == ("given", None)


def test_handing_it_back_makes_it_wait_for_the_administrators_again(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.partner_treater()
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    _open(admin, text_id)
    _give(admin, text_id, treater)
    hers = _browser(app, treater, clock)

    response = submit(hers, f"{MINE}/{text_id}", {}, f"{MINE}/{text_id}/hand-back")

    assert response.status_code == 302
    row = _fresh(text_id)
    assert (row.triage_state, row.given_to_id) == ("waiting", None)
    assert unmatched_texts_given_to(treater.user) == []
    assert "Väntar" in text_of(admin.get(LIST))


def test_destroying_it_after_confirmation_destroys_its_words(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    _open(admin, text_id)
    page = f"{LIST}/{text_id}/discard"
    asked = admin.get(page)
    assert asked.status_code == 200 and WORDS not in text_of(asked)

    refused = submit(admin, page, {})
    assert refused.status_code == 400
    assert 'href="#confirm"' in text_of(refused)
    assert "Bekräfta att sms:et ska förstöras." in text_of(refused)
    assert _fresh(text_id).body == WORDS

    assert submit(admin, page, {"confirm": "y"}).status_code == 302
    row = _fresh(text_id)
    assert row.triage_state == "discarded"
    with pytest.raises(KeyShredded):
        _ = row.body
    assert "•••• •• 77" not in text_of(admin.get(LIST))
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.UNMATCHED_SMS_DISCARDED)
    ).one().resource_id == str(text_id)


def test_a_stop_from_an_unknown_number_still_opts_it_out_and_waits(
    app: Flask, factory: Factory, clock
) -> None:
    text_id = _text(clock, body="STOPP")

    assert is_opted_out(phone_index(NEW_NUMBER))
    assert _fresh(text_id).triage_state == "waiting"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_administrators_deciding_at_once_one_wins_and_nothing_fails(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.partner_treater()
    admins = [factory.admin() for _ in range(2)]
    browsers = [_browser(app, admins[number % 2], clock) for number in range(6)]
    text_id = _text(clock)
    assert _open(browsers[0], text_id).status_code == 200
    tokens = [csrf_token(browser, LIST) for browser in browsers]
    treater_id = str(treater.user.id)  # read here: the threads have no application context
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def decide(number: int) -> None:
        start.wait()
        if number % 2:
            form = {"csrf_token": tokens[number], "confirm": "y"}
            url = f"{LIST}/{text_id}/discard"
        else:
            form = {"csrf_token": tokens[number], "treater": treater_id}
            url = f"{LIST}/{text_id}/give"
        statuses.append(browsers[number].post(url, data=form).status_code)

    threads = [threading.Thread(target=decide, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(statuses) == Counter({302: 1, 409: 5})
    row = _fresh(text_id)
    assert row.triage_state in ("given", "discarded")
    decided = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.action.in_(
                [AuditAction.UNMATCHED_SMS_GIVEN, AuditAction.UNMATCHED_SMS_DISCARDED]
            )
        )
    ).all()
    assert len(decided) == 1


# What a page shows does not depend on the database.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_nobody_else_reads_a_word_of_it_on_any_page(app: Flask, factory: Factory, clock) -> None:
    """Every page each other role reaches, every GET route with the text's id, after it was
    opened and given: the words and the number appear on none."""
    treater = factory.partner_treater()
    text_id = _text(clock, body="KanarieOkantNummer")
    admin_account = factory.admin()
    admin = _browser(app, admin_account, clock)
    _open(admin, text_id)
    _give(admin, text_id, treater)
    values = {"text_id": text_id}
    starts = ["/"] + [
        sample_url(rule, values)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static"
    ]
    others = [
        admin_account,
        factory.admin(clinic=factory.clinic()),
        factory.partner_treater(),
        factory.client_treater(),
        factory.manager(),
    ]
    for account in others:
        pages = crawl(app, account, clock, starts)
        clock.advance(seconds=31)
        leaked = [
            url
            for url, body in pages.items()
            if b"KanarieOkantNummer" in body or b"9998877" in body
        ]
        assert leaked == [], account.user.role
        if account is admin_account:
            # The crawl reached the list, where it is shown masked.
            assert any("•••• •• 77".encode() in body for body in pages.values())


def test_an_administrator_takes_a_text_back_from_a_treater_who_cannot_place_it(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.partner_treater()
    text_id = _text(clock)
    admin = _browser(app, factory.admin(), clock)
    _open(admin, text_id)
    _give(admin, text_id, treater)
    elsewhere = _browser(app, factory.admin(clinic=factory.clinic()), clock)
    token = csrf_token(elsewhere, LIST)
    assert (
        elsewhere.post(f"{LIST}/{text_id}/take-back", data={"csrf_token": token}).status_code == 404
    )

    token = csrf_token(admin, LIST)
    response = admin.post(f"{LIST}/{text_id}/take-back", data={"csrf_token": token})

    assert response.status_code == 302
    row = _fresh(text_id)
    assert (row.triage_state, row.given_to_id) == ("waiting", None)
    assert unmatched_texts_given_to(treater.user) == []
    again = admin.post(f"{LIST}/{text_id}/take-back", data={"csrf_token": token})
    assert again.status_code == 409
