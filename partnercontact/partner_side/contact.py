"""The partner-contact treater's contact work on a partner case (docs/domain.md, 3-6).

Suitability, her answer and her own consent, the end of contact, the safe-contact plan, contact
attempts with the unreachable rule, and imminent-threat warnings with a manager's decision on
them (confirmed or rejected). The rules these actions and every sender read (may she be
contacted this way, now?) are in :mod:`.rules`; decisions to send to a protected partner are in
:mod:`.sending`.

Contracts shared by every function here:

- only the treater holding the case records anything (:func:`held_case_for`); anyone else gets
  the same answer as for a case that does not exist, or a conflict for a case nobody holds;
- every input is checked before anything is written; a bad input raises
  :class:`ContactInvalid` naming the form field at fault, and nothing is added to the session;
- records are never edited or deleted: a new decision, answer or plan is a new row, and the
  newest counts;
- functions flush, never commit, and write their audit entry (a tag and the case, never a
  word of content) in the caller's transaction;
- dates and times are the clinic's (``clinic.timezone``): "today" and a safe hour are what
  the clock on the clinic's wall says.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import CursorResult, select, update

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today, clinic_zone
from partnercontact.clinics.models import Clinic
from partnercontact.db import count_rows, db
from partnercontact.errors import Conflict, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import (
    ContactAttempt,
    PartnerAnswer,
    PartnerCase,
    PartnerConsent,
    SafeContactPlan,
    SuitabilityDecision,
    ThreatWarning,
    _PartnerRecord,
)
from partnercontact.partner_side.rules import (
    THREAT_WARNING_LASTS,
    TIMED_CHANNELS,
    Contact,
    ContactNotAllowed,
    check_contact,
    current_partner_consent,
    ever_reached,
    has_opted_out,
    latest_plan,
    newest,
    records_newest_first,
    refused_on,
)
from partnercontact.partner_side.scheduling.plan import (
    cancel_open_sessions,
    on_accepted,
    on_unanswered,
)
from partnercontact.partner_side.service import (
    audit,
    clinic_of,
    held_case_for,
    reference_of,
    reference_of_id,
)
from partnercontact.partner_side.vocabulary import (
    ANSWERS,
    ATTEMPT_OUTCOMES,
    CHANNELS,
    NO_CONTACT_REASONS,
    PARTNER_SCOPES,
    SUITABILITY_DECISIONS,
    THREAT_WARNING_REJECTIONS,
    WEEKDAYS,
)
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from sqlalchemy import Select

NOTE_MAX = 2000
REASON_MAX = 2000
SENDER_NAME_MAX = 100
OPENER_MAX = 200
# The answers that re-open an offer she declined or a contact she ended.
REOPENING_ANSWERS = ("accepted", "pending")
# Declining the offer, she may still ask to be told when he ends treatment (and nothing else).
NOTICE_ONLY = "told_when_ended"

R = TypeVar("R", bound=_PartnerRecord)


# --- helpers ---------------------------------------------------------------------------------


def _now() -> datetime:
    return current_runtime().clock.now()


def _text(value: str | None) -> str | None:
    stripped = (value or "").strip()
    return stripped or None


def date_given(value: date | None, clinic: Clinic, field: str) -> date:
    if value is None:
        raise ContactInvalid(_l("Enter the date."), field=field)
    if value > clinic_today(clinic):
        raise ContactInvalid(_l("The date cannot be in the future."), field=field)
    return value


def _new(
    model: type[R], partner_case: PartnerCase, actor: User, now: datetime, **fields: object
) -> R:
    # data_key_id goes in with the other keywords; SealedRecord sets it first, so sealed
    # fields among them are sealed under the case's key.
    row = model(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=actor.id,
        recorded_at=now,
        **fields,
    )
    db.session.add(row)
    return row


# --- suitability (step 3) --------------------------------------------------------------------


def decide_suitability(
    actor: User,
    case_id: uuid.UUID,
    *,
    decision: str,
    reason: str | None = None,
    note: str | None = None,
) -> SuitabilityDecision:
    """Record whether partner contact suits the case. ``no_contact`` needs a reason from
    ``NO_CONTACT_REASONS``; the reason ``other`` needs a note (sealed). Each decision is a new
    row and the newest counts, so a decision is reversed by recording another."""
    partner_case = held_case_for(actor, case_id)
    if decision not in SUITABILITY_DECISIONS:
        raise ContactInvalid(_l("Choose whether to contact the partner."), field="decision")
    clean_note = _text(note)
    if clean_note and len(clean_note) > NOTE_MAX:
        raise ContactInvalid(_l("The note is too long (at most 2000 characters)."), field="note")
    if decision == "no_contact":
        if reason not in NO_CONTACT_REASONS:
            raise ContactInvalid(
                _l("Choose why the partner is not to be contacted."), field="reason"
            )
        if reason == "other" and not clean_note:
            raise ContactInvalid(_l("Describe the reason in the note."), field="note")
    elif reason:
        raise ContactInvalid(
            _l("A reason goes only with a decision not to contact the partner."), field="reason"
        )
    row = _new(
        SuitabilityDecision,
        partner_case,
        actor,
        _now(),
        decision=decision,
        reason=reason if decision == "no_contact" else None,
        note=clean_note,
    )
    db.session.flush()
    audit(AuditAction.SUITABILITY_DECIDED, actor, partner_case)
    return row


def suitability_history(partner_case: PartnerCase) -> list[SuitabilityDecision]:
    """Every decision of the case, newest first."""
    return records_newest_first(SuitabilityDecision, partner_case)


# --- her answer, her consent, the end of contact (step 6) -----------------------------------


def record_answer(
    actor: User,
    case_id: uuid.UUID,
    *,
    answer: str,
    answered_on: date | None,
    scopes: Iterable[str] = (),
) -> PartnerAnswer:
    """Record her answer to the offer of contact.

    ``accepted`` is recorded together with her own consent, which names at least one of
    ``PARTNER_SCOPES``; other answers take no scopes. The newest answer is the case's answer.
    The offer stands even after she said no or ended the contact (docs/domain.md, "Step 6: her
    answer and her own consent"): a new ``accepted`` or ``pending`` answer re-opens it and clears a
    recorded end of contact. ``declined`` and ``unreachable`` leave an end of contact in place:
    neither re-opens anything, and contact after her ending must come from her own new answer.
    """
    partner_case = held_case_for(actor, case_id)
    clinic = clinic_of(partner_case)
    if answer not in ANSWERS:
        raise ContactInvalid(_l("Choose her answer."), field="answer")
    day = date_given(answered_on, clinic, "answered_on")
    chosen = list(scopes)
    if any(scope not in PARTNER_SCOPES for scope in chosen):
        raise ContactInvalid(_l("Choose only from the listed things."), field="scopes")
    if answer == "accepted" and not chosen:
        raise ContactInvalid(_l("Choose at least one thing she consents to."), field="scopes")
    if answer == "declined" and chosen not in ([], [NOTICE_ONLY]):
        raise ContactInvalid(
            _l(
                "When she declines, the only thing she can still ask for is to be told when "
                "he ends treatment."
            ),
            field="scopes",
        )
    if answer not in ("accepted", "declined") and chosen:
        raise ContactInvalid(
            _l("Her consent is recorded only with an accepted offer."), field="scopes"
        )
    now = _now()
    row = _new(PartnerAnswer, partner_case, actor, now, answer=answer, answered_on=day)
    partner_case.answer = answer
    if answer in REOPENING_ANSWERS:
        partner_case.contact_ended_on = None
    consent = None
    if chosen:
        consent = _new(
            PartnerConsent,
            partner_case,
            actor,
            now,
            given_on=day,
            **{scope: scope in chosen for scope in PARTNER_SCOPES},
        )
    db.session.flush()
    audit(AuditAction.PARTNER_ANSWER_RECORDED, actor, partner_case)
    if consent is not None:
        audit(AuditAction.PARTNER_CONSENT_RECORDED, actor, partner_case)
    if answer == "accepted":
        on_accepted(partner_case, day, actor_id=actor.id)
    return row


def answer_history(partner_case: PartnerCase) -> list[PartnerAnswer]:
    """Every answer she gave, newest first."""
    return records_newest_first(PartnerAnswer, partner_case)


def withdraw_partner_consent(
    actor: User, case_id: uuid.UUID, *, withdrawn_on: date | None
) -> PartnerConsent:
    """She withdraws her own consent. The client's consent is not touched: his consent and
    hers are separate (docs/domain.md, "Step 6: her answer and her own consent")."""
    partner_case = held_case_for(actor, case_id)
    clinic = clinic_of(partner_case)
    consent = current_partner_consent(partner_case)
    if consent is None or consent.withdrawn_on is not None:
        raise Conflict(_l("She has no consent in force to withdraw."), field="consent")
    day = date_given(withdrawn_on, clinic, "withdrawn_on")
    if day < consent.given_on:
        raise ContactInvalid(
            _l("The consent cannot be withdrawn before it was given."), field="withdrawn_on"
        )
    consent.withdrawn_on = day
    db.session.flush()
    audit(AuditAction.PARTNER_CONSENT_WITHDRAWN, actor, partner_case)
    _cancel_planned_sessions(actor, partner_case)
    return consent


def end_contact(actor: User, case_id: uuid.UUID, *, ended_on: date | None) -> PartnerCase:
    """She ends the contact. The offer still stands: recording a new answer re-opens it."""
    partner_case = held_case_for(actor, case_id)
    clinic = clinic_of(partner_case)
    if partner_case.contact_ended_on is not None:
        raise Conflict(_l("She has already ended the contact."), field="contact")
    partner_case.contact_ended_on = date_given(ended_on, clinic, "ended_on")
    db.session.flush()
    audit(AuditAction.PARTNER_CONTACT_ENDED, actor, partner_case)
    _cancel_planned_sessions(actor, partner_case)
    return partner_case


def _cancel_planned_sessions(actor: User, partner_case: PartnerCase) -> None:
    """Nothing left dangling when she withdraws or ends the contact: the sessions not yet held
    are cancelled with their reminders, each audited."""
    for _session in cancel_open_sessions(partner_case, actor_id=actor.id, now=_now()):
        audit(AuditAction.CONTACT_SESSION_CANCELLED, actor, partner_case)


# --- the safe-contact plan -------------------------------------------------------------------


@dataclass(frozen=True)
class SafeContactPlanIn:
    """How she says she may be contacted. ``channels`` are ``CHANNELS`` keys, ``safe_days``
    ``WEEKDAYS`` keys (ISO weekdays, "1" is Monday)."""

    channels: Sequence[str]
    safe_days: Sequence[str]
    safe_from: time | None
    safe_until: time | None
    voicemail_allowed: bool = False
    letters_safe_at_address: bool = False
    sender_name: str | None = None
    opener: str | None = None


def save_safe_contact_plan(
    actor: User, case_id: uuid.UUID, plan: SafeContactPlanIn
) -> SafeContactPlan:
    """Save a new version of her safe-contact plan; older versions are kept.

    Phone and text messages need at least one safe day and a safe time span (from before
    until); a letter needs the confirmation that letters are safe at her address.
    """
    partner_case = held_case_for(actor, case_id)
    channels = set(plan.channels)
    if any(channel not in CHANNELS for channel in channels):
        raise ContactInvalid(_l("Choose only from the listed ways of contact."), field="channels")
    days = set(plan.safe_days)
    if any(day not in WEEKDAYS for day in days):
        raise ContactInvalid(_l("Choose only from the days of the week."), field="safe_days")
    timed = bool(channels & set(TIMED_CHANNELS))
    if timed and not days:
        raise ContactInvalid(
            _l("Choose at least one day when a call or a text message is safe."),
            field="safe_days",
        )
    if (plan.safe_from is None) != (plan.safe_until is None) or (timed and plan.safe_from is None):
        field = "safe_from" if plan.safe_from is None else "safe_until"
        raise ContactInvalid(_l("Enter the safe hours, from and until."), field=field)
    if (
        plan.safe_from is not None
        and plan.safe_until is not None
        and plan.safe_from >= plan.safe_until
    ):
        raise ContactInvalid(_l("The safe hours must end after they begin."), field="safe_until")
    if "letter" in channels and not plan.letters_safe_at_address:
        raise ContactInvalid(
            _l("Letters can be allowed only when they are safe at her address."),
            field="letters_safe_at_address",
        )
    sender_name = _text(plan.sender_name)
    if sender_name and len(sender_name) > SENDER_NAME_MAX:
        raise ContactInvalid(
            _l("The sender name is too long (at most 100 characters)."), field="sender_name"
        )
    opener = _text(plan.opener)
    if opener and len(opener) > OPENER_MAX:
        raise ContactInvalid(
            _l("The opening phrase is too long (at most 200 characters)."), field="opener"
        )
    latest = latest_plan(partner_case)
    row = _new(
        SafeContactPlan,
        partner_case,
        actor,
        _now(),
        version=(latest.version + 1) if latest is not None else 1,
        phone_allowed="phone" in channels,
        sms_allowed="sms" in channels,
        letter_allowed="letter" in channels,
        safe_days="".join(sorted(days)),
        safe_from=plan.safe_from,
        safe_until=plan.safe_until,
        voicemail_allowed=bool(plan.voicemail_allowed),
        letters_safe_at_address=bool(plan.letters_safe_at_address),
        sender_name=sender_name,
        opener=opener,
    )
    db.session.flush()
    audit(AuditAction.SAFE_CONTACT_PLAN_SAVED, actor, partner_case)
    return row


# --- may she be contacted this way, now? -----------------------------------------------------


# --- contact attempts and the unreachable rule ----------------------------------------------


@dataclass(frozen=True)
class AttemptRecorded:
    attempt: ContactAttempt
    # True when this attempt made the case "unreachable" under the clinic's rule.
    marked_unreachable: bool


def record_attempt(
    actor: User,
    case_id: uuid.UUID,
    *,
    channel: str,
    outcome: str,
    attempted_at: datetime | None,
    called_in: bool = False,
    safe_to_talk: bool | None = None,
) -> AttemptRecorded:
    """Record an attempt to contact her, or a call she made to the clinic (``called_in``).

    An attempt passes the rules of contact (:func:`partnercontact.partner_side.rules.check_contact`)
    like a letter or a text: refused before a suitability decision, outside the first-contact
    path before her plan (a first call only within the clinic's first-call hours), after she
    has been reached until her plan is recorded, and outside her plan after that, unless a
    manager's override covers it. A call she made herself was hers to time: no step or plan
    refuses it. A call that reached her needs ``safe_to_talk``: the treater asked first whether
    it was safe to talk, and she said yes (if she said no, the outcome is ``not_safe``).
    Afterwards the unreachable rule runs (:func:`_apply_unreachable_rule`).
    """
    partner_case = held_case_for(actor, case_id)
    clinic = clinic_of(partner_case)
    if channel not in CHANNELS:
        raise ContactInvalid(_l("Choose how you tried to reach her."), field="channel")
    if outcome not in ATTEMPT_OUTCOMES:
        raise ContactInvalid(_l("Choose what came of the attempt."), field="outcome")
    if attempted_at is None:
        raise ContactInvalid(_l("Enter when you tried to reach her."), field="attempted_at")
    if attempted_at.tzinfo is None:
        raise ValueError("record_attempt needs a timezone-aware moment")
    now = _now()
    if attempted_at > now:
        raise ContactInvalid(_l("The time cannot be in the future."), field="attempted_at")
    if called_in and channel != "phone":
        raise ContactInvalid(
            _l("She can call in herself only by phone: choose phone."), field="called_in"
        )
    reached_by_phone = channel == "phone" and outcome == "reached"
    if reached_by_phone and safe_to_talk is not True:
        raise ContactInvalid(
            _l(
                "A call that reached her opens with the question whether it is safe to talk. "
                'Tick that she said it was; if it was not, record the outcome "Not safe to '
                'talk".'
            ),
            field="safe_to_talk",
        )
    contact = Contact(
        kind=channel,
        channel=channel,
        at=attempted_at,
        called_in=called_in,
        # A letter or text recorded here went out by hand: as a first contact it is the
        # neutral kind the clinic sends; a call opens with the safety question.
        opening=True,
    )
    try:
        check_contact(actor, partner_case, contact)
    except ContactNotAllowed as refused:
        field = "attempted_at" if refused.field == "at" else "channel"
        raise refused_on(field, refused) from None
    attempt = _new(
        ContactAttempt,
        partner_case,
        actor,
        now,
        attempted_at=attempted_at,
        channel=channel,
        outcome=outcome,
        called_in=called_in,
        safe_to_talk=True if reached_by_phone else None,
    )
    db.session.flush()
    audit(AuditAction.CONTACT_ATTEMPT_RECORDED, actor, partner_case)
    _escalate_if_unanswered(partner_case, clinic)
    marked = _apply_unreachable_rule(actor, partner_case, clinic, now)
    return AttemptRecorded(attempt, marked)


def _escalate_if_unanswered(partner_case: PartnerCase, clinic: Clinic) -> None:
    """The first contact went unanswered as many times as the clinic requires: her treater
    and the managers get a reminder (once per series of attempts)."""
    if partner_case.answer != "pending" or ever_reached(partner_case):
        return
    attempts = _series(partner_case)
    if len(attempts) < max(1, clinic.contact_attempts_required):
        return
    on_unanswered(partner_case, attempts[0].id)


def window_end(first: date, business_days: int) -> date:
    """The last day of a window of ``business_days`` business days (Monday to Friday) that
    starts on ``first``; ``first`` is the window's first business day if it is one."""
    day = first
    counted = 1 if first.isoweekday() <= 5 else 0
    while counted < max(1, business_days):
        day += timedelta(days=1)
        if day.isoweekday() <= 5:
            counted += 1
    return day


def _series(partner_case: PartnerCase, *, until: datetime | None = None) -> list[ContactAttempt]:
    """The attempts recorded since her newest answer before ``until`` (all of them if she
    has none): a re-opened offer starts counting afresh."""
    answers = select(PartnerAnswer.recorded_at).where(
        PartnerAnswer.partner_case_id == partner_case.id
    )
    if until is not None:
        answers = answers.where(PartnerAnswer.recorded_at < until)
    since = db.session.scalar(answers.order_by(PartnerAnswer.recorded_at.desc()).limit(1))
    query = select(ContactAttempt).where(ContactAttempt.partner_case_id == partner_case.id)
    if since is not None:
        query = query.where(ContactAttempt.recorded_at > since)
    if until is not None:
        query = query.where(ContactAttempt.recorded_at <= until)
    return list(db.session.scalars(query.order_by(ContactAttempt.attempted_at)))


def _apply_unreachable_rule(
    actor: User, partner_case: PartnerCase, clinic: Clinic, now: datetime
) -> bool:
    """While her answer is pending and no attempt of the current series reached her: once
    ``contact_attempts_required`` attempts fall within ``contact_attempt_window_days`` business
    days of the first one, or the window has passed with at least that many attempts, she is
    marked unreachable (a new answer, by ``actor``), for the treater to review.

    "At least three times within seven business days" (docs/domain.md, "Step 5: first contact"):
    never fewer attempts than the clinic requires, however long it has been.
    """
    if partner_case.answer != "pending":
        return False
    attempts = _series(partner_case)
    required = max(1, clinic.contact_attempts_required)
    if len(attempts) < required or any(a.outcome == "reached" for a in attempts):
        return False
    zone = clinic_zone(clinic)
    days = sorted(attempt.attempted_at.astimezone(zone).date() for attempt in attempts)
    last_day = window_end(days[0], clinic.contact_attempt_window_days)
    within = sum(1 for day in days if day <= last_day)
    if within < required and now.astimezone(zone).date() <= last_day:
        return False
    _new(
        PartnerAnswer,
        partner_case,
        actor,
        now,
        answer="unreachable",
        answered_on=now.astimezone(zone).date(),
    )
    partner_case.answer = "unreachable"
    db.session.flush()
    audit(AuditAction.PARTNER_MARKED_UNREACHABLE, actor, partner_case)
    return True


@dataclass(frozen=True)
class UnreachableReview:
    """The case was marked unreachable by the rule, not by a treater: it needs a look."""

    attempts: int
    marked_on: date


def unreachable_review(partner_case: PartnerCase) -> UnreachableReview | None:
    """The review notice for a case the unreachable rule marked, until a new answer is
    recorded; None otherwise."""
    if partner_case.answer != "unreachable":
        return None
    # The audit chain tells a marking by the rule from an answer a treater recorded; its
    # order (seq) is exact even where two records share a timestamp.
    last = db.session.scalar(
        select(AuditEvent.action)
        .where(
            AuditEvent.resource_type == "partner_case",
            AuditEvent.resource_id == str(partner_case.id),
            AuditEvent.action.in_(
                [AuditAction.PARTNER_ANSWER_RECORDED, AuditAction.PARTNER_MARKED_UNREACHABLE]
            ),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    if last != AuditAction.PARTNER_MARKED_UNREACHABLE:
        return None
    marking = newest(PartnerAnswer, partner_case)
    if marking is None:
        return None
    return UnreachableReview(
        attempts=len(_series(partner_case, until=marking.recorded_at)),
        marked_on=marking.answered_on,
    )


# --- imminent threat (docs/domain.md, step 11) -----------------------------------------------


def record_threat_warning(actor: User, case_id: uuid.UUID, *, reason: str | None) -> ThreatWarning:
    """Record that she must be warned of an imminent threat although she opted out. It waits
    for a manager of the clinic, and takes effect only if the manager confirms it
    (:func:`confirm_threat_warning`), then for ``THREAT_WARNING_LASTS``; a rejected warning
    (:func:`reject_threat_warning`) never takes effect."""
    partner_case = held_case_for(actor, case_id)
    clean = _text(reason)
    if not clean:
        raise ContactInvalid(_l("Describe the threat she must be warned of."), field="reason")
    if len(clean) > REASON_MAX:
        raise ContactInvalid(
            _l("The reason is too long (at most 2000 characters)."), field="reason"
        )
    if not has_opted_out(partner_case):
        raise Conflict(
            _l(
                "A threat warning is for a partner who declined, ended the contact or "
                "withdrew her consent. Contact her as her plan allows."
            ),
            field="reason",
        )
    row = _new(ThreatWarning, partner_case, actor, _now(), reason=clean)
    db.session.flush()
    audit(AuditAction.THREAT_WARNING_RECORDED, actor, partner_case)
    return row


def threat_warnings(partner_case: PartnerCase) -> list[ThreatWarning]:
    """The case's threat warnings, newest first."""
    return records_newest_first(ThreatWarning, partner_case)


WAITING = "waiting"
CONFIRMED = "confirmed"
REJECTED = "rejected"


@dataclass(frozen=True)
class ThreatWarningDecision:
    """Where a warning stands, as the treater holding the case reads it.

    ``state`` is ``waiting`` (no manager has decided), ``confirmed`` or ``rejected``.
    ``decided_at`` is when a manager decided; for a confirmed warning ``in_effect_until`` is
    the moment it stops letting the clinic reach her, and ``in_effect`` whether that is still
    ahead; for a rejected one ``rejection_reason`` is a key of ``THREAT_WARNING_REJECTIONS``.
    """

    state: str
    decided_at: datetime | None = None
    in_effect_until: datetime | None = None
    in_effect: bool = False
    rejection_reason: str | None = None


def threat_warning_in_effect_until(warning: ThreatWarning) -> datetime | None:
    """When a confirmed warning stops letting the clinic reach her; None for a warning no
    manager confirmed (waiting or rejected), which never takes effect."""
    if warning.confirmed_at is None:
        return None
    return warning.confirmed_at + THREAT_WARNING_LASTS


def mark_threat_decisions_seen(warnings: list[ThreatWarning], at: datetime) -> None:
    """A manager's decisions on ``warnings`` were shown to one who works the case: they leave
    her treater's worklist."""
    unseen = [
        warning.id
        for warning in warnings
        if warning.decision_seen_at is None
        and (warning.confirmed_at is not None or warning.rejected_at is not None)
    ]
    if not unseen:
        return
    db.session.execute(
        update(ThreatWarning)
        .where(ThreatWarning.id.in_(unseen), ThreatWarning.decision_seen_at.is_(None))
        .values(decision_seen_at=at)
    )


def threat_warning_decision(warning: ThreatWarning, now: datetime) -> ThreatWarningDecision:
    """The manager's decision on ``warning`` as it stands at ``now``."""
    until = threat_warning_in_effect_until(warning)
    if warning.confirmed_at is not None and until is not None:
        return ThreatWarningDecision(
            CONFIRMED,
            decided_at=warning.confirmed_at,
            in_effect_until=until,
            in_effect=warning.confirmed_at <= now < until,
        )
    if warning.rejected_at is not None:
        return ThreatWarningDecision(
            REJECTED, decided_at=warning.rejected_at, rejection_reason=warning.rejection_reason
        )
    return ThreatWarningDecision(WAITING)


@dataclass(frozen=True)
class ThreatWarningListed:
    """A warning in the manager's list: the case by its neutral reference, and when. Nothing
    else: no reason, and never her name or contact details."""

    id: uuid.UUID
    reference: str
    recorded_at: datetime


@dataclass(frozen=True)
class ThreatWarningForManager(ThreatWarningListed):
    """What a manager reads to decide on one warning: the listing and the reason. Still never
    her name or contact details."""

    reason: str


def _warnings_of_clinic(actor: User) -> Select[ThreatWarning, PartnerCase]:
    # Deny by default: only those who may confirm see any, and only their own clinic's.
    query = select(ThreatWarning, PartnerCase).join(
        PartnerCase, PartnerCase.id == ThreatWarning.partner_case_id
    )
    if not can(actor, Permission.THREAT_WARNINGS_CONFIRM):
        return query.where(ThreatWarning.id.is_(None))
    return query.where(PartnerCase.clinic_id == actor.clinic_id)


# Waiting: no manager has confirmed it and none has rejected it.
_UNDECIDED = (ThreatWarning.confirmed_at.is_(None), ThreatWarning.rejected_at.is_(None))


def _unconfirmed(actor: User) -> Select[ThreatWarning, PartnerCase]:
    return _warnings_of_clinic(actor).where(*_UNDECIDED)


def unconfirmed_threat_warning_count(actor: User) -> int:
    """How many :func:`unconfirmed_threat_warnings` would list, counted without loading them."""
    return count_rows(_unconfirmed(actor))


def unconfirmed_threat_warnings(actor: User) -> list[ThreatWarningListed]:
    """The clinic's threat warnings waiting for a manager's decision (neither confirmed nor
    rejected), oldest first.

    Named columns only: a list needs no reason, so the sealed reason is not even loaded.
    """
    warnings = (
        _unconfirmed(actor)
        .order_by(ThreatWarning.recorded_at)
        .with_only_columns(
            ThreatWarning.id, ThreatWarning.partner_case_id, ThreatWarning.recorded_at
        )
    )
    return [
        ThreatWarningListed(
            id=row.id,
            reference=reference_of_id(row.partner_case_id),
            recorded_at=row.recorded_at,
        )
        for row in db.session.execute(warnings)
    ]


def _warning_for(actor: User, warning_id: uuid.UUID) -> tuple[ThreatWarning, PartnerCase]:
    row = db.session.execute(
        _warnings_of_clinic(actor).where(ThreatWarning.id == warning_id)
    ).one_or_none()
    if row is None:
        raise NotFound(_l("There is no such threat warning."), field="warning")
    return row[0], row[1]


def _check_waiting(warning: ThreatWarning) -> None:
    if warning.confirmed_at is not None:
        raise Conflict(_l("The threat warning is already confirmed."), field="warning")
    if warning.rejected_at is not None:
        raise Conflict(_l("The threat warning has already been rejected."), field="warning")


def threat_warning_for_manager(actor: User, warning_id: uuid.UUID) -> ThreatWarningForManager:
    """One waiting warning of the actor's clinic, for the page where a manager decides on
    it; :class:`Conflict` on ``warning`` once it is confirmed or rejected."""
    warning, partner_case = _warning_for(actor, warning_id)
    _check_waiting(warning)
    # The reason is content of a partner case: reading it is recorded as a view of the case.
    audit(AuditAction.PARTNER_CASE_VIEWED, actor, partner_case)
    return ThreatWarningForManager(
        id=warning.id,
        reference=reference_of(partner_case),
        recorded_at=warning.recorded_at,
        reason=warning.reason or "",
    )


def _decide(
    actor: User,
    warning: ThreatWarning,
    partner_case: PartnerCase,
    action: AuditAction,
    **decision: object,
) -> ThreatWarning:
    """Write a manager's decision on a waiting warning, once.

    Two managers (or two tabs) may decide on one warning at the same moment, one confirming
    and the other rejecting. The decision is therefore written by one UPDATE that only
    matches a warning nobody has decided: on PostgreSQL the second UPDATE waits for the
    first's row lock and then matches nothing; SQLite lets one writer at a time. The loser
    reads the row again and gets the Conflict naming what was decided.
    """
    written = db.session.execute(
        update(ThreatWarning)
        .where(ThreatWarning.id == warning.id, *_UNDECIDED)
        .values(**decision)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(written, CursorResult)
    db.session.refresh(warning)
    if written.rowcount != 1:
        _check_waiting(warning)
        raise Conflict(_l("The threat warning has already been decided."), field="warning")
    audit(action, actor, partner_case)
    return warning


def confirm_threat_warning(actor: User, warning_id: uuid.UUID) -> ThreatWarning:
    """A manager of the case's clinic confirms a waiting threat warning; from now on, for
    ``THREAT_WARNING_LASTS``, she may be contacted to be warned although she opted out.

    :class:`NotFound` on ``warning`` for another clinic's warning or an actor who may not
    decide; :class:`Conflict` on ``warning`` for one already confirmed or rejected."""
    warning, partner_case = _warning_for(actor, warning_id)
    _check_waiting(warning)
    return _decide(
        actor,
        warning,
        partner_case,
        AuditAction.THREAT_WARNING_CONFIRMED,
        confirmed_by_id=actor.id,
        confirmed_at=_now(),
    )


def reject_threat_warning(
    actor: User, warning_id: uuid.UUID, *, reason: str | None
) -> ThreatWarning:
    """A manager of the case's clinic rejects a waiting threat warning, for ``reason``, a key
    of ``THREAT_WARNING_REJECTIONS``. A rejected warning never takes effect, and the
    rejection cannot be undone: if the threat changes, the treater records a new warning.

    Raises :class:`NotFound` and :class:`Conflict` as :func:`confirm_threat_warning` does,
    then :class:`ContactInvalid` on ``reason`` for a missing or unknown reason; nothing is
    written when any is raised."""
    warning, partner_case = _warning_for(actor, warning_id)
    _check_waiting(warning)
    if reason not in THREAT_WARNING_REJECTIONS:
        raise ContactInvalid(_l("Choose why the warning is rejected."), field="reason")
    return _decide(
        actor,
        warning,
        partner_case,
        AuditAction.THREAT_WARNING_REJECTED,
        rejected_by_id=actor.id,
        rejected_at=_now(),
        rejection_reason=reason,
    )
