"""Which consent covers a day, and so which kinds may cross on it."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select

from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.relay.kinds import SCOPE_NEEDED, RelayKind


def consent_in_force_on(episode_id: uuid.UUID, day: date) -> Consent | None:
    """The consent in force on ``day``: given on or before it and not withdrawn by then (a
    consent withdrawn on a day no longer covers that day)."""
    return db.session.scalar(
        select(Consent)
        .where(
            Consent.episode_id == episode_id,
            Consent.state == "given",
            Consent.signed_on <= day,
            or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > day),
        )
        .order_by(Consent.signed_on.desc(), Consent.recorded_at.desc())
        .limit(1)
    )


def may_cross(episode_id: uuid.UUID, kind: RelayKind, day: date) -> bool:
    scope = SCOPE_NEEDED[kind]
    if scope is None:
        return True
    consent = consent_in_force_on(episode_id, day)
    return consent is not None and bool(getattr(consent, scope))
