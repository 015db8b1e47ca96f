"""What crosses the wall, and when: each kind only under the consent scope in force on its
date, a withdrawal always, and nothing twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.service import withdraw_consent
from partnercontact.db import db
from partnercontact.relay.emit import relay
from partnercontact.relay.kinds import RelayKind
from partnercontact.relay.models import RelayEvent
from tests.cases_built import client_of, consent_of
from tests.factories import Factory

BOTH = ["contact_letter", "tell_in_treatment", "tell_when_ended"]
STARTED_ONLY = ["contact_letter", "tell_in_treatment"]
ENDED_ONLY = ["contact_letter", "tell_when_ended"]
NEITHER = ["contact_letter", "contact_sms"]


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater()


def _relayed() -> list[tuple[str, date]]:
    db.session.commit()
    return [
        (event.kind, event.occurred_on)
        for event in db.session.scalars(
            select(RelayEvent).order_by(RelayEvent.occurred_on, RelayEvent.recorded_at)
        )
    ]


def _withheld() -> int:
    return len(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "relay.withheld")).all()
    )


def _started(treater, clock, scopes):
    client_id = client_of(treater.user)
    consent_of(treater.user, client_id, clock, scopes=scopes)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    db.session.commit()
    return client_id


@pytest.mark.parametrize(
    ("scopes", "relayed"),
    [(STARTED_ONLY, True), (BOTH, True), (ENDED_ONLY, False), (NEITHER, False)],
)
def test_treatment_started_crosses_only_under_tell_in_treatment(
    treater, clock, scopes, relayed
) -> None:
    _started(treater, clock, scopes)
    today = clock.now().date()
    assert _relayed() == ([("treatment_started", today)] if relayed else [])
    assert _withheld() == (0 if relayed else 1)


ENDINGS = [
    ("dropped_out", "dropped_out"),
    ("completed", "treatment_completed"),
    ("ended_by_clinic", "ended_by_clinic"),
]


@pytest.mark.parametrize(("outcome", "kind"), ENDINGS)
@pytest.mark.parametrize(("scopes", "relayed"), [(ENDED_ONLY, True), (STARTED_ONLY, False)])
def test_an_ending_crosses_only_under_tell_when_ended(
    treater, clock, outcome, kind, scopes, relayed
) -> None:
    client_id = _started(treater, clock, scopes)
    today = clock.now().date()
    end_episode(treater.user, client_id, ended_on=today, outcome=outcome)
    events = [event for event in _relayed() if event[0] != "treatment_started"]
    assert events == ([(kind, today)] if relayed else [])


@pytest.mark.parametrize(("scopes", "relayed"), [(ENDED_ONLY, True), (STARTED_ONLY, False)])
def test_a_missed_session_crosses_only_under_tell_when_ended(
    treater, clock, scopes, relayed
) -> None:
    client_id = _started(treater, clock, scopes)
    today = clock.now().date()
    record_session(treater.user, client_id, held_on=today, attendance="attended")
    record_session(treater.user, client_id, held_on=today, attendance="cancelled")
    assert [e for e in _relayed() if e[0] == "session_missed"] == []
    record_session(treater.user, client_id, held_on=today, attendance="missed")
    missed = [e for e in _relayed() if e[0] == "session_missed"]
    assert missed == ([("session_missed", today)] if relayed else [])


@pytest.mark.parametrize("scopes", [NEITHER, BOTH])
def test_a_withdrawal_always_crosses(treater, clock, scopes) -> None:
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock, scopes=scopes)
    today = clock.now().date()
    withdraw_consent(treater.user, client_id, consent.id, withdrawn_on=today)
    assert _relayed() == [("consent_withdrawn", today)]


def test_withdrawn_mid_episode_and_given_again_later(treater, clock) -> None:
    """Each event is judged by the consent in force on its own date, not on the day it is
    recorded: nothing crosses for the days between the withdrawal and the new consent."""
    client_id = client_of(treater.user)
    day = [clock.now().date() + timedelta(days=n) for n in range(8)]
    first = consent_of(treater.user, client_id, clock, scopes=BOTH)
    start_treatment(treater.user, client_id, started_on=day[0])
    clock.advance(days=1)
    record_session(treater.user, client_id, held_on=day[1], attendance="missed")
    clock.advance(days=1)
    withdraw_consent(treater.user, client_id, first.id, withdrawn_on=day[2])
    record_session(treater.user, client_id, held_on=day[2], attendance="missed")
    clock.advance(days=1)
    record_session(treater.user, client_id, held_on=day[3], attendance="missed")
    clock.advance(days=1)
    db.session.commit()
    # A new consent covers only what happens from its own date on, and only its own scopes.
    consent_of(treater.user, client_id, clock, scopes=ENDED_ONLY, signed_on=day[4])
    record_session(treater.user, client_id, held_on=day[3], attendance="missed")  # late entry
    record_session(treater.user, client_id, held_on=day[4], attendance="missed")
    clock.advance(days=1)
    end_episode(treater.user, client_id, ended_on=day[5], outcome="dropped_out")
    assert _relayed() == [
        ("treatment_started", day[0]),
        ("session_missed", day[1]),
        ("consent_withdrawn", day[2]),
        ("session_missed", day[4]),
        ("dropped_out", day[5]),
    ]
    assert _withheld() == 3  # the missed sessions of days 2 and 3 (twice)


def test_a_new_consent_cannot_reach_back_before_the_withdrawal(treater, clock) -> None:
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock, scopes=BOTH)
    clock.advance(days=2)
    today = clock.now().date()
    withdraw_consent(treater.user, client_id, consent.id, withdrawn_on=today)
    db.session.commit()
    with pytest.raises(ConsentInvalid) as refused:
        consent_of(treater.user, client_id, clock, signed_on=today - timedelta(days=1))
    assert refused.value.field == "signed_on"


def test_the_same_change_twice_is_one_event(treater, clock) -> None:
    client_id = _started(treater, clock, BOTH)
    episode = db.session.scalar(
        select(TreatmentEpisode).where(TreatmentEpisode.client_id == client_id)
    )
    today = clock.now().date()
    first = relay(treater.user, episode, RelayKind.TREATMENT_STARTED, today)
    again = relay(treater.user, episode, RelayKind.TREATMENT_STARTED, today)
    assert first is not None and again is not None and first.id == again.id
    assert _relayed() == [("treatment_started", today)]


@pytest.mark.parametrize(
    ("run_length", "attendance", "relayed_at"),
    [
        # Every missed session.
        (1, ["missed", "missed", "attended", "missed"], [0, 1, 3]),
        # Only the third in a row (and the sixth); a cancellation does not break the run,
        # attending does.
        (3, ["missed", "missed", "attended", "missed", "cancelled", "missed", "missed"], [6]),
        (2, ["missed", "missed", "missed", "missed", "missed"], [1, 3]),
    ],
)
def test_the_clinic_decides_how_many_missed_sessions_in_a_row_cross(
    treater, clock, run_length, attendance, relayed_at
) -> None:
    treater.user.clinic.missed_sessions_to_relay = run_length
    client_id = _started(treater, clock, ENDED_ONLY)
    start = clock.now().date()
    for index, came in enumerate(attendance):
        record_session(treater.user, client_id, held_on=start, attendance=came)
        if index < len(attendance) - 1:
            clock.advance(days=1)
            start = clock.now().date()
    first = clock.now().date() - timedelta(days=len(attendance) - 1)
    expected = [("session_missed", first + timedelta(days=n)) for n in relayed_at]
    assert _relayed() == expected
