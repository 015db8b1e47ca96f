"""The partner's details as the client treater handed them over.

Each hand-over is a note of its own: the first one and every correction after it. Notes are
never edited, so the partner side sees the history of what it was told. The details are
sealed under the partner side's data key, which is not the client's case key: partner
contact can outlive the client's treatment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Time, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime


@dataclass(frozen=True)
class PartnerDetails:
    """What a hand-over note says of her, as the client treater wrote it (validated by the
    hand-over, :mod:`partnercontact.relay.handover`)."""

    name: str
    phone: str | None
    address: str | None
    relation: str
    children_in_common: str
    protected_identity: bool


class PartnerHandover(SealedRecord, Model):
    __tablename__ = "partner_handover"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    # The partner it is about: a client may have more than one partner in an episode, each
    # with a case of her own, and a note is only ever read for its own case.
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # "initial" for the first note of a partner, "correction" for every later one.
    kind: Mapped[str] = mapped_column(String(16))
    handed_over_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    name = encrypted("name")
    phone = encrypted("phone")
    # Blind index of the normalised phone number: a reply is matched to her by it.
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    address = encrypted("address")
    # "current" or "former"; sealed with the rest: it is about her, not about the client.
    relation = encrypted("relation")
    children_in_common = encrypted("children_in_common")
    # Stays in the clear so lists, letters and SMS can refuse her without unsealing anything.
    protected_identity: Mapped[bool] = mapped_column(default=False)
    # When one who works her case was first shown the note: a correction waits on her
    # treater's worklist until then.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PartnerCase(Model):
    """The partner side of one partner of one treatment episode, opened by her first
    hand-over. A client with a new partner during treatment has a case for each.

    Everything below hangs off it and is sealed under its data key (the same key as the
    hand-over notes). Nothing here has a foreign key the client side's queries follow.
    """

    __tablename__ = "partner_case"
    __table_args__ = (
        UniqueConstraint("episode_id", "partner_number", name="uq_partner_case_episode_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    # 1 for the episode's first partner, 2 for the next: all the client side knows to tell
    # them apart by when it hands over a correction.
    partner_number: Mapped[int] = mapped_column(default=1, server_default="1")
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    treater_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The partner's current answer (vocabulary.ANSWERS); its history is in partner_answer.
    answer: Mapped[str] = mapped_column(String(16), default="pending")
    # Set from the hand-over or by the partner side; restricts her details to named staff.
    protected_identity: Mapped[bool] = mapped_column(default=False)
    # She ended the contact herself; the offer still stands and can be re-opened.
    contact_ended_on: Mapped[date | None] = mapped_column()
    # The client's treatment ended on this date, so the partner contact is closing: a closing
    # session is offered, then the contact is closed (docs/domain.md, "Step 13: closing").
    # Set by the relay.
    closing_since: Mapped[date | None] = mapped_column()
    closing_outcome: Mapped[str | None] = mapped_column(String(16))
    closed_on: Mapped[date | None] = mapped_column()
    # She started treatment of her own with the clinic: it continues after his ends.
    own_treatment_since: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProtectedAccess(Model):
    """A staff member named to see a protected partner's details."""

    __tablename__ = "protected_access"
    __table_args__ = (UniqueConstraint("partner_case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TreaterException(SealedRecord, Model):
    """An administrator's logged exception: one person may hold both treater roles of a case
    (very small clinics only)."""

    __tablename__ = "treater_exception"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    reason = encrypted("reason")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _PartnerRecord(SealedRecord):
    """Columns every record of a partner case carries."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    if TYPE_CHECKING:
        # Every record is also a Model, whose constructor takes the columns as keywords.
        def __init__(self, **columns: Any) -> None: ...


class SuitabilityDecision(_PartnerRecord, Model):
    """Contact or no contact, and why. The newest decision counts; none is ever deleted."""

    __tablename__ = "suitability_decision"

    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note = encrypted("note")


class PartnerAnswer(_PartnerRecord, Model):
    """Each answer she gave, in order; partner_case.answer holds the newest."""

    __tablename__ = "partner_answer"

    answer: Mapped[str] = mapped_column(String(16))
    answered_on: Mapped[date] = mapped_column()


class PartnerConsent(_PartnerRecord, Model):
    """Her own consent to contact, separate from the client's, with its own withdrawal."""

    __tablename__ = "partner_consent"

    given_on: Mapped[date] = mapped_column()
    contact_phone: Mapped[bool] = mapped_column(default=False)
    contact_sms: Mapped[bool] = mapped_column(default=False)
    contact_letter: Mapped[bool] = mapped_column(default=False)
    sms_reminders: Mapped[bool] = mapped_column(default=False)
    told_when_ended: Mapped[bool] = mapped_column(default=False)
    withdrawn_on: Mapped[date | None] = mapped_column()


class SafeContactPlan(_PartnerRecord, Model):
    """How she may be contacted safely; the newest version counts, older ones are kept."""

    __tablename__ = "safe_contact_plan"

    version: Mapped[int] = mapped_column()
    phone_allowed: Mapped[bool] = mapped_column(default=False)
    sms_allowed: Mapped[bool] = mapped_column(default=False)
    letter_allowed: Mapped[bool] = mapped_column(default=False)
    # ISO weekdays she may be contacted on, e.g. "12345".
    safe_days: Mapped[str] = mapped_column(String(7), default="")
    safe_from: Mapped[time | None] = mapped_column(Time)
    safe_until: Mapped[time | None] = mapped_column(Time)
    voicemail_allowed: Mapped[bool] = mapped_column(default=False)
    letters_safe_at_address: Mapped[bool] = mapped_column(default=False)
    sender_name = encrypted("sender_name")
    opener = encrypted("opener")


class ContactAttempt(_PartnerRecord, Model):
    __tablename__ = "contact_attempt"

    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    # She called the clinic herself: the moment was hers, so her plan's days and hours and
    # the first-contact hours do not bind it.
    called_in: Mapped[bool] = mapped_column(default=False)
    # For a call where she was reached: the treater asked first whether it was safe to talk
    # and she said yes. None where no one was reached.
    safe_to_talk: Mapped[bool | None] = mapped_column()


class ThreatWarning(_PartnerRecord, Model):
    """A decision that she must be warned of an imminent threat although she declined or
    ended contact. Takes effect only once a manager confirms it."""

    __tablename__ = "threat_warning"

    reason = encrypted("reason")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Or a manager rejected it, with a reason from a closed list (vocabulary).
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(32))
    # When her treater was first shown the manager's decision (the worklist's mark).
    decision_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendDecision(_PartnerRecord, Model):
    """A logged decision allowing one specific send to a partner with protected personal
    data. Used once."""

    __tablename__ = "send_decision"

    channel: Mapped[str] = mapped_column(String(16))
    reason = encrypted("reason")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactPause(_PartnerRecord, Model):
    """She said it is not safe now (or her treater recorded it for her): every contact with
    her waits until she or her treater lifts it. ``recorded_by_id`` is None when she set it
    herself, in her portal."""

    __tablename__ = "contact_pause"

    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Lifted by her (in her portal) rather than by a member of staff.
    lifted_by_her: Mapped[bool] = mapped_column(default=False)


class SafetyOverride(Model):
    """A manager's logged decision that the clinic must reach her once outside the safety
    steps: it names the step it overrides and the channel, and is spent by one contact."""

    __tablename__ = "safety_override"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    # The step overridden and the reason, each a key of a closed list (vocabulary).
    rule: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class RiskAssessment(_PartnerRecord, Model):
    __tablename__ = "risk_assessment"

    instrument: Mapped[str] = mapped_column(String(32))
    # The version of the instrument's item list the ratings follow; None before items were
    # recorded (partnercontact.assessments.instruments).
    instrument_version: Mapped[int | None] = mapped_column()
    assessed_on: Mapped[date] = mapped_column()
    level: Mapped[str] = mapped_column(String(16))
    next_review_on: Mapped[date | None] = mapped_column()
    # Item key -> rating, as JSON.
    ratings = encrypted("ratings")
    notes = encrypted("notes")


URGENT_FOR_PARTNER_TREATER = "partner_treater"
URGENT_FOR_MANAGER = "manager"


# An urgent task names exactly one of what can open one.
URGENT_TASK_ONE_SOURCE = (
    "(CASE WHEN risk_assessment_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN portal_task_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN outcome_id IS NULL THEN 0 ELSE 1 END) = 1"
)
OUTCOME_ANSWERS = "'yes', 'no', 'not_asked'"


class ContactOutcome(_PartnerRecord, Model):
    """Her answers to the outcome questions at a held session or a call that reached her:
    codes of closed lists only, so that they can be counted; what she said in her own words
    stays in the session's note. Exactly one of ``session_id`` and ``attempt_id``."""

    __tablename__ = "contact_outcome"
    __table_args__ = (
        CheckConstraint("(session_id IS NULL) <> (attempt_id IS NULL)", name="one_contact"),
        CheckConstraint(f"physical_violence IN ({OUTCOME_ANSWERS})", name="physical_violence"),
        CheckConstraint(f"threats IN ({OUTCOME_ANSWERS})", name="threats"),
        CheckConstraint(f"control IN ({OUTCOME_ANSWERS})", name="control"),
        CheckConstraint("fear IN ('less', 'same', 'more', 'not_asked')", name="fear"),
        CheckConstraint(
            "children_exposed IN ('yes', 'no', 'no_children', 'not_asked')",
            name="children_exposed",
        ),
        CheckConstraint("feels_safe IN ('yes', 'partly', 'no', 'not_asked')", name="feels_safe"),
    )

    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_session.id"), unique=True
    )
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contact_attempt.id"), unique=True
    )
    # The day of the contact the answers were given at.
    asked_on: Mapped[date] = mapped_column()
    physical_violence: Mapped[str] = mapped_column(String(16))
    threats: Mapped[str] = mapped_column(String(16))
    control: Mapped[str] = mapped_column(String(16))
    fear: Mapped[str] = mapped_column(String(16))
    children_exposed: Mapped[str] = mapped_column(String(16))
    feels_safe: Mapped[str] = mapped_column(String(16))

    @property
    def contact_id(self) -> uuid.UUID:
        """The session or call the answers were given at."""
        contact_id = self.session_id or self.attempt_id
        assert contact_id is not None  # the one_contact constraint
        return contact_id


