"""What both sides ask of the staffing records: which treaters cannot act, and what a
manager moved to someone lately. Conditions and small lookups; neither side is known here."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from partnercontact.auth.models import User
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.runtime import current_runtime
from partnercontact.staffing.models import Reassignment

# How long a treater's list marks a client or a case as moved to them.
MOVED_LATELY = timedelta(days=30)


def cannot_act(clinic: Clinic) -> ColumnElement[bool]:
    """A condition on :class:`User`: the account is disabled, or has not logged in for the
    clinic's ``treater_absent_days`` (an account that never logged in, once it is that old)."""
    away_since = current_runtime().clock.now() - timedelta(days=clinic.treater_absent_days)
    return or_(
        User.disabled_at.is_not(None),
        User.last_login_at < away_since,
        and_(User.last_login_at.is_(None), User.created_at < away_since),
    )


def moved_to(
    actor: User,
    subject: InstrumentedAttribute[uuid.UUID | None],
    ids: list[uuid.UUID],
) -> dict[uuid.UUID, datetime]:
    """Of ``ids`` (of clients or partner cases, as ``subject`` says), those a manager moved
    to ``actor`` lately, with when (the newest move)."""
    if not ids:
        return {}
    since = current_runtime().clock.now() - MOVED_LATELY
    rows = db.session.execute(
        select(subject, Reassignment.decided_at).where(
            Reassignment.to_user_id == actor.id,
            Reassignment.decided_at > since,
            subject.in_(ids),
        )
    )
    moved: dict[uuid.UUID, datetime] = {}
    for subject_id, decided_at in rows:
        if subject_id is not None and (subject_id not in moved or decided_at > moved[subject_id]):
            moved[subject_id] = decided_at
    return moved
