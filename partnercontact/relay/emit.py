"""Creating relay events: called only by the client side's services, in the transaction of the
change that causes them, after the episode row is locked (``open_episode_of(...,
for_change=True)``).

An event is created only if the consent in force on its date covers its kind; otherwise the
audit log records that it was withheld, and nothing crosses. Creating the same event twice
(kind, date, episode) returns the first one: a repeat is not a new change.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.models import TreatmentEpisode, TreatmentSession
from partnercontact.client_side.cases.service import audit
from partnercontact.client_side.cases.status import EpisodeStatus
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling.kinds import RELAY_DEADLINE
from partnercontact.relay.gate import may_cross
from partnercontact.relay.kinds import RelayKind, time_to_act
from partnercontact.relay.models import RelayEvent
from partnercontact.runtime import current_runtime
from partnercontact.tasks.queue import schedule

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.clinics.models import Clinic

# The event an ending of the episode causes.
ENDING_KINDS = {
    EpisodeStatus.COMPLETED: RelayKind.TREATMENT_COMPLETED,
    EpisodeStatus.DROPPED_OUT: RelayKind.DROPPED_OUT,
    EpisodeStatus.ENDED_BY_CLINIC: RelayKind.ENDED_BY_CLINIC,
}


def relay(
    actor: User,
    episode: TreatmentEpisode,
    kind: RelayKind,
    day: date,
    *,
    reason: str | None = None,
    urgency: str | None = None,
) -> RelayEvent | None:
    """Pass ``kind`` on to the partner side if the consent in force on ``day`` allows it
    (``reason`` and ``urgency``: a risk signal's, checked by its caller)."""
    if not may_cross(episode.id, kind, day):
        audit(AuditAction.RELAY_WITHHELD, actor, "episode", episode.id)
        return None
    existing = db.session.scalar(
        select(RelayEvent).where(
            RelayEvent.episode_id == episode.id,
            RelayEvent.kind == kind,
            RelayEvent.occurred_on == day,
        )
    )
    if existing is not None:
        return existing
    event = RelayEvent(
        episode_id=episode.id,
        kind=kind,
        occurred_on=day,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
        reason=reason,
        urgency=urgency,
    )
    db.session.add(event)
    db.session.flush()
    audit(AuditAction.RELAY_EVENT_CREATED, actor, "relay_event", event.id)
    _check_at_deadline(actor, event)
    return event


def partner_contacts_of(episode_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the episode's partner cases (one per partner handed over), oldest first;
    only the ids: the client side never loads a partner case itself."""
    return list(
        db.session.scalars(
            select(PartnerCase.id)
            .where(PartnerCase.episode_id == episode_id)
            .order_by(PartnerCase.partner_number)
        )
    )


def _deadline_key(event_id: uuid.UUID, case_id: uuid.UUID) -> str:
    # One deadline per event and partner case: each partner's treater acts on it for her.
    return f"{RELAY_DEADLINE}:{event_id}:{case_id}"


def _check_at_deadline(actor: User, event: RelayEvent) -> None:
    """At the event's time to act (:func:`time_to_act`), the worker escalates it to the
    managers unless the partner side has recorded what came of it; once per partner case, by
    its key. An event on an episode without a partner contact has no one to act on it, and
    no deadline."""
    clinic = actor.clinic
    for case_id in partner_contacts_of(event.episode_id):
        schedule(
            RELAY_DEADLINE,
            event.recorded_at + time_to_act(clinic, event.kind, event.urgency),
            _deadline_key(event.id, case_id),
            clinic_id=clinic.id,
            partner_case_id=case_id,
            subject_id=event.id,
        )


def deadlines_from_hand_over(
    clinic: Clinic, episode_id: uuid.UUID, case_id: uuid.UUID, handed_over_at: datetime
) -> None:
    """Events relayed in the episode before this partner's contact was handed over had no
    one to act on them for her, and no deadline: their time to act starts at the hand-over."""
    events = db.session.scalars(select(RelayEvent).where(RelayEvent.episode_id == episode_id))
    for event in events:
        schedule(
            RELAY_DEADLINE,
            handed_over_at + time_to_act(clinic, event.kind, event.urgency),
            _deadline_key(event.id, case_id),
            clinic_id=clinic.id,
            partner_case_id=case_id,
            subject_id=event.id,
        )


def missed_in_a_row(episode: TreatmentEpisode, session: TreatmentSession) -> int:
    """Where ``session`` falls in its run of missed sessions (1 for the first of a run, 0 if
    it was not missed). A session he attended ends a run; one cancelled in advance neither
    counts nor ends it."""
    if session.attendance != "missed":
        return 0
    sessions = db.session.scalars(
        select(TreatmentSession)
        .where(TreatmentSession.episode_id == episode.id)
        .order_by(TreatmentSession.held_on, TreatmentSession.recorded_at, TreatmentSession.id)
    )
    run = 0
    for earlier in sessions:
        if earlier.attendance == "attended":
            run = 0
        elif earlier.attendance == "missed":
            run += 1
        if earlier.id == session.id:
            return run
    return 0


def relay_missed_session(
    actor: User, episode: TreatmentEpisode, session: TreatmentSession
) -> RelayEvent | None:
    """Relay a missed session when it completes a run of the length the clinic has set (and
    again at every further run of that length: with 3, the 3rd, the 6th, ...)."""
    position = missed_in_a_row(episode, session)
    run_length = actor.clinic.missed_sessions_to_relay or 1
    if position == 0 or position % run_length:
        return None
    return relay(actor, episode, RelayKind.SESSION_MISSED, session.held_on)
