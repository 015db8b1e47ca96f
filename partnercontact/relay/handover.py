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

from sqlalchemy import select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
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


def hand_over(actor: User, client_id: uuid.UUID, details: PartnerDetails) -> HandoverStamp:
    """Hand the partner's details over to the partner side, under a consent that allows
    partner contact. A second hand-over is a correction: a new note, nothing overwritten."""
    if not can(actor, Permission.PARTNER_DETAILS_HAND_OVER):
        raise HandoverInvalid(_l("You may not hand over partner details."), field="actor")
    episode = open_episode_of(actor, client_id)
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
    # Only the case's id and key are read: the client side never loads the partner case
    # itself (her answer, the state of the contact).
    existing = db.session.execute(
        select(PartnerCase.id, PartnerCase.data_key_id).where(PartnerCase.episode_id == episode.id)
    ).first()
    first = existing is None
    if existing is None:
        data_key = create_data_key("partner", keyring=runtime.keyring, clock=runtime.clock)
        data_key_id = data_key.id
        new_case = PartnerCase(
            id=uuid.uuid4(),
            clinic_id=actor.clinic_id,
            episode_id=episode.id,
            data_key_id=data_key_id,
            protected_identity=clean.protected_identity,
            created_at=now,
        )
        db.session.add(new_case)
    else:
        data_key_id = existing.data_key_id
        # A protected identity, once known, stays until the partner side decides otherwise.
        if clean.protected_identity:
            db.session.execute(
                update(PartnerCase)
                .where(PartnerCase.id == existing.id)
                .values(protected_identity=True)
                .execution_options(synchronize_session=False)
            )
    note = PartnerHandover(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        episode_id=episode.id,
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
    if first:
        on_handed_over(new_case, note.handed_over_on)
        deadlines_from_hand_over(actor.clinic, episode.id, new_case.id, now)
    record_event(
        AuditAction.PARTNER_HANDED_OVER,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="partner_handover",
        resource_id=str(note.id),
    )
    return HandoverStamp(
        kind=note.kind, handed_over_on=note.handed_over_on, episode_id=note.episode_id
    )


def handovers_seen_by_client_side(actor: User, client_id: uuid.UUID) -> list[HandoverStamp]:
    """The kind and date of each hand-over of the client's episodes, oldest first."""
    client = client_for(actor, client_id)
    episode_ids = [episode.id for episode in client.episodes]
    rows = db.session.execute(
        select(PartnerHandover.kind, PartnerHandover.handed_over_on, PartnerHandover.episode_id)
        .where(PartnerHandover.episode_id.in_(episode_ids))
        .order_by(PartnerHandover.recorded_at)
    )
    return [
        HandoverStamp(kind=kind, handed_over_on=on, episode_id=episode_id)
        for kind, on, episode_id in rows
    ]
