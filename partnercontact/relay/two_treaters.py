"""The two-treater rule as the client side needs it: whether someone may become the client's
treater, given who holds the partner side of his episode. One yes or no; the client side
never learns who holds the partner case."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select

from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase, TreaterException


def may_treat_client(user_id: int, episode_id: uuid.UUID) -> bool:
    """False when ``user_id`` holds the partner case of the episode and no administrator
    recorded an exception for that person and episode."""
    holds_partner_side = exists().where(
        PartnerCase.episode_id == episode_id, PartnerCase.treater_id == user_id
    )
    excepted = exists().where(
        TreaterException.episode_id == episode_id, TreaterException.user_id == user_id
    )
    return not db.session.scalar(select(holds_partner_side & ~excepted))