class UrgentTask(_PartnerRecord, Model):
    """An urgent consultation opened by a high risk result, by her own report of new
    violence or threats in her portal, or by her telling of them at a contact: exactly one of
    ``risk_assessment_id``, ``portal_task_id`` and ``outcome_id`` names what opened it. Stays
    on the partner side."""

    __tablename__ = "urgent_task"
    __table_args__ = (CheckConstraint(URGENT_TASK_ONE_SOURCE, name="one_source"),)

    risk_assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_assessment.id"))
    # Her report in her portal (its words are sealed on that task, never on this one).
    portal_task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("portal_task.id"))
    # Her answers at a contact (new violence or threats since the last one).
    outcome_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_outcome.id"))
    # URGENT_FOR_PARTNER_TREATER or URGENT_FOR_MANAGER: who must act on it.
    for_role: Mapped[str] = mapped_column(String(32))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handling = encrypted("handling")


class Child(_PartnerRecord, Model):
    __tablename__ = "child"

    # Initials or a first name, as the partner gives it.
    label = encrypted("label")
    age: Mapped[int | None] = mapped_column()
    lives_with_client: Mapped[bool] = mapped_column(default=False)
    regular_contact_with_client: Mapped[bool] = mapped_column(default=False)


class SafetyPlan(_PartnerRecord, Model):
    """A safety plan for the partner (child_id NULL) or for one child; each save is a new
    version."""

    __tablename__ = "safety_plan"

    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("child.id"))
    version: Mapped[int] = mapped_column()
    content = encrypted("content")


class ConcernReport(_PartnerRecord, Model):
    """An orosanmälan (14 kap. 1 § SoL): that it was made, when, by whom, to whom, why."""

    __tablename__ = "concern_report"

    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("child.id"))
    reported_on: Mapped[date] = mapped_column()
    # The social welfare board it went to, e.g. "Socialnämnden i Lindvik".
    board: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
