"""The hand-over: the client treater writes the partner's details into the partner side.

The client side may write here and never read back. :func:`hand_over` seals what it is given
and returns nothing of it; :func:`handovers_seen_by_client_side` selects the kind and date of
each note and no other column, so the partner's details are not even loaded for the client
side, let alone shown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import client_for
from partnercontact.client_side.consent.service import active_consent
from partnercontact.crypto.service import create_data_key
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.identifiers import normalise_phone
from partnercontact.partner_side.errors import HandoverInvalid
from partnercontact.partner_side.models import PartnerCase, PartnerDetails, PartnerHandover
from partnercontact.partner_side.scheduling.plan import on_handed_over
from partnercontact.phones import phone_index
from partnercontact.policy import Permission, can
from partnercontact.relay.emit import deadlines_from_hand_over
from partnercontact.relay.two_treaters import may_hold_partner_side
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

RELATIONS = ("current", "former")
CHILDREN_IN_COMMON = ("yes", "no", "unknown")
MAX_NAME = 200
MAX_ADDRESS = 500


@dataclass(frozen=True)
class HandoverStamp:
    """All the client side ever learns of a hand-over: that it happened, and when."""

    kind: str
    handed_over_on: date
    # Which of the client's treatment periods it was made in.
    episode_id: uuid.UUID
    # Which partner of the period it is about: 1 for the first, 2 for the next.
    partner: int = 1


def _validated(details: PartnerDetails) -> PartnerDetails:
    name = details.name.strip()
    if not name or len(name) > MAX_NAME:
        raise HandoverInvalid(
            _l("Enter the partner's name (at most 200 characters)."), field="partner_name"
        )
    phone = None
    if details.phone and details.phone.strip():
        try:
            phone = normalise_phone(details.phone)
        except ValueError:
            raise HandoverInvalid(
                _l("The phone number is not valid: write a Swedish number or one starting with +."),
                field="partner_phone",
            ) from None
    address = (details.address or "").strip() or None
    if address and len(address) > MAX_ADDRESS:
        raise HandoverInvalid(
            _l("The address is too long (at most 500 characters)."), field="partner_address"
        )
    if phone is None and address is None:
        raise HandoverInvalid(
            _l("Enter at least a phone number or an address to reach the partner by."),
            field="partner_phone",
        )
    if details.relation not in RELATIONS:
        raise HandoverInvalid(
            _l("Choose whether she is a current or a former partner."), field="relation"
        )
    if details.children_in_common not in CHILDREN_IN_COMMON:
        raise HandoverInvalid(
            _l("Choose whether they have children in common."), field="children_in_common"
        )
    return PartnerDetails(
        name=name,
        phone=phone,
        address=address,
        relation=details.relation,
        children_in_common=details.children_in_common,
        protected_identity=bool(details.protected_identity),
    )


def _partner_to_write(
    episode_id: uuid.UUID, partner: int | None, new_partner: bool
) -> tuple[uuid.UUID, uuid.UUID, int] | None:
    """The case (id, data key, number) a hand-over in the episode is about, or None for a new
    partner. Only those columns are read: the client side never loads the partner case
    itself (her answer, the state of the contact)."""
    cases = db.session.execute(
        select(PartnerCase.id, PartnerCase.data_key_id, PartnerCase.partner_number)
        .where(PartnerCase.episode_id == episode_id)
        .order_by(PartnerCase.partner_number)
    ).all()
    if new_partner:
        if partner is not None:
            raise HandoverInvalid(
                _l("Choose either a partner to correct or a new partner, not both."),
                field="partner",
            )
        return None
    if partner is None:
        if not cases:
            return None
        if len(cases) > 1:
            raise HandoverInvalid(
                _l("Choose which partner the details are about, or a new partner."),
                field="partner",
            )
        return (cases[0].id, cases[0].data_key_id, cases[0].partner_number)
    for row in cases:
        if row.partner_number == partner:
            return (row.id, row.data_key_id, row.partner_number)
    raise HandoverInvalid(
        _l("There is no such partner in this treatment period: choose one of the list."),
        field="partner",
    )


def _next_partner_number(episode_id: uuid.UUID) -> int:
    """The number a new partner case of the episode gets (the episode is locked)."""
    highest = db.session.scalar(
        select(func.max(PartnerCase.partner_number)).where(PartnerCase.episode_id == episode_id)
    )
    return (highest or 0) + 1


def _previous_episode_id(episode: TreatmentEpisode) -> uuid.UUID | None:
    """The client's treatment period before ``episode``."""
    return db.session.scalar(
        select(TreatmentEpisode.id)
        .where(
            TreatmentEpisode.client_id == episode.client_id,
            TreatmentEpisode.id != episode.id,
            TreatmentEpisode.opened_on <= episode.opened_on,
        )
        .order_by(TreatmentEpisode.opened_on.desc(), TreatmentEpisode.created_at.desc())
        .limit(1)
    )


