"""Her treater offers her own channel from the case page: a code shown once, on that answer
only, that she then redeems on the portal; the case page says whether she has access, and
her treater can end it at once."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from partnercontact.db import db
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import case_view, log_in, submit, text_of
from tests.messaging.sending import held_for_sms
from tests.portal.test_portal_app import CODENAME, PASSPHRASE, _post

CODE = re.compile(r'id="invitation-code">(\d{4}-\d{4}-\d{4})<')


def test_her_treater_offers_the_channel_and_she_redeems_the_code(
    client: FlaskClient, her: FlaskClient, factory: Factory, clock
) -> None:
    held = held_for_sms(factory, clock)
    log_in(client, held.holder, clock)
    case_page = f"/partner/cases/{held.case.id}"
    portal_view = case_view(held.case.id, "portal")
    page = text_of(client.get(portal_view))
    assert 'id="portal"' in page and "Hon har ingen åtkomst." in page

    # Before the safety steps the offer is refused, like any contact, with the step named.
    refused = submit(client, f"{case_page}/portal/offer", {})
    assert refused.status_code == 409 and 'id="missing-step"' in text_of(refused)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()

    offered = submit(client, f"{case_page}/portal/offer", {})
    assert offered.status_code == 200
    code = CODE.search(text_of(offered))
    assert code, text_of(offered)
    assert "Location" not in offered.headers
    assert code.group(1) not in text_of(client.get(portal_view))  # shown once only
    assert "Inbjuden: koden kan användas till" in text_of(client.get(portal_view))

    redeemed = _post(
        her, "/invitation", {"code": code.group(1), "passphrase": PASSPHRASE, "again": PASSPHRASE}
    )
    assert CODENAME.search(redeemed.text)
    assert "Hon har åtkomst." in text_of(client.get(portal_view))

    ended = submit(client, f"{case_page}/portal/revoke", {})
    assert ended.status_code == 302
    assert her.get("/start").status_code == 302  # her session ended with the access
    assert "Hon har ingen åtkomst." in text_of(client.get(portal_view))


def test_another_treater_cannot_offer_or_end_her_channel(
    client: FlaskClient, factory: Factory, clock
) -> None:
    held = held_for_sms(factory, clock)
    other = factory.partner_treater()
    log_in(client, other, clock)
    for action in ("offer", "revoke"):
        page = f"/partner/cases/{held.case.id}/portal/{action}"
        assert client.get(page).status_code == 404
        assert submit(client, "/partner/", {}, action=page).status_code in (400, 404)
