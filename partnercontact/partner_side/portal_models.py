"""Her access to the portal: invitations, the access each one opened, and failed attempts per
source address (:mod:`partnercontact.partner_side.portal_access` works on them).

Nothing here can be read back into a credential: an invitation code and a codename are kept
only as keyed hashes (blind indexes under the key ring's blind-index key), a passphrase only as
an argon2 hash, and a source address only as a keyed hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime


class PortalInvitation(Model):
    """A one-time code her treater read out to her on the phone, valid until ``expires_at``.

    Spent by her redemption (``used_at``) or withdrawn (``withdrawn_at``) by a newer invitation
    or her treater's revocation; either way, never again good for anything."""

    __tablename__ = "portal_invitation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    # The blind index of the code's twelve digits.
    code_index: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalAccess(Model):
    """Her codename and passphrase, made when she redeemed an invitation.

    Good until it is locked (too many wrong passphrases), revoked (by her treater, or by her
    redeeming a newer invitation: ``revoked_by_id`` is then empty) or closed by her."""

    __tablename__ = "portal_access"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("portal_invitation.id"), unique=True
    )
    # The blind index of the codename's words joined by "-".
    codename_index: Mapped[str] = mapped_column(String(64), unique=True)
    passphrase_hash: Mapped[str] = mapped_column(String(255))
    # Wrong passphrases since the last right one.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalAddressFailure(Model):
    """One failed login or redemption from a source address, counted by every worker; rows
    older than the window are purged."""

    __tablename__ = "portal_address_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The blind index of the address as the portal saw it.
    address_index: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
