"""Clinics: every user and every record belongs to exactly one."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime


class Clinic(Model):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # What a partner sees on an envelope or as an SMS sender: it must not reveal the
    # clinic's purpose to someone else who reads her post.
    neutral_sender_name: Mapped[str] = mapped_column(String(100))
    letterhead: Mapped[str] = mapped_column(Text, default="")
    # The return address under the neutral sender name on an envelope, one line per line.
    postal_address: Mapped[str] = mapped_column(Text, default="")
    # The number a partner may call or text back; the first text message names only this and
    # the neutral sender name.
    phone: Mapped[str] = mapped_column(String(32), default="")
    # Who signs letters, e.g. "Kim Berg, kurator".
    letter_signatory: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    verbal_consent_allowed: Mapped[bool] = mapped_column(default=False)
    contact_attempts_required: Mapped[int] = mapped_column(default=3)
    contact_attempt_window_days: Mapped[int] = mapped_column(default=7)
    small_count_threshold: Mapped[int] = mapped_column(default=5)
    # Whether a high risk result also opens an urgent-consultation task for the manager.
    urgent_tasks_to_manager: Mapped[bool] = mapped_column(default=False)
    # Relay a missed session only when this many in a row were missed (1: every one).
    missed_sessions_to_relay: Mapped[int] = mapped_column(default=1)
    # A risk signal from the client's treater that the partner side has not acted on within
    # this many hours (by its urgency) is escalated to the managers.
    risk_signal_urgent_hours: Mapped[int] = mapped_column(default=4)
    risk_signal_soon_hours: Mapped[int] = mapped_column(default=72)
    # Any other relayed event ("inform her if she wishes"), and an urgent task, likewise.
    relay_task_hours: Mapped[int] = mapped_column(default=72)
    urgent_task_hours: Mapped[int] = mapped_column(default=24)
    # A treater who has not logged in for this many days is away: the cases they hold show on
    # the managers' list of cases that wait for someone to act.
    treater_absent_days: Mapped[int] = mapped_column(default=21)
    # The default contact plan (scheduling.plan): what accepting partner contact books.
    # First contact within this many days of the hand-over.
    plan_first_contact_days: Mapped[int] = mapped_column(default=5)
    # A follow-up call this many days after an information letter.
    plan_letter_follow_up_days: Mapped[int] = mapped_column(default=7)
    # This many contact sessions during his treatment, one every so many weeks.
    plan_session_count: Mapped[int] = mapped_column(default=3)
    plan_session_interval_weeks: Mapped[int] = mapped_column(default=4)
    # A closing session when his treatment ends.
    plan_closing_session: Mapped[bool] = mapped_column(default=True)
    # A follow-up session this many months after the closing; 0 for none.
    plan_follow_up_months: Mapped[int] = mapped_column(default=0)
    # Reminders of a session go out this many days before it, at this local time.
    reminder_days_before: Mapped[int] = mapped_column(default=1)
    reminder_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    # Before her safe-contact plan is agreed, a first call to her is made only on these days
    # (ISO weekdays, "12345" for Monday to Friday) between these local times.
    first_contact_days: Mapped[str] = mapped_column(String(7), default="12345")
    first_contact_from: Mapped[time] = mapped_column(Time, default=time(9, 0))
    first_contact_until: Mapped[time] = mapped_column(Time, default=time(17, 0))
    # A second identical letter or text to her within this many minutes asks for confirmation.
    duplicate_message_minutes: Mapped[int] = mapped_column(default=60)
    # The text of a message in her own channel is emptied after this many days; the record
    # that it was written stays.
    portal_message_days: Mapped[int] = mapped_column(default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
