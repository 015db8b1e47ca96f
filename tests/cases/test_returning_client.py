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
