"""A safer number or address of her own: every later send uses it instead of the hand-over's,
a later correction from the client side does not move it, texts waiting in the outbox follow
her, a reply or a STOP from it finds her case, it is not in a database dump, her page shows
only its last digits, and her treater sees that she gave it (the details only if allowed to
see her details)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side import own_details, portal_access, portal_tasks
from partnercontact.partner_side.her_own_models import OwnContactDetails
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.models import PartnerDetails, ProtectedAccess
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.reach import current_reach
from partnercontact.partner_side.rules import MessageRefused
from partnercontact.phones import phone_index
from partnercontact.relay.handover import hand_over
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import case_view, log_in, text_of
from tests.messaging.sending import Held, held_for_sms, queue
from tests.partners.test_portal_access import _database_text
from tests.portal.test_portal_app import _invited, _post, _redeemed

HANDED_OVER = "+46707654321"  # handed_over_case's "070-765 43 21"
HERS = "070-111 22 33"
HERS_E164 = "+46701112233"
HER_ADDRESS = "Lönngatan 7, 111 22 Annanstad"
CORRECTED = "070-999 88 77"
DETAILS = "/contact-details"


def _send_text(held: Held) -> SmsMessage:
    return queue(held, "call_announcement", confirm_duplicate=True)


def _give(her: FlaskClient, held: Held, **fields: str):
    _redeemed(her, _invited(held))
    return _post(her, DETAILS, {"phone": "", "address": "", **fields})


def _correction_from_the_client_side(held: Held, clock, phone: str = CORRECTED) -> None:
    """A newer hand-over note (a moment later: the newest note counts)."""
    clock.advance(seconds=1)
    episode = db.session.get(TreatmentEpisode, held.case.episode_id)
    assert episode is not None
    hand_over(
        held.client_treater.user,
        episode.client_id,
        PartnerDetails(
            name="Maja Påhittad",
            phone=phone,
            address="Nya gatan 3, 123 45 Lindvik",
            relation="former",
            children_in_common="yes",
            protected_identity=False,
        ),
    )
    db.session.commit()


def _remove(her: FlaskClient, data: dict[str, str]):
    """The remove buttons are on her details page: the form's token comes from there."""
    token = re.search(
        r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', her.get(DETAILS).text
    )
    assert token
    return her.post(DETAILS + "/remove", data={"csrf_token": token.group(1), **data})


def test_the_next_text_goes_to_her_number_and_a_correction_does_not_move_it(
    her: FlaskClient, held: Held, clock
) -> None:
    assert _send_text(held).to_number == HANDED_OVER
    answer = _give(her, held, phone=HERS)
    assert answer.status_code == 302, answer.text
    assert "Sparat." in her.get(DETAILS).text

    assert _send_text(held).to_number == HERS_E164
    # The client treater corrects the hand-over later: her own number still counts.
    _correction_from_the_client_side(held, clock)
    message = _send_text(held)
    assert message.to_number == HERS_E164 and message.to_index == phone_index(HERS)
    reach = current_reach(held.case)
    assert reach.phone_is_hers and reach.address == "Nya gatan 3, 123 45 Lindvik"

    [task] = db.session.scalars(
        select(PortalTask).where(PortalTask.kind == portal_tasks.OWN_DETAILS)
    ).all()
    assert task.subject_id is not None


def test_a_text_waiting_in_the_outbox_follows_her_new_number(her: FlaskClient, held: Held) -> None:
    waiting = _send_text(held)
    _give(her, held, phone=HERS)
    db.session.rollback()
    row = db.session.get(SmsMessage, waiting.id, populate_existing=True)
    assert row is not None and row.state == "queued" and row.to_number == HERS_E164
    send_due_sms()
    db.session.commit()
    sent = db.session.get(SmsMessage, waiting.id, populate_existing=True)
    assert sent is not None and sent.state in ("sent", "delivered")


def test_removing_her_number_falls_back_to_the_hand_over(
    her: FlaskClient, held: Held, clock
) -> None:
    _give(her, held, phone=HERS)
    _correction_from_the_client_side(held, clock)
    confirm = _remove(her, {"which": "phone"})
    assert confirm.status_code == 200 and "Ja, ta bort" in confirm.text
    assert _send_text(held).to_number == HERS_E164  # nothing removed before she confirms
    removed = _remove(her, {"which": "phone", "confirmed": "yes"})
    assert removed.status_code == 302
    assert _send_text(held).to_number == "+46709998877"
    assert 'id="own-none"' in her.get(DETAILS).text
    again = _remove(her, {"which": "phone", "confirmed": "yes"})
    assert again.status_code == 409


