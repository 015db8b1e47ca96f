"""The two-treater rule as the client side needs it: whether someone may become the client's
treater, given who holds the partner side of his episode, and which clients a colleague
covering a treater must not see. Yes or no, or a condition; the client side never learns who
holds the partner case."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Exists, Select, exists, select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase, TreaterException


def may_treat_client(user_id: int, episode_id: uuid.UUID) -> bool:
    """False when ``user_id`` holds the partner case of the episode and no administrator
    recorded an exception for that person and episode."""
    holds_partner_side = exists().where(
        PartnerCase.episode_id == episode_id, PartnerCase.treater_id == user_id
    )
    return not db.session.scalar(select(holds_partner_side & ~_excepted(user_id, episode_id)))


def clients_with_partner_side_held_by(treater_ids: Any) -> Select[uuid.UUID]:
    """The ids of the clients one of whose episodes has a partner case held by one of
    ``treater_ids`` (a bound expanding parameter)."""
    return (
        select(TreatmentEpisode.client_id)
        .join(PartnerCase, PartnerCase.episode_id == TreatmentEpisode.id)
        .where(PartnerCase.treater_id.in_(treater_ids))
    )


def may_hold_partner_side(user_id: int, episode: TreatmentEpisode) -> bool:
    """False when ``user_id`` treats the client of ``episode`` and no administrator recorded
    an exception for that person and episode."""
    if episode.treater_id != user_id:
        return True
    return bool(db.session.scalar(select(_excepted(user_id, episode.id))))


def _excepted(user_id: int, episode_id: uuid.UUID) -> Exists:
    """An administrator's exception lets ``user_id`` hold both treater roles of the episode."""
    return exists().where(
        TreaterException.episode_id == episode_id, TreaterException.user_id == user_id
    )
