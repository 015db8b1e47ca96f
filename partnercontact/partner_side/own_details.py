"""A safer phone number or postal address of her own, given in her portal (docs/domain.md,
"Her own channel").

What she gives replaces the hand-over's for every later send
(:func:`partnercontact.partner_side.reach.current_reach`), field by field, until she replaces or
removes it; removing falls back to the newest hand-over note's. Text messages still waiting in
the outbox follow her at once: they go to the number that counts now, or are cancelled when
there is none. Each change is a new row (the newest counts) and a task for her treater
(``OWN_DETAILS``). The client side never sees what she gave and is never told that she gave
anything: nothing here emits a relay event.

Her own page shows only the last digits of her number and whether she gave an address; her
treater's page shows the details themselves only to staff who may see her details (for a
protected partner, those named for her), as the hand-over's are shown.

Audited without content; functions flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.identifiers import normalise_phone
from partnercontact.partner_side import portal_tasks
from partnercontact.partner_side.her_own_models import OwnContactDetails
from partnercontact.partner_side.messaging import status
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.reach import current_reach, own_details
from partnercontact.partner_side.rules import latest_plan
from partnercontact.partner_side.service import audit, clinic_of, is_named_for, lock_case
from partnercontact.phones import phone_index, receives_text_messages
from partnercontact.runtime import current_runtime

MAX_ADDRESS = 500
# How much of her number her own page shows: enough for her to recognise it, too little for
# anyone looking over her shoulder to call it.
SHOWN_DIGITS = 2
PHONE = "phone"
ADDRESS = "address"


class OwnDetailsInvalid(DomainError):
    """What she typed is not a number or an address we can use; ``field`` names it."""


# --- her side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnDetailsForHer:
    """Her own details as her page shows them: the last digits of her number (None: she gave
    none), whether she gave an address, and the day she last changed them (the clinic's
    calendar)."""

    phone_ending: str | None
    has_address: bool
    changed_on: str | None


def _ending(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-SHOWN_DIGITS:]


def own_details_for_her(identity: PortalIdentity) -> OwnDetailsForHer:
    """What her page shows of her own details. Audited as her reading them."""
    partner_case = case_of(identity)
    own = own_details(partner_case)
    audit_her(AuditAction.OWN_DETAILS_VIEWED_BY_HER, partner_case)
    if own is None:
        return OwnDetailsForHer(None, False, None)
    phone = own.phone
    zone = clinic_zone(clinic_of(partner_case))
    return OwnDetailsForHer(
        phone_ending=_ending(phone) if phone else None,
        has_address=own.address_ct is not None,
        changed_on=own.recorded_at.astimezone(zone).strftime("%Y-%m-%d"),
    )


def _clean_phone(raw: str | None, partner_case: PartnerCase) -> str | None:
    if not (raw or "").strip():
        return None
    try:
        phone = normalise_phone(raw or "")
    except ValueError:
        raise OwnDetailsInvalid(
            _l("Write the number as 070-123 45 67, or starting with +."), field=PHONE
        ) from None
    # A text to a number that cannot take one is lost, or read aloud to whoever answers: while
    # her plan allows text messages (or no plan says yet), her number must be a mobile.
    plan = latest_plan(partner_case)
    texts_wanted = plan is None or plan.sms_allowed
    if texts_wanted and not receives_text_messages(phone):
        raise OwnDetailsInvalid(
            _l(
                "This number cannot receive text messages. Give a mobile number, or first "
                "turn off text messages in your plan."
            ),
            field=PHONE,
        )
    return phone


def _clean_address(raw: str | None) -> str | None:
    lines = [line.strip() for line in (raw or "").splitlines()]
    address = "\n".join(line for line in lines if line)
    if not address:
        return None
    if len(address) > MAX_ADDRESS:
        raise OwnDetailsInvalid(
            _l("The address is too long (at most 500 characters)."), field=ADDRESS
        )
    return address


def _lock(partner_case: PartnerCase) -> None:
    """One change of her details at a time: numbers are handed out in order."""
    lock_case(partner_case)


def _record(
    partner_case: PartnerCase, phone: str | None, address: str | None, now: datetime
) -> OwnContactDetails:
    previous = own_details(partner_case)
    row = OwnContactDetails(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=None,
        recorded_at=now,
        number=(previous.number + 1) if previous is not None else 1,
        phone=phone,
        phone_index=phone_index(phone) if phone else None,
        address=address,
    )
    db.session.add(row)
    db.session.flush()
    _follow_her(partner_case, now)
    portal_tasks.open_task(partner_case, portal_tasks.OWN_DETAILS, subject_id=row.id)
    return row


def _follow_her(partner_case: PartnerCase, now: datetime) -> None:
    """Texts still waiting in the outbox go to the number that counts now, or are cancelled
    when there is none. One already handed to the transport is past changing."""
    reach = current_reach(partner_case)
    waiting = db.session.scalars(
        select(SmsMessage)
        .where(SmsMessage.partner_case_id == partner_case.id, SmsMessage.state == "queued")
        # Locked, in one order, so the worker either took a message first (and it is no longer
        # queued when the lock is granted) or finds it pointed at her number now.
        .order_by(SmsMessage.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for message in waiting:
        if message.state != "queued" or message.to_index == reach.phone_index:
            continue
        if reach.phone is None or reach.phone_index is None:
            status.cancel(message, "no_number", now)
            continue
        message.to_number = reach.phone
        message.to_index = reach.phone_index
    db.session.flush()


def give_own_details(
    identity: PortalIdentity, *, phone: str | None, address: str | None
) -> OwnContactDetails:
    """She gives a number and/or an address of her own. What she leaves empty stays as it
    was (hers if she gave one before, else the hand-over's): only :func:`remove_own_detail`
    removes. Raises :class:`OwnDetailsInvalid` naming ``phone`` or ``address``."""
    partner_case = case_of(identity)
    clean_phone = _clean_phone(phone, partner_case)
    clean_address = _clean_address(address)
    if clean_phone is None and clean_address is None:
        raise OwnDetailsInvalid(_l("Write a phone number, an address, or both."), field=PHONE)
    _lock(partner_case)
    now = current_runtime().clock.now()
    previous = own_details(partner_case)
    row = _record(
        partner_case,
        clean_phone or (previous.phone if previous is not None else None),
        clean_address or (previous.address if previous is not None else None),
        now,
    )
    audit_her(AuditAction.OWN_DETAILS_GIVEN, partner_case)
    return row


def remove_own_detail(identity: PortalIdentity, which: str) -> OwnContactDetails:
    """She removes her own number (``which`` :data:`PHONE`) or address (:data:`ADDRESS`):
    sends fall back to the hand-over's. Nothing of hers to remove raises :class:`Conflict`."""
    if which not in (PHONE, ADDRESS):
        raise OwnDetailsInvalid(_l("Choose what to remove."), field="which")
    partner_case = case_of(identity)
    _lock(partner_case)
    previous = own_details(partner_case)
    kept_phone = previous.phone if previous is not None else None
    kept_address = previous.address if previous is not None else None
    if (kept_phone if which == PHONE else kept_address) is None:
        raise Conflict(_l("There is nothing of yours to remove."), field="which")
    row = _record(
        partner_case,
        None if which == PHONE else kept_phone,
        None if which == ADDRESS else kept_address,
        current_runtime().clock.now(),
    )
    audit_her(AuditAction.OWN_DETAILS_REMOVED, partner_case)
    return row


# --- her treater's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnDetailsForStaff:
    """What her treater's case page shows: that she gave a number and/or an address of her own
    and when; the details themselves only to staff who may see her details (``shown``)."""

    has_phone: bool
    has_address: bool
    changed_at: datetime
    shown: bool
    phone: str | None
    address: str | None


def own_details_for_treater(actor: User, partner_case: PartnerCase) -> OwnDetailsForStaff | None:
    """Her own details for the case page, or None if she never gave any. The caller has loaded
    the case through the partner services; the read of the details is audited when shown."""
    own = own_details(partner_case)
    if own is None:
        return None
    shown = is_named_for(actor, partner_case)
    phone = own.phone if shown else None
    address = own.address if shown else None
    if shown:
        audit(AuditAction.OWN_DETAILS_VIEWED, actor, partner_case)
    return OwnDetailsForStaff(
        has_phone=own.phone_index is not None,
        has_address=own.address_ct is not None,
        changed_at=own.recorded_at,
        shown=shown,
        phone=phone,
        address=address,
    )