def test_a_reply_and_a_stop_from_her_new_number_find_her_case(
    her: FlaskClient, held: Held, clock
) -> None:
    _give(her, held, phone=HERS)
    # No text has gone to her number yet: she is found by the number she gave.
    reply = receive_inbound("SM" + "1" * 32, HERS_E164, "Hej, det är jag", clock.now())
    db.session.commit()
    assert reply is not None and reply.partner_case_id == held.case.id
    stop = receive_inbound("SM" + "2" * 32, HERS_E164, "STOPP", clock.now())
    db.session.commit()
    assert stop is not None and stop.partner_case_id == held.case.id and stop.is_stop
    with pytest.raises(MessageRefused) as refused:
        _send_text(held)
    db.session.rollback()
    assert refused.value.rule == "opted_out"


def test_her_number_and_address_are_not_in_a_database_dump(her: FlaskClient, held: Held) -> None:
    assert _give(her, held, phone=HERS, address=HER_ADDRESS).status_code == 302
    _send_text(held)
    dump = _database_text()
    for secret in (
        HERS,
        HERS_E164,
        HERS_E164[1:],
        "701112233",
        "111 22 33",
        HER_ADDRESS,
        "Lönngatan",
    ):
        assert secret not in dump, secret


def test_her_page_shows_only_the_last_digits(her: FlaskClient, held: Held) -> None:
    _give(her, held, phone=HERS, address=HER_ADDRESS)
    page = her.get(DETAILS).text
    assert "Slutar på 33" in page and 'id="own-address"' in page
    for secret in (HERS, HERS_E164, "1112233", "Lönngatan"):
        assert secret not in page


def test_a_bad_number_is_refused_on_its_field_with_what_she_typed_kept(
    her: FlaskClient, held: Held
) -> None:
    bad = _give(her, held, phone="070-12", address=HER_ADDRESS)
    assert bad.status_code == 400
    assert 'id="phone-error"' in bad.text and 'value="070-12"' in bad.text
    assert HER_ADDRESS in bad.text  # the address she typed is kept too
    # A landline cannot take the texts her plan allows.
    landline = _post(her, DETAILS, {"phone": "08-123 456 78", "address": ""})
    assert landline.status_code == 400 and 'id="phone-error"' in landline.text
    assert "kan inte ta emot sms" in landline.text
    empty = _post(her, DETAILS, {"phone": " ", "address": ""})
    assert empty.status_code == 400 and 'id="phone-error"' in empty.text
    db.session.rollback()
    assert db.session.scalar(select(OwnContactDetails.id)) is None


def test_a_letter_goes_to_her_own_address(her: FlaskClient, held: Held, clock) -> None:
    _give(her, held, address=HER_ADDRESS)
    _correction_from_the_client_side(held, clock)
    letter = letters.preview_letter(held.holder.user, held.case.id, "call_announcement", "sv")
    assert "Lönngatan 7" in letter and "Annanstad" in letter
    assert "Nya gatan" not in letter and "Storgatan" not in letter
    db.session.rollback()
    # Her number is untouched by an address of her own.
    assert _send_text(held).to_number == "+46709998877"


def test_her_treater_sees_that_she_gave_them_and_only_named_staff_the_details(
    factory: Factory, her: FlaskClient, client: FlaskClient, clock
) -> None:
    held = held_for_sms(factory, clock, protected=True)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    _give(her, held, phone=HERS, address=HER_ADDRESS)
    log_in(client, held.holder, clock)
    page = text_of(client.get(case_view(held.case.id, "own-details")))
    assert 'id="own-phone-given"' in page and 'id="own-address-given"' in page
    assert HERS_E164 in page and "Lönngatan 7" in page
    # Not named for her any more: that she gave them, never what.
    db.session.execute(delete(ProtectedAccess))
    db.session.commit()
    page = text_of(client.get(case_view(held.case.id, "own-details")))
    assert 'id="own-phone-given"' in page
    assert HERS_E164 not in page and "Lönngatan" not in page


def test_the_services_refuse_what_is_not_a_number_without_writing(held: Held) -> None:
    invitation = portal_access.invite(held.holder.user, held.case.id)
    codename = portal_access.redeem(invitation.code, "en lång lösenfras här", address="192.0.2.8")
    identity = portal_access.log_in(codename, "en lång lösenfras här", address="192.0.2.8")
    db.session.commit()
    with pytest.raises(own_details.OwnDetailsInvalid) as refused:
        own_details.give_own_details(identity, phone="inte ett nummer", address=None)
    assert refused.value.field == "phone" and refused.value.status == 400
    with pytest.raises(own_details.OwnDetailsInvalid) as too_long:
        own_details.give_own_details(identity, phone=None, address="x" * 501)
    assert too_long.value.field == "address"
    db.session.rollback()
    assert db.session.scalar(select(OwnContactDetails.id)) is None
