"""Where she is reached now: the one answer every send reads for her phone number, its blind
index and her postal address.

Her own number or address, given in her portal (:mod:`partnercontact.partner_side.own_details`),
counts over the hand-over's, field by field: the newest of hers if she gave one, otherwise the
newest hand-over note's. A later correction from the client side (a new hand-over note) does
not move a send away from what she gave herself: the person who handed her details over may be
the person she is getting away from, and the client side is never told that she gave any.

Text messages, reminders, notices and letters take their number and address from
:func:`current_reach` and nowhere else. Reads only; nothing here is audited (the callers audit
what they do with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side.her_own_models import OwnContactDetails
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import latest_note


@dataclass(frozen=True)
class Reach:
    """Her number (E.164) with its blind index, and her postal address, as they count now;
    each None when there is none. ``phone_is_hers`` / ``address_is_hers``: it is one she gave
    herself, not the hand-over's."""

    phone: str | None
    phone_index: str | None
    address: str | None
    phone_is_hers: bool = False
    address_is_hers: bool = False


def own_details(partner_case: PartnerCase) -> OwnContactDetails | None:
    """Her newest own details, or None if she never gave any."""
    return db.session.scalar(
        select(OwnContactDetails)
        .where(OwnContactDetails.partner_case_id == partner_case.id)
        .order_by(OwnContactDetails.number.desc())
        .limit(1)
    )


def current_reach(partner_case: PartnerCase) -> Reach:
    """Her number, its index and her address that count now: hers where she gave one, the
    newest hand-over note's otherwise."""
    own = own_details(partner_case)
    own_phone = own.phone if own is not None else None
    own_address = own.address if own is not None else None
    note = latest_note(partner_case) if own_phone is None or own_address is None else None
    phone: str | None = None
    index: str | None = None
    phone_is_hers = False
    if own is not None and own_phone and own.phone_index:
        phone, index, phone_is_hers = own_phone, own.phone_index, True
    elif note is not None and note.phone and note.phone_index:
        phone, index = note.phone, note.phone_index
    address: str | None = own_address or None
    address_is_hers = address is not None
    if address is None and note is not None:
        address = note.address
    return Reach(
        phone=phone,
        phone_index=index,
        address=address,
        phone_is_hers=phone_is_hers,
        address_is_hers=address_is_hers,
    )
