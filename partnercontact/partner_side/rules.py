"""The rules every contact with her passes: may she be contacted this way, now, and may this
letter or text message go. One module, read by every sender and scheduler, below the treater's
actions (docs/domain.md, "Safety rules of contact").

- :func:`check_contact_allowed`: her answer, her consent, her safe-contact plan, a confirmed
  threat warning, and for a first contact the client's consent it rests on;
- :func:`check_send_allowed`: a protected partner needs an unused, logged decision per send;
- :func:`check_outbound_allowed`, the one gate of every letter and text message. In order, a
  send is refused when:

  1. the clinic's stop switch is on;
  2. (text messages) her number replied STOP or is opted out at the carrier, or it cannot
     receive a text message at all: libphonenumber says it is not a mobile (a Swedish
     landline, a toll-free number), so she can be called there but not texted;
  3. :func:`check_contact_allowed` refuses the channel now: she declined (unless this is the
     notice of his ending that she asked for), ended the contact, withdrew her consent, the
     contact is closed, the assessment says no, or her safe-contact plan does not allow the
     channel, the address or the moment;
  4. she has protected personal data and there is no unused, logged decision for this send
     (:func:`check_send_allowed`, which spends the decision).

  A notice of a new message in her own channel (purpose ``portal_notice``) is also refused
  when she has protected personal data (a machine takes no send decision), when she has not
  turned notices on or her access has ended, and once she has read every message to her
  (:func:`notice_refusal`).

Each refusal is an error naming the rule in words for the treater, with the form field it
concerns, and leaves a ``partner.send_refused`` audit entry (never content).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, exists, select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.her_own_models import OwnContactDetails
from partnercontact.partner_side.messaging.halt import current_halt
from partnercontact.partner_side.messaging.models import SentLetter, SmsOptOut
from partnercontact.partner_side.messaging.templates import (
    PORTAL_NOTICE_PURPOSE,
    THREAT_WARNING_PURPOSE,
)
from partnercontact.partner_side.models import (
    ContactAttempt,
    ContactPause,
    PartnerCase,
    PartnerConsent,
    PartnerHandover,
    SafeContactPlan,
    SafetyOverride,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
    _PartnerRecord,
)
from partnercontact.partner_side.portal_messages_models import TO_HER, PortalMessage
from partnercontact.partner_side.portal_models import PortalAccess
from partnercontact.partner_side.portal_notices_models import PortalNoticeSetting
from partnercontact.partner_side.service import clinic_of
from partnercontact.partner_side.vocabulary import CHANNELS, OVERRIDABLE_STEPS, WEEKDAYS
from partnercontact.phones import receives_text_messages
from partnercontact.relay.reads import ConsentTerms, consent_terms
from partnercontact.remembered import is_remembering, remembered, remembered_rows
from partnercontact.runtime import current_runtime

SEND_CHANNELS = ("letter", "sms")


def check_send_channel(channel: str) -> None:
    if channel not in SEND_CHANNELS:
        raise ContactInvalid(_l("Choose letter or text message."), field="channel")


R = TypeVar("R", bound=_PartnerRecord)


# Built once a model: a case page reads several kinds of record, each on every view.
_NEWEST_FIRST: dict[type[Any], Select[Any]] = {}
_NEWEST_ONE: dict[type[Any], Select[Any]] = {}


def _newest_first(model: type[R]) -> Select[R]:
    statement = _NEWEST_FIRST.get(model)
    if statement is None:
        # Ties on the instant (one transaction, one clock reading) broken the same way
        # everywhere.
        statement = _NEWEST_FIRST[model] = (
            select(model)
            .where(model.partner_case_id == bindparam("case_id"))
            .order_by(model.recorded_at.desc(), model.id)
        )
    return statement


def _newest_one(model: type[R]) -> Select[R]:
    statement = _NEWEST_ONE.get(model)
    if statement is None:
        statement = _NEWEST_ONE[model] = _newest_first(model).limit(1)
    return statement


def records_newest_first(model: type[R], partner_case: PartnerCase) -> list[R]:
    """Every record of ``model`` on the case, newest first (a page's history)."""
    return remembered_rows(
        ("newest_first", model, partner_case.id),
        lambda: _newest_first(model),
        {"case_id": partner_case.id},
    )


def newest(model: type[R], partner_case: PartnerCase) -> R | None:
    """The newest record of ``model`` on the case: the one that counts. On a page that reads
    them all (inside ``remembering``), the first of those."""
    if is_remembering():
        records = records_newest_first(model, partner_case)
        return records[0] if records else None
    return db.session.scalar(_newest_one(model), {"case_id": partner_case.id})


def current_suitability(partner_case: PartnerCase) -> SuitabilityDecision | None:
    """The decision that counts: the newest."""
    return newest(SuitabilityDecision, partner_case)


# Channels whose moment of contact she feels: a call or a text arrives when it is sent. A
# letter arrives when the post brings it, so her safe days and hours are not checked for it.
TIMED_CHANNELS = ("phone", "sms")
# A confirmed threat warning lets the clinic reach her for this long after the confirmation,
# and no longer: an imminent threat is an exception, never a standing licence to contact a
# partner who said no (docs/domain.md, "Step 11: threat warnings").
THREAT_WARNING_LASTS = timedelta(days=7)


class ContactNotAllowed(DomainError):
    """Contact by that channel, or at that moment, is not allowed. ``field`` is ``channel``
    (the way of contact is not allowed at all) or ``at`` (not at that moment). ``rule`` is
    ``contact`` (her answer or consent, the closing, the assessment: a manager cannot
    override it) or ``plan_fit`` (her safe-contact plan: a manager's logged decision can)."""

    status = 409

    def __init__(self, message: Any, *, field: str | None = None, rule: str = "contact") -> None:
        super().__init__(message, field=field)
        self.rule = rule


def current_partner_consent(partner_case: PartnerCase) -> PartnerConsent | None:
    """Her newest consent, withdrawn or not; None if she never gave one."""
    return newest(PartnerConsent, partner_case)


def latest_plan(partner_case: PartnerCase) -> SafeContactPlan | None:
    """The plan that counts: the highest version."""
    return remembered(
        ("latest_plan", partner_case.id),
        lambda: db.session.scalar(_latest_plan(), {"case_id": partner_case.id}),
    )


@functools.cache
def _latest_plan() -> Select[SafeContactPlan]:
    return (
        select(SafeContactPlan)
        .where(SafeContactPlan.partner_case_id == bindparam("case_id"))
        .order_by(SafeContactPlan.version.desc())
        .limit(1)
    )


def expected_sender(partner_case: PartnerCase) -> str:
    """The sender she expects on a letter or a text message: the one her safe-contact plan
    names, else the clinic's neutral sender name."""
    plan = latest_plan(partner_case)
    chosen = (plan.sender_name or "").strip() if plan is not None else ""
    return chosen or clinic_of(partner_case).neutral_sender_name.strip()


def plan_channels(plan: SafeContactPlan) -> list[str]:
    """The ``CHANNELS`` keys the plan allows, in vocabulary order."""
    return [channel for channel in CHANNELS if getattr(plan, f"{channel}_allowed")]


def _handed_over_under(partner_case: PartnerCase) -> ConsentTerms | None:
    """The client's consent the newest hand-over was made under."""
    consent_id = db.session.scalar(
        select(PartnerHandover.consent_id)
        .where(PartnerHandover.partner_case_id == partner_case.id)
        .order_by(PartnerHandover.recorded_at.desc())
        .limit(1)
    )
    return consent_terms(consent_id) if consent_id is not None else None


def attempts_of(partner_case: PartnerCase) -> list[ContactAttempt]:
    """Every attempt, newest first by when it happened."""
    return remembered_rows(("attempts", partner_case.id), _attempts, {"case_id": partner_case.id})


@functools.cache
def _attempts() -> Select[ContactAttempt]:
    return (
        select(ContactAttempt)
        .where(ContactAttempt.partner_case_id == bindparam("case_id"))
        .order_by(ContactAttempt.attempted_at.desc(), ContactAttempt.recorded_at.desc())
    )


def ever_reached(partner_case: PartnerCase) -> bool:
    if is_remembering():
        # The page lists every attempt anyway.
        return any(attempt.outcome == "reached" for attempt in attempts_of(partner_case))
    return db.session.scalar(_reached(partner_case.id).limit(1)) is not None


def _reached(case_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[uuid.UUID]:
    """The attempts that reached her."""
    return select(ContactAttempt.id).where(
        ContactAttempt.partner_case_id == case_id, ContactAttempt.outcome == "reached"
    )


def threat_warning_in_effect(partner_case: PartnerCase, at: datetime) -> bool:
    """Whether a manager-confirmed threat warning lets the clinic reach her at ``at``."""
    confirmed = db.session.scalars(
        select(ThreatWarning.confirmed_at).where(
            ThreatWarning.partner_case_id == partner_case.id,
            ThreatWarning.confirmed_at.is_not(None),
        )
    )
    return any(
        moment is not None and moment <= at < moment + THREAT_WARNING_LASTS for moment in confirmed
    )


def wants_relay_notice(partner_case: PartnerCase) -> bool:
    """She asked to be told when he ends or drops out of treatment, and has not withdrawn."""
    consent = current_partner_consent(partner_case)
    return consent is not None and consent.withdrawn_on is None and consent.told_when_ended


def check_contact_allowed(
    partner_case: PartnerCase, channel: str, at: datetime, *, relay_notice: bool = False
) -> None:
    """Refuse a contact by ``channel`` at ``at`` (timezone-aware) that is not allowed.

    ``relay_notice``: the contact tells her that his treatment ended or that he dropped out.
    If she asked for that notice (:func:`wants_relay_notice`), her having declined the offer of
    contact does not stop it, and her asking for it is her consent to it; every other rule
    applies (docs/domain.md, "Step 8: relayed events").

    Raises :class:`ContactNotAllowed` with ``field="channel"`` when the way of contact is not
    allowed at all, ``field="at"`` when the moment is outside her safe days or hours (read in
    the clinic's time zone). In order:

    1. unless a manager-confirmed threat warning is in effect: she ended the contact, the
       contact was closed at the end of his treatment (and she has no treatment of her own), she
       declined, the assessment says no contact, she withdrew her consent, or her consent does
       not name the channel; for a first contact (she has neither consented nor been reached
       yet), the client's consent the details were handed over under must still be in force
       and name the channel;
    2. always, once a safe-contact plan exists: the plan does not allow the channel, a letter
       is not safe at her address, or a call or text falls outside her safe days and hours.

    Without a plan nothing is known yet about safe channels and times, so only (1) applies;
    the case page says so in warning style. Everything that sends to her (letters, text
    messages) calls this before each send.
    """
    check_consent_allows(partner_case, channel, at, relay_notice=relay_notice)
    check_plan_fit(partner_case, channel, at)


def check_consent_allows(
    partner_case: PartnerCase, channel: str, at: datetime, *, relay_notice: bool = False
) -> None:
    """Part (1) of :func:`check_contact_allowed`: her answer, her consent, the closing, the
    assessment, and for a first contact the client's consent. A manager cannot override it."""
    if channel not in CHANNELS:
        raise ContactNotAllowed(_l("Choose phone, text message or letter."), field="channel")
    if at.tzinfo is None:
        raise ValueError("check_contact_allowed needs a timezone-aware moment")
    label = CHANNELS[channel]
    if not threat_warning_in_effect(partner_case, at):
        if partner_case.contact_ended_on is not None:
            raise ContactNotAllowed(
                _l(
                    "She has ended the contact. She may be contacted again only if she "
                    "re-opens it, or under a confirmed threat warning."
                ),
                field="channel",
            )
        if partner_case.closed_on is not None and partner_case.own_treatment_since is None:
            raise ContactNotAllowed(
                _l(
                    "The partner contact was closed when the client's treatment ended. She "
                    "may be contacted again only under a confirmed threat warning."
                ),
                field="channel",
            )
        notice_asked_for = relay_notice and wants_relay_notice(partner_case)
        if partner_case.answer == "declined" and not notice_asked_for:
            raise ContactNotAllowed(
                _l(
                    "She declined the offer of contact. She may be contacted only if she "
                    "re-opens it, or under a confirmed threat warning."
                ),
                field="channel",
            )
        decision = current_suitability(partner_case)
        if decision is not None and decision.decision == "no_contact":
            raise ContactNotAllowed(
                _l("The assessment says the partner is not to be contacted."), field="channel"
            )
        consent = current_partner_consent(partner_case)
        if consent is not None:
            if consent.withdrawn_on is not None:
                raise ContactNotAllowed(
                    _l("She has withdrawn her consent to contact."), field="channel"
                )
            if not notice_asked_for and not getattr(consent, f"contact_{channel}"):
                raise ContactNotAllowed(
                    _l("She has not consented to contact by %(channel)s.", channel=label),
                    field="channel",
                )
        elif not ever_reached(partner_case):
            # The first contact, before she has been reached or has consented herself, rests
            # on the client's consent: it lifts confidentiality for the ways of contact it
            # names, and only while it is in force (docs/domain.md, "Step 5: first contact").
            # Once she has been reached, his withdrawal no longer stops her support
            # (docs/domain.md, "Step 6: her answer and her own consent").
            client_consent = _handed_over_under(partner_case)
            if client_consent is None or not client_consent.is_active:
                raise ContactNotAllowed(
                    _l(
                        "A first contact is not covered: the consent the details were handed "
                        "over under is not in force."
                    ),
                    field="channel",
                )
            if not getattr(client_consent, f"contact_{channel}"):
                raise ContactNotAllowed(
                    _l(
                        "The consent the details were handed over under does not allow a "
                        "first contact by %(channel)s.",
                        channel=label,
                    ),
                    field="channel",
                )


def check_plan_fit(partner_case: PartnerCase, channel: str, at: datetime | None) -> None:
    """Refuse a contact by ``channel`` at ``at`` that her safe-contact plan does not allow
    (``rule`` ``plan_fit``). Without a plan, nothing. ``at`` None: a contact on a day whose
    moment is not known (a relayed event's outcome), where only the channel is checked."""
    plan = latest_plan(partner_case)
    if plan is None:
        return
    label = CHANNELS[channel]
    if not getattr(plan, f"{channel}_allowed"):
        raise ContactNotAllowed(
            _l("Her safe-contact plan does not allow contact by %(channel)s.", channel=label),
            field="channel",
            rule="plan_fit",
        )
    if channel == "letter" and not plan.letters_safe_at_address:
        raise ContactNotAllowed(
            _l("Her safe-contact plan says letters are not safe at her address."),
            field="channel",
            rule="plan_fit",
        )
    if channel in TIMED_CHANNELS and at is not None:
        local = at.astimezone(clinic_zone(clinic_of(partner_case)))
        if str(local.isoweekday()) not in plan.safe_days:
            raise ContactNotAllowed(
                _l(
                    "%(day)s is not one of her safe days.",
                    day=WEEKDAYS[str(local.isoweekday())],
                ),
                field="at",
                rule="plan_fit",
            )
        if (
            plan.safe_from is not None
            and plan.safe_until is not None
            and not plan.safe_from <= local.time() < plan.safe_until
        ):
            raise ContactNotAllowed(
                _l(
                    "%(time)s is outside her safe hours (%(start)s to %(end)s).",
                    time=local.strftime("%H:%M"),
                    start=plan.safe_from.strftime("%H:%M"),
                    end=plan.safe_until.strftime("%H:%M"),
                ),
                field="at",
                rule="plan_fit",
            )


# --- the first safety steps ------------------------------------------------------------------
#
# Her safe-contact plan is agreed with her in the first conversation. Until then nothing is
# known of when and how she can be reached safely, so only the first-contact path is open:
# the neutral first letter or text, or a call within the clinic's first-call hours that opens
# with "is it safe to talk". Once she has been reached, nothing more goes out until her plan
# is recorded (docs/domain.md, "Safety rules of contact").

# The letters and texts of the first-contact path: neutral, and asking only that she call.
FIRST_CONTACT_LETTERS = frozenset({"information", "call_announcement"})
FIRST_CONTACT_SMS = frozenset({"first_contact", "call_announcement"})


@dataclass(frozen=True)
class Contact:
    """One contact with her, as the steps read it.

    ``kind`` is a key of ``CONTACT_KINDS``; ``channel`` the way it reaches her (``phone``,
    ``sms``, ``letter``, or None for a meeting); ``at`` the moment it reaches her (None when
    only the day is known); ``purpose`` the template of a letter or text; ``called_in``: she
    called the clinic herself, so the moment was hers.
    """

    kind: str
    channel: str | None
    at: datetime | None
    purpose: str | None = None
    called_in: bool = False
    relay_notice: bool = False
    # A first contact of its kind: the neutral first letter or text, or a call (which opens
    # with the safety question).
    opening: bool = False

    @classmethod
    def message(
        cls, channel: str, at: datetime, purpose: str | None, *, relay_notice: bool = False
    ) -> Contact:
        first = FIRST_CONTACT_LETTERS if channel == "letter" else FIRST_CONTACT_SMS
        return cls(
            kind=channel,
            channel=channel,
            at=at,
            purpose=purpose,
            relay_notice=relay_notice,
            opening=purpose in first,
        )


class SafetyStepMissing(ContactNotAllowed):
    """A contact refused because a safety step before it is missing. ``rule`` is the step (a
    key of ``OVERRIDABLE_STEPS``, or ``threat_warning``); the pages link to where it is taken."""


def refused_on(field: str, refusal: ContactNotAllowed) -> ContactNotAllowed:
    """The same refusal, naming the form field of the caller's form."""
    return type(refusal)(refusal.message, field=field, rule=refusal.rule)


def _in_first_contact_hours(partner_case: PartnerCase, at: datetime) -> bool:
    clinic = clinic_of(partner_case)
    local = at.astimezone(clinic_zone(clinic))
    return (
        str(local.isoweekday()) in clinic.first_contact_days
        and clinic.first_contact_from <= local.time() < clinic.first_contact_until
    )


def _first_contact_refusal(partner_case: PartnerCase, contact: Contact) -> Any | None:
    """Why ``contact`` is not on the first-contact path, or None if it is."""
    if contact.kind == "phone":
        if contact.at is None or _in_first_contact_hours(partner_case, contact.at):
            return None
        clinic = clinic_of(partner_case)
        return _l(
            "Her safe-contact plan is not recorded yet: a first call is made only within the "
            "clinic's first-call hours (%(days)s, %(start)s to %(end)s).",
            days=", ".join(str(WEEKDAYS[day]).lower() for day in clinic.first_contact_days),
            start=clinic.first_contact_from.strftime("%H:%M"),
            end=clinic.first_contact_until.strftime("%H:%M"),
        )
    if contact.opening:
        return None
    return _l(
        "Her safe-contact plan is not recorded yet: until it is, only the first letter, the "
        "first text message or a first call within the clinic's first-call hours is open."
    )


@dataclass(frozen=True)
class SafetySteps:
    """Where the case stands on the steps before ordinary contact, for the case page."""

    suitable: bool
    reached: bool
    planned: bool

    @property
    def next_step(self) -> str | None:
        """``suitability``, ``first_contact``, ``plan``, or None once the steps are taken."""
        if not self.suitable:
            return "suitability"
        if self.planned:
            return None
        return "plan" if self.reached else "first_contact"


def safety_steps(partner_case: PartnerCase) -> SafetySteps:
    """The three answers in one statement: a page that shows the steps need not load the
    records behind them."""
    row = db.session.execute(_safety_steps(), {"case_id": partner_case.id}).one()
    return SafetySteps(suitable=row.decision == "contact", reached=row.reached, planned=row.planned)


@functools.cache
def _safety_steps() -> Select[str | None, bool, bool]:
    case_id: BindParameter[uuid.UUID] = bindparam("case_id")
    # The same records current_suitability, ever_reached and latest_plan read.
    decision = _newest_one(SuitabilityDecision).with_only_columns(SuitabilityDecision.decision)
    return select(
        decision.scalar_subquery().label("decision"),
        _reached(case_id).exists().label("reached"),
        _latest_plan().with_only_columns(SafeContactPlan.id).exists().label("planned"),
    )


def safety_step_refusal(partner_case: PartnerCase, contact: Contact) -> SafetyStepMissing | None:
    """The first safety step ``contact`` lacks, or None. Reads only.

    In order: a threat-warning message needs a confirmed warning in effect; then, unless one
    is in effect, a suitability decision allowing contact; without a plan, the first-contact
    path while she has not been reached, and nothing once she has. A contact she made herself
    (``called_in``) lacks no step: the moment was hers.
    """
    if contact.called_in:
        return None
    at = contact.at or current_runtime().clock.now()
    warned = threat_warning_in_effect(partner_case, at)
    # The message that warns her of an imminent threat: only while a confirmed warning holds.
    if contact.purpose == THREAT_WARNING_PURPOSE and not warned:
        return SafetyStepMissing(
            _l(
                "The threat warning message goes only while a manager-confirmed threat "
                "warning is in effect."
            ),
            field="purpose",
            rule="threat_warning",
        )
    if warned:
        return None
    decision = current_suitability(partner_case)
    if decision is None:
        return SafetyStepMissing(
            _l(
                "No one has decided yet whether contact with her is suitable: record the "
                "suitability decision first."
            ),
            field="channel",
            rule="suitability",
        )
    if decision.decision != "contact":
        return SafetyStepMissing(
            _l("The assessment says the partner is not to be contacted."),
            field="channel",
            rule="suitability",
        )
    if latest_plan(partner_case) is not None:
        return None
    if ever_reached(partner_case):
        return SafetyStepMissing(
            _l(
                "She has been reached: record her safe-contact plan with her before the next "
                "contact."
            ),
            field="channel",
            rule="plan",
        )
    refusal = _first_contact_refusal(partner_case, contact)
    if refusal is None:
        return None
    return SafetyStepMissing(
        refusal, field="at" if contact.kind == "phone" else "channel", rule="first_contact"
    )


def contact_refusal(partner_case: PartnerCase, contact: Contact) -> ContactNotAllowed | None:
    """Every rule a contact passes, short of a manager's override: the steps, then her
    answer, consent and plan (:func:`check_contact_allowed`). Her "not safe now" comes first.
    Reads only."""
    return (
        _pause_refusal(partner_case, contact)
        or safety_step_refusal(partner_case, contact)
        or _rules_refusal(partner_case, contact, overridden=None)
    )


def _unused_override(partner_case: PartnerCase, rule: str, kind: str) -> SafetyOverride | None:
    return db.session.scalar(
        select(SafetyOverride)
        .where(
            SafetyOverride.partner_case_id == partner_case.id,
            SafetyOverride.rule == rule,
            SafetyOverride.channel == kind,
            SafetyOverride.used_at.is_(None),
        )
        .order_by(SafetyOverride.decided_at)
        .limit(1)
    )


def _spend_override(
    actor: User | None, partner_case: PartnerCase, override: SafetyOverride
) -> bool:
    """Mark the override used, once: of two contacts at the same moment, one wins."""
    now = current_runtime().clock.now()
    spent = db.session.execute(
        update(SafetyOverride)
        .where(SafetyOverride.id == override.id, SafetyOverride.used_at.is_(None))
        .values(used_at=now, used_by_id=actor.id if actor is not None else None)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.refresh(override)
    record_event(
        AuditAction.SAFETY_OVERRIDE_USED,
        actor_id=actor.id if actor is not None else None,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
    )
    return True


def overridable(refusal: ContactNotAllowed) -> bool:
    return refusal.rule in OVERRIDABLE_STEPS


def check_contact(
    actor: User | None, partner_case: PartnerCase, contact: Contact
) -> SafetyOverride | None:
    """Refuse ``contact`` unless every rule allows it, or a manager's unused override names
    the step it lacks for this kind of contact; such an override is spent (once) and
    returned. The refusal is :class:`ContactNotAllowed` (:class:`SafetyStepMissing` for a
    missing step)."""
    refusal = contact_refusal(partner_case, contact)
    if refusal is None:
        return None
    if overridable(refusal):
        override = _unused_override(partner_case, refusal.rule, contact.kind)
        if override is not None and _spend_override(actor, partner_case, override):
            # The override covers the step it names; every other rule still applies.
            rest = _refusal_after(partner_case, contact, overridden=refusal.rule)
            if rest is not None:
                raise rest
            return override
    raise refusal


def current_pause(partner_case: PartnerCase) -> ContactPause | None:
    """Her "not safe now", while neither she nor her treater has lifted it."""
    return db.session.scalar(
        select(ContactPause)
        .where(ContactPause.partner_case_id == partner_case.id, ContactPause.lifted_at.is_(None))
        .order_by(ContactPause.recorded_at.desc())
        .limit(1)
    )


NOT_SAFE_NOW = _l(
    "She said it is not safe now: every contact with her waits until she or her treater lifts it."
)


def _refusal_after(
    partner_case: PartnerCase, contact: Contact, *, overridden: str | None
) -> ContactNotAllowed | None:
    """What refuses ``contact`` beyond the steps: her "not safe now" (no one overrides it but
    her or her treater, by lifting it), then :func:`_rules_refusal`."""
    return _pause_refusal(partner_case, contact) or _rules_refusal(
        partner_case, contact, overridden=overridden
    )


def _pause_refusal(partner_case: PartnerCase, contact: Contact) -> ContactNotAllowed | None:
    """Her "not safe now"; a call she made herself is hers all the same."""
    if contact.called_in or current_pause(partner_case) is None:
        return None
    return ContactNotAllowed(NOT_SAFE_NOW, field="channel", rule="not_safe_now")


def _rules_refusal(
    partner_case: PartnerCase, contact: Contact, *, overridden: str | None
) -> ContactNotAllowed | None:
    """Her answer and consent (never overridden), then her plan unless a manager overrode
    ``plan_fit``. A call she made herself is hers."""
    if contact.called_in or contact.channel is None:
        return None
    at = contact.at or current_runtime().clock.now()
    try:
        check_consent_allows(partner_case, contact.channel, at, relay_notice=contact.relay_notice)
        if overridden != "plan_fit":
            check_plan_fit(partner_case, contact.channel, contact.at)
    except ContactNotAllowed as refused:
        return refused
    return None


def has_opted_out(partner_case: PartnerCase) -> bool:
    """She declined, ended the contact, or withdrew her consent."""
    if partner_case.answer == "declined" or partner_case.contact_ended_on is not None:
        return True
    consent = current_partner_consent(partner_case)
    return consent is not None and consent.withdrawn_on is not None


class SendRefused(DomainError):
    """A send to a partner with protected personal data, without an unused decision for it.
    ``field`` is ``channel``."""

    status = 409


def record_send_refused(actor: User | None, partner_case: PartnerCase) -> None:
    """The audit entry of a refused letter or text message to her: who, which case, denied;
    never what or why."""
    record_event(
        AuditAction.SEND_REFUSED,
        actor_id=actor.id if actor is not None else None,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
        outcome=Outcome.DENIED,
    )


PROTECTED_REFUSAL = _l(
    "She has protected personal data: no letter or text message goes to her without a "
    "recorded decision for that one send."
)


def _unused_decision(partner_case: PartnerCase, channel: str) -> uuid.UUID | None:
    return db.session.scalar(
        select(SendDecision.id)
        .where(
            SendDecision.partner_case_id == partner_case.id,
            SendDecision.channel == channel,
            SendDecision.used_at.is_(None),
        )
        .limit(1)
    )


def check_send_allowed(
    actor: User | None, partner_case: PartnerCase, channel: str
) -> SendDecision | None:
    """Allow or refuse one letter or text message to her.

    Returns None when she is not protected (nothing to decide). For a protected partner,
    spends the oldest unused decision for ``channel`` (marks it used, now) and returns it, or
    records ``SEND_REFUSED`` (outcome denied) and raises :class:`SendRefused`. ``actor`` is
    who sends, None for a job.

    The refusal's audit entry is added to the caller's transaction like any other; a caller
    that rolls back after the refusal and wants the refusal on record commits first (as the
    access guard does for a denied request).
    """
    check_send_channel(channel)
    if not partner_case.protected_identity:
        return None
    decision = db.session.scalar(
        select(SendDecision)
        .where(
            SendDecision.partner_case_id == partner_case.id,
            SendDecision.channel == channel,
            SendDecision.used_at.is_(None),
        )
        .order_by(SendDecision.recorded_at)
        .limit(1)
        # Two sends at once must not both spend the same decision: the second waits for the
        # first and then finds it used (PostgreSQL; SQLite writes one at a time anyway).
        .with_for_update()
    )
    if decision is None:
        record_send_refused(actor, partner_case)
        raise SendRefused(PROTECTED_REFUSAL, field="channel")
    decision.used_at = current_runtime().clock.now()
    db.session.flush()
    return decision


class MessageRefused(DomainError):
    """A letter or text message that a safety rule does not allow. ``rule`` is a short key
    (``halted``, ``opted_out``, ``not_mobile``, ``contact``, ``protected``); ``field`` the
    form field."""

    status = 409

    def __init__(self, message: str, *, field: str, rule: str) -> None:
        super().__init__(message, field=field)
        self.rule = rule


def is_opted_out(phone_index: str) -> bool:
    return (
        db.session.scalar(select(SmsOptOut.id).where(SmsOptOut.phone_index == phone_index))
        is not None
    )


def returned_letter_in_force() -> ColumnElement[bool]:
    """A condition on ``SentLetter``: it came back to the clinic, and her details have not
    changed since it was sent (no newer hand-over note, no newer details of her own)."""
    return and_(
        SentLetter.returned_on.is_not(None),
        ~exists().where(
            PartnerHandover.partner_case_id == SentLetter.partner_case_id,
            PartnerHandover.recorded_at > SentLetter.sent_at,
        ),
        ~exists().where(
            OwnContactDetails.partner_case_id == SentLetter.partner_case_id,
            OwnContactDetails.recorded_at > SentLetter.sent_at,
        ),
    )


def letter_returned(partner_case: PartnerCase) -> bool:
    """A letter to her came back and her details have not changed since: her address is
    wrong, or no longer one to write to."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    SentLetter.partner_case_id == partner_case.id, returned_letter_in_force()
                )
            )
        )
    )


def _refused(
    actor: User | None, partner_case: PartnerCase, message: str, field: str, rule: str
) -> MessageRefused:
    record_send_refused(actor, partner_case)
    return MessageRefused(message, field=field, rule=rule)


# --- notices of a new message in her own channel -----------------------------------------------


def notice_settings_in_force(
    case_id: uuid.UUID | BindParameter[uuid.UUID],
) -> Select[PortalNoticeSetting]:
    """The case's notice settings that are on, of an access still open (at most one)."""
    return (
        select(PortalNoticeSetting)
        .join(PortalAccess, PortalAccess.id == PortalNoticeSetting.access_id)
        .where(
            PortalNoticeSetting.partner_case_id == case_id,
            PortalNoticeSetting.enabled.is_(True),
            PortalAccess.locked_at.is_(None),
            PortalAccess.revoked_at.is_(None),
            PortalAccess.closed_at.is_(None),
        )
    )


def latest_plan_allows_sms() -> Select[bool]:
    """Whether the plan that counts allows text messages (no row: no plan), for the case in
    the parameter ``case_id``."""
    return _latest_plan().with_only_columns(SafeContactPlan.sms_allowed)


def notice_setting_in_force(
    partner_case: PartnerCase, *, lock: bool = False
) -> PortalNoticeSetting | None:
    """Her notice setting while it is on and the access it belongs to is open (not locked,
    revoked or closed); None otherwise. ``lock``: the setting's row stays locked until the
    transaction ends (PostgreSQL; SQLite writes one at a time), so that two messages written
    to her at once see each other's notice."""
    query = notice_settings_in_force(partner_case.id).limit(1)
    if lock:
        query = query.with_for_update(of=PortalNoticeSetting).execution_options(
            populate_existing=True
        )
    return db.session.scalar(query)


def oldest_unread_to_her(partner_case: PartnerCase) -> datetime | None:
    """When the oldest message to her that she has not read was written; None if she has
    read them all."""
    return db.session.scalar(
        select(PortalMessage.sent_at)
        .where(
            PortalMessage.partner_case_id == partner_case.id,
            PortalMessage.direction == TO_HER,
            PortalMessage.read_at.is_(None),
        )
        .order_by(PortalMessage.sent_at)
        .limit(1)
    )


def notice_refusal(partner_case: PartnerCase) -> MessageRefused | None:
    """Why a notice of a new message in her own channel may not go (now), or None. Reads
    only."""
    if partner_case.protected_identity:
        # Every send to her needs a decision logged by a named member of staff, for that one
        # send: a machine never takes one, so no notice goes to her automatically.
        return MessageRefused(
            _l("She has protected personal data: notices of new messages are not sent."),
            field="channel",
            rule="protected",
        )
    if notice_setting_in_force(partner_case) is None:
        return MessageRefused(
            _l("She has not turned on notices of new messages, or her access has ended."),
            field="channel",
            rule="notices_off",
        )
    if oldest_unread_to_her(partner_case) is None:
        # She has read what it would tell her of: a text now would only be one more trace.
        return MessageRefused(
            _l("She has read every message to her: there is nothing to tell her."),
            field="channel",
            rule="read_already",
        )
    return None


def _message_refusal(
    partner_case: PartnerCase,
    channel: str,
    *,
    phone_index: str | None,
    phone_number: str | None,
    purpose: str | None = None,
) -> MessageRefused | None:
    """The rules of a letter or text message before the contact rules: the stop switch, her
    number's STOP, a number that cannot take a text, and for a notice of a new message in
    her own channel :func:`notice_refusal`. Reads only."""
    if current_halt(partner_case.clinic_id) is not None:
        return MessageRefused(
            _l(
                "All letters and text messages of the clinic are halted (the stop switch is "
                "on). Nothing can be sent until a manager or administrator lifts it."
            ),
            field="channel",
            rule="halted",
        )
    if channel == "sms" and phone_index is not None and is_opted_out(phone_index):
        return MessageRefused(
            _l("Her number has replied STOP: no text message may go to it."),
            field="channel",
            rule="opted_out",
        )
    # A text to a landline is lost without a trace (or read aloud by a voice service to
    # whoever answers there): only a number libphonenumber calls a mobile, or fixed-line or
    # mobile where the plan cannot tell, gets one. She can still be called on it. Without a
    # number the answer is no: a caller that forgets to pass it fails closed.
    if channel == "sms" and not receives_text_messages(phone_number or ""):
        return MessageRefused(
            _l(
                "Her phone number cannot receive text messages: the number handed over is a "
                "landline or another number that is not a mobile. Call her or send a letter "
                "instead."
            ),
            field="partner_phone",
            rule="not_mobile",
        )
    if channel == "letter" and letter_returned(partner_case):
        return MessageRefused(
            _l(
                "A letter to her address came back: no letter goes there until her details "
                "change (a correction from the client side, or an address of her own)."
            ),
            field="channel",
            rule="letter_returned",
        )
    if purpose == PORTAL_NOTICE_PURPOSE:
        return notice_refusal(partner_case)
    return None


def _as_message_refusal(refused: ContactNotAllowed) -> MessageRefused:
    return MessageRefused(refused.message, field=refused.field or "channel", rule=refused.rule)


def check_outbound_allowed(
    actor: User | None,
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    purpose: str | None = None,
    phone_index: str | None = None,
    phone_number: str | None = None,
    relay_notice: bool = False,
    spend_decision: bool = True,
    overridden: bool = False,
) -> Allowed:
    """Refuse a letter or text message (``channel``, template ``purpose``) to her at ``at``,
    or allow it; every refusal is recorded (``partner.send_refused``).

    ``phone_index`` is the blind index of the number a text message goes to, and
    ``phone_number`` the number itself (E.164; a text message without one is refused). The
    safety steps and her plan are checked through :func:`check_contact`, which spends a
    manager's override where one lifts the refusal; the spent override is returned as
    :attr:`Allowed.override`.

    With ``spend_decision`` off (the worker re-checking a message already queued) the steps
    are not asked for again: they were passed when the message was queued, and a protected
    partner's decision was spent then. ``overridden``: the message was queued under a
    manager's override, so her plan is not checked again either.
    """
    refusal = _message_refusal(
        partner_case, channel, phone_index=phone_index, phone_number=phone_number, purpose=purpose
    )
    if refusal is not None:
        record_send_refused(actor, partner_case)
        raise refusal
    contact = Contact.message(channel, at, purpose, relay_notice=relay_notice)
    override: SafetyOverride | None = None
    try:
        if spend_decision:
            override = check_contact(actor, partner_case, contact)
        else:
            refused = _refusal_after(
                partner_case, contact, overridden="plan_fit" if overridden else None
            )
            if refused is not None:
                raise refused
    except ContactNotAllowed as exc:
        record_send_refused(actor, partner_case)
        raise _as_message_refusal(exc) from None
    if not spend_decision:
        return Allowed(None, None)
    try:
        decision = check_send_allowed(actor, partner_case, channel)
    except SendRefused as exc:
        # check_send_allowed has recorded the refusal itself.
        raise MessageRefused(exc.message, field="channel", rule="protected") from exc
    return Allowed(decision, override)


@dataclass(frozen=True)
class Allowed:
    """A send the gate let through: the protected partner's decision it spent, and the
    manager's override it spent, if any."""

    decision: SendDecision | None
    override: SafetyOverride | None


def outbound_refusal(
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    purpose: str | None = None,
    phone_index: str | None = None,
    phone_number: str | None = None,
    relay_notice: bool = False,
) -> MessageRefused | None:
    """What :func:`check_outbound_allowed` would say of this send now, for a preview: the
    refusal it would raise, or None if it would pass. Writes nothing and spends nothing (a
    protected partner's unused decision and a manager's unused override are only looked
    for)."""
    refusal = _message_refusal(
        partner_case, channel, phone_index=phone_index, phone_number=phone_number, purpose=purpose
    )
    if refusal is not None:
        return refusal
    contact = Contact.message(channel, at, purpose, relay_notice=relay_notice)
    refused = contact_refusal(partner_case, contact)
    if refused is not None:
        lifted = (
            overridable(refused)
            and _unused_override(partner_case, refused.rule, contact.kind) is not None
            and _refusal_after(partner_case, contact, overridden=refused.rule) is None
        )
        if not lifted:
            return _as_message_refusal(refused)
    if partner_case.protected_identity and _unused_decision(partner_case, channel) is None:
        return MessageRefused(PROTECTED_REFUSAL, field="channel", rule="protected")
    return None
