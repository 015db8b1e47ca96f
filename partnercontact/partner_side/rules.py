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

Each refusal is an error naming the rule in words for the treater, with the form field it
concerns, and leaves a ``partner.send_refused`` audit entry (never content).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.messaging.halt import current_halt
from partnercontact.partner_side.messaging.models import SmsOptOut
from partnercontact.partner_side.models import (
    ContactAttempt,
    PartnerCase,
    PartnerConsent,
    PartnerHandover,
    SafeContactPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
    _PartnerRecord,
)
from partnercontact.partner_side.service import clinic_of
from partnercontact.partner_side.vocabulary import CHANNELS, WEEKDAYS
from partnercontact.phones import receives_text_messages
from partnercontact.relay.reads import ConsentTerms, consent_terms
from partnercontact.runtime import current_runtime

SEND_CHANNELS = ("letter", "sms")


def check_send_channel(channel: str) -> None:
    if channel not in SEND_CHANNELS:
        raise ContactInvalid(_l("Choose letter or text message."), field="channel")


R = TypeVar("R", bound=_PartnerRecord)


def newest(model: type[R], partner_case: PartnerCase) -> R | None:
    """The newest record of ``model`` on the case: the one that counts."""
    return db.session.scalar(
        select(model)
        .where(model.partner_case_id == partner_case.id)
        .order_by(model.recorded_at.desc())
        .limit(1)
    )


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
    (the way of contact is not allowed at all) or ``at`` (not at that moment)."""

    status = 409


def current_partner_consent(partner_case: PartnerCase) -> PartnerConsent | None:
    """Her newest consent, withdrawn or not; None if she never gave one."""
    return newest(PartnerConsent, partner_case)


def latest_plan(partner_case: PartnerCase) -> SafeContactPlan | None:
    """The plan that counts: the highest version."""
    return db.session.scalar(
        select(SafeContactPlan)
        .where(SafeContactPlan.partner_case_id == partner_case.id)
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
        .where(PartnerHandover.episode_id == partner_case.episode_id)
        .order_by(PartnerHandover.recorded_at.desc())
        .limit(1)
    )
    return consent_terms(consent_id) if consent_id is not None else None


def ever_reached(partner_case: PartnerCase) -> bool:
    return (
        db.session.scalar(
            select(ContactAttempt.id)
            .where(
                ContactAttempt.partner_case_id == partner_case.id,
                ContactAttempt.outcome == "reached",
            )
            .limit(1)
        )
        is not None
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
    plan = latest_plan(partner_case)
    if plan is None:
        return
    if not getattr(plan, f"{channel}_allowed"):
        raise ContactNotAllowed(
            _l("Her safe-contact plan does not allow contact by %(channel)s.", channel=label),
            field="channel",
        )
    if channel == "letter" and not plan.letters_safe_at_address:
        raise ContactNotAllowed(
            _l("Her safe-contact plan says letters are not safe at her address."),
            field="channel",
        )
    if channel in TIMED_CHANNELS:
        local = at.astimezone(clinic_zone(clinic_of(partner_case)))
        if str(local.isoweekday()) not in plan.safe_days:
            raise ContactNotAllowed(
                _l(
                    "%(day)s is not one of her safe days.",
                    day=WEEKDAYS[str(local.isoweekday())],
                ),
                field="at",
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
            )


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


def _refused(
    actor: User | None, partner_case: PartnerCase, message: str, field: str, rule: str
) -> MessageRefused:
    record_send_refused(actor, partner_case)
    return MessageRefused(message, field=field, rule=rule)


def _refusal(
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    phone_index: str | None,
    phone_number: str | None,
    relay_notice: bool,
) -> tuple[Any, str, str] | None:
    """The first rule of the gate that refuses the send, as (message, field, rule), or None.
    Reads only: writes nothing, spends nothing."""
    if current_halt(partner_case.clinic_id) is not None:
        return (
            _l(
                "All letters and text messages of the clinic are halted (the stop switch is "
                "on). Nothing can be sent until a manager or administrator lifts it."
            ),
            "channel",
            "halted",
        )
    if channel == "sms" and phone_index is not None and is_opted_out(phone_index):
        return (
            _l("Her number has replied STOP: no text message may go to it."),
            "channel",
            "opted_out",
        )
    # A text to a landline is lost without a trace (or read aloud by a voice service to
    # whoever answers there): only a number libphonenumber calls a mobile, or fixed-line or
    # mobile where the plan cannot tell, gets one. She can still be called on it. Without a
    # number the answer is no: a caller that forgets to pass it fails closed.
    if channel == "sms" and not receives_text_messages(phone_number or ""):
        return (
            _l(
                "Her phone number cannot receive text messages: the number handed over is a "
                "landline or another number that is not a mobile. Call her or send a letter "
                "instead."
            ),
            "partner_phone",
            "not_mobile",
        )
    try:
        check_contact_allowed(partner_case, channel, at, relay_notice=relay_notice)
    except ContactNotAllowed as exc:
        return (exc.message, exc.field or "channel", "contact")
    return None


def check_outbound_allowed(
    actor: User | None,
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    phone_index: str | None = None,
    phone_number: str | None = None,
    relay_notice: bool = False,
    spend_decision: bool = True,
) -> SendDecision | None:
    """Refuse a letter or text message (``channel``) to her at ``at``, or allow it.

    ``phone_index`` is the blind index of the number a text message goes to, and
    ``phone_number`` the number itself (E.164; a text message without one is refused). With
    ``spend_decision`` off (the worker re-checking a message already queued), a protected
    partner's decision is not asked for again: it was spent when the message was queued.
    Returns the spent decision for a protected partner, else None.
    """
    refusal = _refusal(
        partner_case,
        channel,
        at,
        phone_index=phone_index,
        phone_number=phone_number,
        relay_notice=relay_notice,
    )
    if refusal is not None:
        message, field, rule = refusal
        raise _refused(actor, partner_case, message, field, rule)
    if not spend_decision:
        return None
    try:
        return check_send_allowed(actor, partner_case, channel)
    except SendRefused as exc:
        # check_send_allowed has recorded the refusal itself.
        raise MessageRefused(exc.message, field="channel", rule="protected") from exc


def outbound_refusal(
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    phone_index: str | None = None,
    phone_number: str | None = None,
    relay_notice: bool = False,
) -> MessageRefused | None:
    """What :func:`check_outbound_allowed` would say of this send now, for a preview: the
    refusal it would raise, or None if it would pass. Writes nothing and spends no decision
    (a protected partner's unused decision is only looked for)."""
    refusal = _refusal(
        partner_case,
        channel,
        at,
        phone_index=phone_index,
        phone_number=phone_number,
        relay_notice=relay_notice,
    )
    if refusal is not None:
        message, field, rule = refusal
        return MessageRefused(message, field=field, rule=rule)
    if partner_case.protected_identity and _unused_decision(partner_case, channel) is None:
        return MessageRefused(PROTECTED_REFUSAL, field="channel", rule="protected")
    return None
