"""Contact sessions, reminders to staff and private calendar feeds. The task queue's own
table is in :mod:`partnercontact.tasks.models`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime

# "to_book": planned by the contact plan, no time agreed yet; "booked": a time is agreed;
# "held", "cancelled", "no_show" (she did not come): recorded afterwards, final.
SESSION_STATES = ("to_book", "booked", "held", "cancelled", "no_show")
FINAL_SESSION_STATES = ("held", "cancelled", "no_show")


class ContactSession(SealedRecord, Model):
    """A kontakttillfälle with the partner: planned, booked, then held or not."""

    __tablename__ = "contact_session"
    __table_args__ = (
        CheckConstraint(
            "state IN ('to_book', 'booked', 'held', 'cancelled', 'no_show')", name="state"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # Why it exists (scheduling.plan.PURPOSES): the contact plan's first contact, regular
    # sessions, closing and follow-up, or one the treater added.
    purpose: Mapped[str] = mapped_column(String(16))
    # The plan's target day; the treater books a time near it.
    due_on: Mapped[date | None] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="to_book")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    minutes: Mapped[int | None] = mapped_column()
    # "meeting", "phone" or "video"; set when booked.
    channel: Mapped[str | None] = mapped_column(String(16))
    # What the treater wrote when recording it; sealed like every partner-side note.
    note = encrypted("note")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffReminder(Model):
    """A reminder to one member of staff, shown in the app until they mark it done.

    It names a kind and a case reference, never a name or a word of what was recorded.
    """

    __tablename__ = "staff_reminder"
    # A person's open reminders (the calendar, the reminder list, the menu's count) are read
    # through the index alone, however many they have marked done over the years.
    __table_args__ = (Index("ix_staff_reminder_user_open", "user_id", "done_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    partner_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_case.id"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_session.id"))
    # The task that raised it; not unique on purpose: exactly-once comes from running the task
    # and writing its reminder in one transaction, and a test counts the rows to prove it.
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scheduled_task.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Model):
    """A private iCalendar address for one user. Only a hash of its secret is stored; revoking
    it (or making a new one) makes the old address answer 404."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
