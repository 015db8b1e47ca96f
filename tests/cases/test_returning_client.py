"""A client who comes back after his last treatment period ended gets a new one: it starts in
assessment, his earlier consent does not carry over, and a partner contact in it is a new
hand-over and a new partner case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.episodes import open_new_episode
from partnercontact.client_side.consent.service import active_consent
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side.models import PartnerCase
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Account, Factory
from tests.helpers import log_in, submit, text_of

DETAILS = PartnerDetails(
    name="Maja Påhittad",
    phone="070-765 43 21",
    address="Storgatan 1, 123 45 Lindvik",
    relation="former",
    children_in_common="yes",
    protected_identity=False,
)


@pytest.fixture
def treater(factory: Factory) -> Account:
    return factory.client_treater()


def _came_back(treater: Account, clock) -> tuple:
    """A client with a consent and a hand-over in a first period that ended in a dropout."""
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    hand_over(treater.user, client_id, DETAILS)
    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()
    clock.advance(days=40)
    return client_id


def test_a_new_period_has_no_consent_until_one_is_recorded_and_a_hand_over_of_its_own(
    app: Flask, treater: Account, clock, client: FlaskClient
) -> None:
    client_id = _came_back(treater, clock)
    log_in(client, treater, clock)
    page = text_of(client.get(f"/client/{client_id}"))
    assert 'id="open-new-episode"' in page

    opened = submit(client, f"/client/{client_id}/episode/new", {"opened_on": ""})
    assert opened.status_code == 400 and 'id="opened_on-error"' in text_of(opened)
    today = clock.now().date().isoformat()
    opened = submit(client, f"/client/{client_id}/episode/new", {"opened_on": today})
    assert opened.status_code == 302

    db.session.rollback()
    page = text_of(client.get(f"/client/{client_id}"))
    assert "Registrera samtycke" in page  # asked again: the first consent does not carry over
    assert "Lämna över partnerns uppgifter" not in page  # nothing to hand over under

    with pytest.raises(Exception) as refused:
        hand_over(treater.user, client_id, DETAILS)
    assert refused.value.status in (400, 409)
    db.session.rollback()
    signed_consent_of(treater.user, client_id, clock)
    hand_over(treater.user, client_id, DETAILS)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PartnerCase)) == 2


def test_a_new_period_is_refused_while_one_is_open_or_before_the_last_ended(
    treater: Account, clock
) -> None:
    client_id = client_of(treater.user)
    with pytest.raises(Exception) as still_open:
        open_new_episode(treater.user, client_id, opened_on=clock.now().date())
    assert still_open.value.status == 409 and still_open.value.field == "opened_on"
    db.session.rollback()
    ended_on = clock.now().date()
    end_episode(treater.user, client_id, ended_on=ended_on, outcome="dropped_out")
    db.session.commit()
    with pytest.raises(Exception) as too_early:
        open_new_episode(treater.user, client_id, opened_on=ended_on - timedelta(days=1))
    assert too_early.value.status == 400 and too_early.value.field == "opened_on"
    db.session.rollback()
    with pytest.raises(Exception) as future:
        open_new_episode(treater.user, client_id, opened_on=ended_on + timedelta(days=1))
    assert future.value.field == "opened_on"
    db.session.rollback()
    episode = open_new_episode(treater.user, client_id, opened_on=ended_on)
    db.session.commit()
    assert episode.status == "assessment" and active_consent(episode.id) is None


def test_only_his_own_treater_opens_a_new_period(factory: Factory, treater: Account, clock) -> None:
    client_id = client_of(treater.user)
    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()
    with pytest.raises(NotFound):
        open_new_episode(factory.client_treater().user, client_id, opened_on=clock.now().date())


def test_a_client_moved_in_keeps_the_date_his_treatment_began(
    app: Flask, treater: Account, clock, client: FlaskClient
) -> None:
    from partnercontact.client_side.cases.ending import start_treatment
    from partnercontact.client_side.cases.models import TreatmentEpisode

    log_in(client, treater, clock)
    today = clock.now().date()
    form = {"name": "Olle Påhittad", "phone": "070-123 45 67", "language": "sv"}
    for bad in ((today + timedelta(days=1)).isoformat(), today.replace(year=today.year - 6)):
        refused = submit(client, "/client/new", {**form, "opened_on": str(bad)})
        assert refused.status_code == 400 and 'id="opened_on-error"' in text_of(refused)
    began = today - timedelta(days=200)
    registered = submit(client, "/client/new", {**form, "opened_on": began.isoformat()})
    assert registered.status_code == 302
    db.session.rollback()
    episode = db.session.scalar(select(TreatmentEpisode))
    assert episode.opened_on == began
    # Later steps may carry the dates they really had, as early as the first meeting.
    start_treatment(treater.user, episode.client_id, started_on=began + timedelta(days=30))
    db.session.commit()
    assert episode.started_on == began + timedelta(days=30)


def test_her_case_follows_him_into_the_new_period_with_its_history_and_her_treater(
    factory: Factory, treater: Account, clock
) -> None:
    from partnercontact.client_side.cases.ending import start_treatment
    from partnercontact.partner_side.relay_inbox import relayed_events
    from partnercontact.partner_side.service import partner_case_for, pick_up
    from partnercontact.relay.handover import handovers_seen_by_client_side

    scopes = [
        "contact_letter",
        "contact_phone",
        "contact_sms",
        "tell_in_treatment",
        "tell_when_ended",
    ]
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock, scopes=scopes)
    hand_over(treater.user, client_id, DETAILS)
    holder = factory.partner_treater().user
    (case,) = db.session.scalars(select(PartnerCase)).all()
    pick_up(holder, case.id)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    clock.advance(days=20)
    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()
    assert case.closing_since is not None
    clock.advance(days=40)
    open_new_episode(treater.user, client_id, opened_on=clock.now().date())
    signed_consent_of(treater.user, client_id, clock, scopes=scopes)
    with pytest.raises(Exception) as unknown:
        hand_over(treater.user, client_id, DETAILS, follow=2)
    assert unknown.value.field == "partner"
    db.session.rollback()

    stamp = hand_over(treater.user, client_id, DETAILS, follow=1)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    db.session.commit()

    db.session.expire_all()
    (followed,) = db.session.scalars(select(PartnerCase)).all()
    assert followed.id == case.id and followed.episode_id == stamp.episode_id
    assert (followed.treater_id, followed.closing_since, followed.closed_on) == (
        holder.id,
        None,
        None,
    )
    kinds = [event.kind for event in relayed_events(holder, partner_case_for(holder, case.id))]
    # Both periods' events, in order.
    assert kinds == ["treatment_started", "dropped_out", "treatment_started"]
    stamps = handovers_seen_by_client_side(treater.user, client_id)
    assert [(s.kind, s.episode_id == stamp.episode_id) for s in stamps] == [
        ("initial", False),
        ("initial", True),
    ]


def test_her_case_does_not_follow_to_a_treater_who_now_treats_him(
    factory: Factory, treater: Account, clock
) -> None:
    from partnercontact.client_side.cases.reassignment import reassign_client
    from partnercontact.partner_side.service import pick_up
    from partnercontact.policy import Role

    client_id = _came_back(treater, clock)
    (case,) = db.session.scalars(select(PartnerCase)).all()
    colleague = factory.partner_treater().user
    pick_up(colleague, case.id)
    # The partner treater has since become a client treater, and the returning client is
    # moved to her.
    colleague.role = Role.CLIENT_TREATER.value
    db.session.commit()
    reassign_client(factory.manager().user, client_id, to_user_id=colleague.id, reason="workload")
    db.session.commit()
    open_new_episode(colleague, client_id, opened_on=clock.now().date())
    signed_consent_of(colleague, client_id, clock)

    hand_over(colleague, client_id, DETAILS, follow=1)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(PartnerCase, case.id).treater_id is None  # waits for another


def test_the_hand_over_page_offers_the_previous_periods_partner_to_continue_with(
    app: Flask, treater: Account, clock, client: FlaskClient
) -> None:
    client_id = _came_back(treater, clock)
    open_new_episode(treater.user, client_id, opened_on=clock.now().date())
    signed_consent_of(treater.user, client_id, clock)
    db.session.commit()
    log_in(client, treater, clock)
    page = f"/client/{client_id}/handover"
    assert 'value="follow-1"' in text_of(client.get(page))
    db.session.rollback()
    form = {
        "partner_name": DETAILS.name,
        "partner_phone": DETAILS.phone,
        "partner_address": "",
        "relation": "former",
        "children_in_common": "yes",
    }
    unchosen = submit(client, page, form)
    assert unchosen.status_code == 400 and 'id="partner-error"' in text_of(unchosen)

    followed = submit(client, page, form | {"partner": "follow-1"})

    assert followed.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PartnerCase)) == 1
