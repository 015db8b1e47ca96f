"""What the partner side may know of the client side: two facts, read here and nowhere else.

- The terms of the client's consent a hand-over was made under (whether it is in force, and
  which ways of contact it lifts confidentiality for), because a first contact rests on it.
- Who treats the client, because one person must not treat both sides of a case (also as a
  condition: the episodes some treaters treat).

Each is read by named columns and returned as a small value: no client record, no note and no
consent document reaches the partner side through here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db


@dataclass(frozen=True)
class ConsentTerms:
    """The client's consent as the partner side may read it."""

    is_active: bool
    contact_letter: bool
    contact_phone: bool
    contact_sms: bool


def consent_terms(consent_id: uuid.UUID) -> ConsentTerms | None:
    row = db.session.execute(
        select(
            Consent.state,
            Consent.withdrawn_on,
            Consent.contact_letter,
            Consent.contact_phone,
            Consent.contact_sms,
        ).where(Consent.id == consent_id)
    ).first()
    if row is None:
        return None
    return ConsentTerms(
        is_active=row.state == "given" and row.withdrawn_on is None,
        contact_letter=row.contact_letter,
        contact_phone=row.contact_phone,
        contact_sms=row.contact_sms,
    )


def episodes_treated_by(treater_ids: Any) -> Select[uuid.UUID]:
    """The ids of the episodes whose client one of ``treater_ids`` treats (a bound expanding
    parameter): a colleague covering a treater never covers the other side of a client they,
    or anyone else they act for, treat."""
    return select(TreatmentEpisode.id).where(TreatmentEpisode.treater_id.in_(treater_ids))


def client_treater_of(episode_id: uuid.UUID) -> int | None:
    """The id of the client's treater in the episode a partner case belongs to."""
    return db.session.scalar(
        select(TreatmentEpisode.treater_id).where(TreatmentEpisode.id == episode_id)
    )