def _follow_into(episode: TreatmentEpisode, number: int) -> tuple[uuid.UUID, uuid.UUID, int]:
    """Move partner ``number`` of the client's previous treatment period, case and all, into
    ``episode``: her contact re-opens if it was closing or closed, her treater keeps her
    unless that treater now treats the client (then the case waits for another). Returns
    the case's id, data key and number in ``episode``."""
    previous = _previous_episode_id(episode)
    row = (
        db.session.execute(
            select(PartnerCase.id, PartnerCase.data_key_id, PartnerCase.treater_id).where(
                PartnerCase.episode_id == previous, PartnerCase.partner_number == number
            )
        ).first()
        if previous is not None
        else None
    )
    if row is None:
        raise HandoverInvalid(
            _l("The previous treatment period had no such partner: choose one of the list."),
            field="partner",
        )
    new_number = _next_partner_number(episode.id)
    holder = row.treater_id
    if holder is not None and not may_hold_partner_side(holder, episode):
        holder = None
    db.session.execute(
        update(PartnerCase)
        .where(PartnerCase.id == row.id)
        .values(
            episode_id=episode.id,
            partner_number=new_number,
            treater_id=holder,
            closing_since=None,
            closing_outcome=None,
            closed_on=None,
        )
        .execution_options(synchronize_session=False)
    )
    return row.id, row.data_key_id, new_number


