"""A client with a new partner during treatment: each partner has a case of her own behind her
own hand-over, the client side tells them apart by number only, and nothing of one partner
is ever shown on the other's case."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import func, select

from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.db import db
from partnercontact.partner_side.errors import HandoverInvalid
from partnercontact.partner_side.models import PartnerCase, PartnerHandover
from partnercontact.partner_side.relay_inbox import relayed_events
from partnercontact.partner_side.service import partner_case_for, partner_details, pick_up
from partnercontact.policy import Role
from partnercontact.relay.handover import PartnerDetails, hand_over, handovers_seen_by_client_side
from partnercontact.tasks.models import ScheduledTask
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Account, Factory
from tests.helpers import log_in, sample_url, submit, text_of
from tests.web.canary import PARTNER, SeededCase, crawl, seed_partner_side

FIRST = PartnerDetails(
    name="Maja Påhittad",
    phone="070-765 43 21",
    address="Storgatan 1, 123 45 Lindvik",
    relation="former",
    children_in_common="yes",
    protected_identity=False,
)
SCOPES = ["contact_letter", "contact_phone", "contact_sms", "tell_in_treatment"]
SECOND = PartnerDetails(
    name="Lina Uppdiktad",
    phone="073-222 11 00",
    address="Nyvägen 9, 234 56 Ekby",
    relation="current",
    children_in_common="no",
    protected_identity=False,
)


def _cases(client_id: uuid.UUID) -> list[PartnerCase]:
    from partnercontact.client_side.cases.models import TreatmentEpisode

    return list(
        db.session.scalars(
            select(PartnerCase)
            .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
            .where(TreatmentEpisode.client_id == client_id)
            .order_by(PartnerCase.partner_number)
        )
    )


@pytest.fixture
def two_partners(factory: Factory, clock):
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock, scopes=SCOPES)
    hand_over(treater.user, client_id, FIRST)
    stamp = hand_over(treater.user, client_id, SECOND, new_partner=True)
    db.session.commit()
    assert (stamp.kind, stamp.partner) == ("initial", 2)
    return treater, client_id


def test_each_partner_has_her_own_case_and_sees_only_her_own_details(
    factory: Factory, two_partners
) -> None:
    treater, client_id = two_partners
    first, second = _cases(client_id)
    assert (first.partner_number, second.partner_number) == (1, 2)
    holder = factory.partner_treater().user
    for case in (first, second):
        pick_up(holder, case.id)
    db.session.commit()

    (of_first,) = partner_details(holder, partner_case_for(holder, first.id))
    (of_second,) = partner_details(holder, partner_case_for(holder, second.id))

    assert of_first.details.name == "Maja Påhittad"
    assert of_second.details.name == "Lina Uppdiktad" and of_second.details.relation == "current"
    stamps = handovers_seen_by_client_side(treater.user, client_id)
    assert [(stamp.kind, stamp.partner) for stamp in stamps] == [("initial", 1), ("initial", 2)]


def test_a_correction_names_its_partner_once_there_are_two(two_partners) -> None:
    treater, client_id = two_partners
    corrected = PartnerDetails(**{**SECOND.__dict__, "phone": "0739998877"})
    with pytest.raises(HandoverInvalid) as refused:
        hand_over(treater.user, client_id, corrected)
    assert refused.value.field == "partner"
    db.session.rollback()
    with pytest.raises(HandoverInvalid) as unknown:
        hand_over(treater.user, client_id, corrected, partner=3)
    assert unknown.value.field == "partner"
    db.session.rollback()

    stamp = hand_over(treater.user, client_id, corrected, partner=2)
    db.session.commit()

    assert (stamp.kind, stamp.partner) == ("correction", 2)
    first, second = _cases(client_id)
    phones = {
        case.partner_number: {
            note.phone
            for note in db.session.scalars(
                select(PartnerHandover).where(PartnerHandover.partner_case_id == case.id)
            )
        }
        for case in (first, second)
    }
    assert phones == {1: {"+46707654321"}, 2: {"+46732221100", "+46739998877"}}


def test_a_relayed_event_reaches_every_partner_and_the_end_closes_both(
    factory: Factory, two_partners, clock
) -> None:
    treater, client_id = two_partners
    first, second = _cases(client_id)
    holders = [factory.partner_treater().user, factory.partner_treater().user]
    for holder, case in zip(holders, (first, second), strict=True):
        pick_up(holder, case.id)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    db.session.commit()

    for holder, case in zip(holders, (first, second), strict=True):
        events = relayed_events(holder, partner_case_for(holder, case.id))
        assert [event.kind for event in events] == ["treatment_started"]
    deadlines = db.session.scalars(
        select(ScheduledTask.partner_case_id).where(ScheduledTask.kind == "relay_deadline")
    ).all()
    assert sorted(deadlines) == sorted([first.id, second.id])

    end_episode(treater.user, client_id, outcome="completed", ended_on=clock.now().date())
    db.session.commit()
    db.session.expire_all()
    assert [case.closing_since for case in _cases(client_id)] == [clock.now().date()] * 2


def _browser(app: Flask, account: Account, clock):
    db.session.rollback()
    clock.advance(seconds=31)
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def test_the_hand_over_page_asks_which_partner_once_there_is_one(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    hand_over(treater.user, client_id, FIRST)
    db.session.commit()
    browser = _browser(app, treater, clock)
    page = f"/client/{client_id}/handover"
    form = {
        "partner_name": "Lina Uppdiktad",
        "partner_phone": "073-222 11 00",
        "partner_address": "",
        "relation": "current",
        "children_in_common": "no",
    }
    assert 'name="partner"' in text_of(browser.get(page))
    db.session.rollback()

    unchosen = submit(browser, page, form)

    assert unchosen.status_code == 400 and 'id="partner-error"' in text_of(unchosen)
    assert "Lina Uppdiktad" in text_of(unchosen)  # nothing typed is lost
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PartnerHandover)) == 1

    added = submit(browser, page, form | {"partner": "new"})

    assert added.status_code == 302
    client_page = text_of(browser.get(f"/client/{client_id}"))
    assert "Partner 2:" in client_page
    assert "Lina" not in client_page
    db.session.rollback()
    assert [case.partner_number for case in _cases(client_id)] == [1, 2]


def test_two_partners_of_one_client_never_see_each_others_details(
    app: Flask, factory: Factory, clock, two_partners
) -> None:
    """The canary: each partner's case, worked in full by its own treater, and every page its
    treater reaches (asked about both cases directly too) holds nothing of the other."""
    treater, client_id = two_partners
    first, second = _cases(client_id)
    holders = [factory.account(Role.PARTNER_TREATER), factory.account(Role.PARTNER_TREATER)]
    seeded = []
    for number, (holder, case, details) in enumerate(
        zip(holders, (first, second), (FIRST, SECOND), strict=True)
    ):
        pick_up(holder.user, case.id)
        db.session.commit()
        tag = ("Forsta", "Andra")[number]
        markers = seed_partner_side(holder.user, case, tag)
        markers |= {details.name: PARTNER, details.address.split(",")[0]: PARTNER}
        seeded.append(SeededCase(tag, client_id, uuid.uuid4(), case.id, markers))

    for mine, theirs, holder in ((0, 1, holders[0]), (1, 0, holders[1])):
        starts = ["/"]
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and rule.endpoint != "static":
                starts += [sample_url(rule, seeded[n].url_values) for n in (mine, theirs)]
        db.session.rollback()
        pages = crawl(app, holder, clock, starts)
        everything = b"".join(pages.values())
        found = [
            f"{marker!r} of partner {theirs + 1} on {url}"
            for marker in seeded[theirs].markers
            for url, body in pages.items()
            if marker.encode() in body
        ]
        assert found == []
        # The crawl reached her own: the test would see the other's if it were shown.
        own = [m for m, side in seeded[mine].markers.items() if side == PARTNER]
        assert len(own) > 5 and [m for m in own if m.encode() not in everything] == []
        clock.advance(seconds=31)
