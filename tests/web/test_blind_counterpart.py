"""The client side is blind to the partner side: two cases that differ only in what the
partner said look the same, byte for byte once ids and tokens are masked, on every page the
client treater can open about them."""

from __future__ import annotations

import uuid
from datetime import time

from flask import Flask
from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side import (
    her_plan,
    own_details,
    pauses,
    portal_access,
    portal_messages,
)
from partnercontact.partner_side.clinical import record_risk_assessment
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.cases_built import client_of, first_steps_taken, signed_consent_of
from tests.factories import Account, Factory
from tests.helpers import log_in, masked, sample_url
from tests.ratings import rated

SAME_PARTNER = PartnerDetails(
    name="Lika Partnersson",
    phone="0701112233",
    address="Likagatan 1",
    relation="current",
    children_in_common="no",
    protected_identity=False,
)


CORRECTED_PARTNER = PartnerDetails(
    name="Lika Partnersson",
    phone="0704445566",
    address="Likagatan 3",
    relation="current",
    children_in_common="no",
    protected_identity=False,
)


def _twin(client_treater: Account, partner_treater: Account, clock) -> tuple[uuid.UUID, ...]:
    client_id = client_of(client_treater.user, name="Lika Klientsson")
    consent = signed_consent_of(client_treater.user, client_id, clock)
    hand_over(client_treater.user, client_id, SAME_PARTNER)
    db.session.commit()
    case_id = db.session.scalar(
        select(PartnerCase.id)
        .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
        .where(TreatmentEpisode.client_id == client_id)
    )
    pick_up(partner_treater.user, case_id)
    db.session.commit()
    return client_id, consent.id, case_id


def _client_side_pages(app: Flask, client, ids: dict[str, uuid.UUID]) -> dict[str, tuple]:
    pages = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("client_side.") or "GET" not in rule.methods:
            continue
        response = client.get(sample_url(rule, ids))
        body = response.get_data()
        if response.mimetype == "text/html":
            body = masked(body.decode()).encode()
        elif response.mimetype == "application/pdf" and rule.endpoint.endswith("form_pdf"):
            body = b"a PDF of %d pages" % body.count(b"/Type /Page\n")
        headers = sorted(
            (key, masked(value))
            for key, value in response.headers.items()
            if key not in ("Date", "Set-Cookie")
        )
        pages[rule.endpoint] = (response.status_code, headers, body)
    return pages


def test_an_accepting_and_a_declining_partner_look_the_same_from_the_client_side(
    app: Flask, factory: Factory, clock
) -> None:
    client_treater = factory.client_treater()
    partner_treater = factory.partner_treater()
    accepting = _twin(client_treater, partner_treater, clock)
    declining = _twin(client_treater, partner_treater, clock)

    # Everything that could differ on the partner side does.
    holder = partner_treater.user
    today = clock.now().date()
    first_steps_taken(holder, accepting[2], clock)  # found suitable, her plan, reached
    record_answer(
        holder,
        accepting[2],
        answer="accepted",
        answered_on=today,
        scopes=["contact_phone", "told_when_ended"],
    )
    record_risk_assessment(
        holder,
        accepting[2],
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=today,
        level="high",
        next_review_on=None,
        notes="Hög risk",
    )
    # She uses her own channel: redeems an invitation, writes, is written to, says it is not
    # safe now. None of it may change a byte the client side sees.
    invitation = portal_access.invite(holder, accepting[2])
    codename = portal_access.redeem(invitation.code, "en lång lösenfras här", address="192.0.2.7")
    her = portal_access.log_in(codename, "en lång lösenfras här", address="192.0.2.7")
    portal_messages.write_from_her(her, "Han vet var jag bor nu.")
    portal_messages.write_to_her(holder, accepting[2], "Vi ringer dig i morgon.")
    pauses.pause_by_her(her)
    # She gives a safer number and address of her own, narrows her plan and proposes more.
    own_details.give_own_details(her, phone="070-222 33 44", address="Hemligvägen 2, Annanstad")
    for channels in (["phone"], ["phone", "sms"]):
        her_plan.change_plan_by_her(
            her,
            her_plan.PlanTerms.given(
                channels=channels,
                safe_days=["1"],
                safe_from=time(9),
                safe_until=time(10),
                voicemail_allowed=False,
                letters_safe_at_address=False,
            ),
        )
    record_answer(holder, declining[2], answer="declined", answered_on=today)
    db.session.commit()
    # The client treater corrects both hand-overs later: nothing says she has a number of her
    # own, and nothing of it is shown.
    for twin in (accepting, declining):
        hand_over(client_treater.user, twin[0], CORRECTED_PARTNER)
    db.session.commit()

    browser = app.test_client()
    log_in(browser, client_treater, clock)
    names = ("client_id", "consent_id", "case_id")
    seen_accepting = _client_side_pages(app, browser, dict(zip(names, accepting, strict=True)))
    seen_declining = _client_side_pages(app, browser, dict(zip(names, declining, strict=True)))
    assert seen_accepting.keys() == seen_declining.keys()
    assert any(status == 200 for status, _, _ in seen_accepting.values())
    for endpoint, page in seen_accepting.items():
        assert page == seen_declining[endpoint], endpoint
        assert b"222 33 44" not in page[2] and b"2223344" not in page[2], endpoint
        assert b"Hemligv" not in page[2], endpoint
