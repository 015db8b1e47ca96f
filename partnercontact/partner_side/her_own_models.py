"""What she decides about her own contact in her portal: a wider safe-contact plan she
proposes (:mod:`partnercontact.partner_side.her_plan` works on it) and a safer phone number or
postal address of her own (:mod:`partnercontact.partner_side.own_details`; the sends read it
through :mod:`partnercontact.partner_side.reach`).

Both are records of her case like every other: sealed under the partner case's data key, never
edited in what they say (a change is a new row; the newest counts), with ``recorded_by_id``
None because she has no account. Nothing here has a foreign key the client side's queries
follow, and the client side is never told that either exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import encrypted
from partnercontact.db import Model, UTCDateTime
from partnercontact.partner_side.models import _PartnerRecord

# The states of a proposal: waiting for her treater, confirmed (a new plan version with its
# terms was saved), declined, or replaced by a newer act of hers on her plan before her treater
# decided.
PROPOSAL_OPEN = "open"
PROPOSAL_CONFIRMED = "confirmed"
PROPOSAL_DECLINED = "declined"
PROPOSAL_REPLACED = "replaced"


class PlanProposal(_PartnerRecord, Model):
    """A safe-contact plan she proposed in her portal that would widen contact. It does not
    take effect: her treater confirms it (a new plan version with exactly these terms) or
    declines it. The terms mirror :class:`~partnercontact.partner_side.models.SafeContactPlan`.

    ``number`` orders her proposals on the case (1, 2, ...); ``based_on_version`` is the plan
    version she saw (None: there was no plan); ``plan_id`` the version the confirmation made.
    """

    __tablename__ = "plan_proposal"

    number: Mapped[int] = mapped_column()
    based_on_version: Mapped[int | None] = mapped_column()
    phone_allowed: Mapped[bool] = mapped_column(default=False)
    sms_allowed: Mapped[bool] = mapped_column(default=False)
    letter_allowed: Mapped[bool] = mapped_column(default=False)
    safe_days: Mapped[str] = mapped_column(String(7), default="")
    safe_from: Mapped[time | None] = mapped_column(Time)
    safe_until: Mapped[time | None] = mapped_column(Time)
    voicemail_allowed: Mapped[bool] = mapped_column(default=False)
    letters_safe_at_address: Mapped[bool] = mapped_column(default=False)
    sender_name = encrypted("sender_name")
    opener = encrypted("opener")
    # One of the PROPOSAL_* states; moved from "open" by a conditional UPDATE only.
    state: Mapped[str] = mapped_column(String(16), default=PROPOSAL_OPEN, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("safe_contact_plan.id"))


class OwnContactDetails(_PartnerRecord, Model):
    """A phone number and/or postal address she gave herself, which replace the hand-over's
    for every later send. The newest row (highest ``number``) counts; a field left empty falls
    back to the newest hand-over note's, so a row with neither is her having removed both.

    ``phone`` is normalised (E.164) and sealed; ``phone_index`` its blind index, by which a
    reply from it finds her case and a STOP from it opts it out, without unsealing anything.
    """

    __tablename__ = "own_contact_details"

    number: Mapped[int] = mapped_column()
    phone = encrypted("phone")
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    address = encrypted("address")
    if TYPE_CHECKING:
        address_ct: Mapped[bytes | None]  # the column encrypted("address") adds