def hand_over(
    actor: User,
    client_id: uuid.UUID,
    details: PartnerDetails,
    *,
    partner: int | None = None,
    new_partner: bool = False,
    follow: int | None = None,
) -> HandoverStamp:
    """Hand the partner's details over to the partner side, under a consent that allows
    partner contact. A later hand-over about the same partner (``partner``: her number in the
    episode; needed only once there are several) is a correction: a new note, nothing
    overwritten. ``new_partner`` opens a case for another partner of the client; ``follow``
    (her number in the client's previous treatment period) lets that partner's case follow
    the client into this period instead of opening anew."""
    if not can(actor, Permission.PARTNER_DETAILS_HAND_OVER):
        raise HandoverInvalid(_l("You may not hand over partner details."), field="actor")
    # Locked: two hand-overs of new partners at once get numbers one after the other.
    episode = open_episode_of(actor, client_id, for_change=True)
    consent = active_consent(episode.id)
    if consent is None:
        raise Conflict(
            _l("Partner details can be handed over only under a consent in force."),
            field="consent",
        )
    if consent.signature_pending:
        raise Conflict(
            _l("Attach the signed copy of the consent before handing over partner details."),
            field="consent",
        )
    clean = _validated(details)
    runtime = current_runtime()
    now = runtime.clock.now()
    followed = None
    if follow is not None:
        if partner is not None or new_partner:
            raise HandoverInvalid(
                _l("Choose one partner: to correct, to continue with, or a new one."),
                field="partner",
            )
        followed = _follow_into(episode, follow)
    existing = followed or _partner_to_write(episode.id, partner, new_partner)

    first = existing is None or followed is not None
    if existing is None:
        data_key = create_data_key("partner", keyring=runtime.keyring, clock=runtime.clock)
        case_id, data_key_id = uuid.uuid4(), data_key.id
        number = _next_partner_number(episode.id)
        new_case = PartnerCase(
            id=case_id,
            clinic_id=actor.clinic_id,
            episode_id=episode.id,
            partner_number=number,
            data_key_id=data_key_id,
            protected_identity=clean.protected_identity,
            created_at=now,
        )
        db.session.add(new_case)
    else:
        case_id, data_key_id, number = existing
        # A protected identity, once known, stays until the partner side decides otherwise.
        if clean.protected_identity:
            db.session.execute(
                update(PartnerCase)
                .where(PartnerCase.id == case_id)
                .values(protected_identity=True)
                .execution_options(synchronize_session=False)
            )
    note = PartnerHandover(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        episode_id=episode.id,
        partner_case_id=case_id,
        consent_id=consent.id,
        data_key_id=data_key_id,
        kind="initial" if first else "correction",
        handed_over_on=now.date(),
        recorded_by_id=actor.id,
        recorded_at=now,
        protected_identity=clean.protected_identity,
        name=clean.name,
        phone=clean.phone,
        phone_index=phone_index(clean.phone) if clean.phone else None,
        address=clean.address,
        relation=clean.relation,
        children_in_common=clean.children_in_common,
    )
    db.session.add(note)
    db.session.flush()
    if existing is None:
        on_handed_over(new_case, note.handed_over_on)
    if first:
        deadlines_from_hand_over(actor.clinic, episode.id, case_id, now)
    record_event(
        AuditAction.PARTNER_HANDED_OVER,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="partner_handover",
        resource_id=str(note.id),
    )
    return HandoverStamp(
        kind=note.kind,
        handed_over_on=note.handed_over_on,
        episode_id=note.episode_id,
        partner=number,
    )


def handovers_seen_by_client_side(actor: User, client_id: uuid.UUID) -> list[HandoverStamp]:
    """The kind, date and partner number of each hand-over of the client's episodes, oldest
    first. The partner's number is read from her case and nothing else of it."""
    client = client_for(actor, client_id)
    episode_ids = [episode.id for episode in client.episodes]
    rows = db.session.execute(
        select(
            PartnerHandover.kind,
            PartnerHandover.handed_over_on,
            PartnerHandover.episode_id,
            PartnerCase.partner_number,
        )
        .join(PartnerCase, PartnerCase.id == PartnerHandover.partner_case_id)
        .where(PartnerHandover.episode_id.in_(episode_ids))
        # A partner's first note before her corrections, even made the same moment.
        .order_by(
            PartnerHandover.recorded_at,
            PartnerCase.partner_number,
            case((PartnerHandover.kind == "initial", 0), else_=1),
        )
    )
    return [
        HandoverStamp(kind=kind, handed_over_on=on, episode_id=episode_id, partner=number)
        for kind, on, episode_id, number in rows
    ]


@dataclass(frozen=True)
class PartnersToChoose:
    """For the form that hands over a correction, a new partner or one who follows the
    client: the numbers of the partners of his open treatment period, and of those of his
    previous period who have not followed him into it. Numbers only."""

    in_this_period: list[int]
    in_the_previous: list[int]


def partners_to_choose(actor: User, client_id: uuid.UUID) -> PartnersToChoose:
    """The partners a hand-over in the client's open period may be about (none without an
    open period)."""
    try:
        episode = open_episode_of(actor, client_id)
    except Conflict:
        return PartnersToChoose([], [])
    previous = _previous_episode_id(episode)
    return PartnersToChoose(
        _numbers_in(episode.id), _numbers_in(previous) if previous is not None else []
    )


def _numbers_in(episode_id: uuid.UUID) -> list[int]:
    return list(
        db.session.scalars(
            select(PartnerCase.partner_number)
            .where(PartnerCase.episode_id == episode_id)
            .order_by(PartnerCase.partner_number)
        )
    )
