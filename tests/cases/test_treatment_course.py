"""The episode's course: assessment, treatment with its sessions, and one ending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import TreatmentEpisode, TreatmentSession
from partnercontact.client_side.cases.status import MOVES, EpisodeStatus, may_move
from partnercontact.db import db
from partnercontact.errors import Conflict
from tests.cases_built import client_of
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater()


def _sessions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(TreatmentSession))


def test_the_moves_of_an_episode() -> None:
    assert may_move("assessment", "in_treatment") and may_move("in_treatment", "completed")
    assert not may_move("assessment", "completed")  # never started
    for ended in ("completed", "dropped_out", "ended_by_clinic"):
        assert EpisodeStatus(ended) not in MOVES  # an ending is final
        assert not may_move(ended, "in_treatment")


def test_a_treatment_is_started_attended_and_completed(treater, clock) -> None:
    client_id = client_of(treater.user)
    today = clock.now().date()
    with pytest.raises(Conflict):
        record_session(treater.user, client_id, held_on=today, attendance="attended")
    start_treatment(treater.user, client_id, started_on=today)
    record_session(treater.user, client_id, held_on=today, attendance="attended")
    record_session(treater.user, client_id, held_on=today, attendance="missed")
    end_episode(treater.user, client_id, ended_on=today, outcome="completed")
    db.session.commit()
    episode = db.session.scalar(select(TreatmentEpisode))
    assert (episode.status, episode.started_on) == ("completed", today)
    assert [s.attendance for s in episode.sessions] == ["attended", "missed"]
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count("episode.session_recorded") == 2 and "episode.started" in actions


def test_nothing_is_recorded_on_an_ended_episode(treater, clock) -> None:
    client_id = client_of(treater.user)
    today = clock.now().date()
    start_treatment(treater.user, client_id, started_on=today)
    end_episode(treater.user, client_id, ended_on=today, outcome="ended_by_clinic")
    db.session.commit()
    with pytest.raises(Conflict):
        record_session(treater.user, client_id, held_on=today, attendance="attended")
    with pytest.raises(Conflict):
        start_treatment(treater.user, client_id, started_on=today)
    assert _sessions() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"attendance": "late"}, "attendance"),
        ({"held_on": None}, "held_on"),
        ({"days": 1}, "held_on"),
        ({"days": -1}, "held_on"),  # before the treatment started
    ],
)
def test_a_bad_session_names_the_field_and_writes_nothing(treater, clock, changes, field):
    client_id = client_of(treater.user)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    db.session.commit()
    changes = dict(changes)  # the parameters are shared by both databases' runs
    values = {"attendance": "attended", "held_on": clock.now().date()}
    if "days" in changes:
        values["held_on"] = clock.now().date() + timedelta(days=changes.pop("days"))
    values.update(changes)
    with pytest.raises(ClientInvalid) as refused:
        record_session(treater.user, client_id, **values)
    assert refused.value.field == field
    assert _sessions() == 0


def test_starting_and_recording_through_the_pages(client, treater, clock) -> None:
    client_id = client_of(treater.user)
    log_in(client, treater, clock)
    page = f"/client/{client_id}"
    today = clock.now().date().isoformat()
    assert submit(client, f"{page}/episode/start", {"started_on": today}).status_code == 302
    response = submit(client, f"{page}/sessions/new", {"held_on": today, "attendance": ""})
    assert response.status_code == 400 and 'id="attendance-error"' in text_of(response)
    response = submit(client, f"{page}/sessions/new", {"held_on": today, "attendance": "missed"})
    assert response.status_code == 302
    overview = text_of(client.get(page))
    assert "I behandling" in overview and "Uteblivet (utan återbud)" in overview
