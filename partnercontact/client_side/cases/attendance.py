"""Treatment sessions and their attendance, recorded by the client's treater."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import TreatmentSession
from partnercontact.client_side.cases.service import audit
from partnercontact.client_side.cases.status import EpisodeStatus
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.relay.emit import relay_missed_session
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

ATTENDANCE = {
    "attended": _l("Attended"),
    "cancelled": _l("Cancelled in advance"),
    "missed": _l("Missed (no-show)"),
}


def record_session(
    actor: User, client_id: uuid.UUID, *, held_on: date | None, attendance: str
) -> TreatmentSession:
    """Record a session of the client's treatment and whether he came."""
    episode = open_episode_of(actor, client_id, for_change=True)
    if episode.status != EpisodeStatus.IN_TREATMENT:
        raise Conflict(_l("Start the treatment before recording its sessions."), field="episode")
    if attendance not in ATTENDANCE:
        raise ClientInvalid(_l("Choose whether he came."), field="attendance")
    if held_on is None:
        raise ClientInvalid(_l("Enter the date of the session."), field="held_on")
    now = current_runtime().clock.now()
    if held_on > now.date():
        raise ClientInvalid(_l("The date cannot be in the future."), field="held_on")
    if episode.started_on and held_on < episode.started_on:
        raise ClientInvalid(
            _l("The session cannot be before the treatment started."), field="held_on"
        )
    session = TreatmentSession(
        id=uuid.uuid4(),
        episode_id=episode.id,
        held_on=held_on,
        attendance=attendance,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(session)
    db.session.flush()
    audit(AuditAction.SESSION_RECORDED, actor, "episode", episode.id)
    relay_missed_session(actor, episode, session)
    return session
