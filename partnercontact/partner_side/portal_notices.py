"""Content-free notices of a new message in her own channel (docs/domain.md, "Her own
channel").

When her treater writes to her in her portal (:func:`.portal_messages.write_to_her`), one text
message may tell her that there is something to read. Its whole text is the words she chose
in her portal or, by default, the sender name she expects (:func:`.rules.expected_sender`): no
link, no number, no clinic name, no word of the message. A notice goes

- only while she has turned notices on (they are off until she does) for an access that is
  still open;
- only if her safe-contact plan allows text messages, and only within her safe days and hours:
  written outside them, it waits in the outbox (``next_attempt_at``) for the start of her next
  safe window (:func:`.scheduling.localtime.next_safe_moment`, as for session reminders);
- through the same gate and outbox as every text message (:func:`.rules.check_outbound_allowed`
  with purpose ``portal_notice``, and the worker's
  :func:`.messaging.dispatch.send_due_sms`), which asks again at the moment of sending: her
  "not safe now", a plan without text messages, notices turned off or every message read by
  then cancel it (:func:`.rules.notice_refusal`);
- never automatically to a partner with protected personal data;
- one at a time: while a notice waits, or after one went out while a message she has not yet
  read was there, a new message adds none. The setting's row is locked first, so two messages
  written at the same moment queue one notice.

- :func:`notice_settings` / :func:`save_notice_settings`: her page, with a preview of exactly
  what the text says;
- :func:`notices_for_treater`: whether notices are on, for her treater (never the words);
- :func:`notify_her`: called in the transaction that writes a message to her.

Her acts are audited with no content; functions flush, never commit.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, Select, bindparam, select

from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.clock import clinic_zone
from partnercontact.clinics.service import reveals_the_clinic
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.messaging.status import audit_message, cancel
from partnercontact.partner_side.messaging.templates import PORTAL_NOTICE_PURPOSE
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.portal_models import PortalAccess
from partnercontact.partner_side.portal_notices_models import PortalNoticeSetting
from partnercontact.partner_side.reach import current_reach
from partnercontact.partner_side.rules import (
    MessageRefused,
    check_outbound_allowed,
    expected_sender,
    latest_plan,
    latest_plan_allows_sms,
    notice_setting_in_force,
    notice_settings_in_force,
    oldest_unread_to_her,
)
from partnercontact.partner_side.scheduling.localtime import next_safe_moment
from partnercontact.partner_side.service import clinic_of
from partnercontact.runtime import current_runtime

MAX_WORDS_LENGTH = 40
# How far ahead a notice looks for her next safe window; with none by then, none is queued.
WAITS_AT_MOST = timedelta(days=14)
# A notice the worker has not handed over yet, and one that reached the provider.
WAITING_STATES = ("queued", "sending")
SENT_STATES = ("sent", "delivered")
# What a notice's text was, kept in place of a template version: never the words themselves.
AGREED_WORDS = "agreed_words"
SENDER_NAME = "sender_name"

# Anything a phone would turn into a link: a scheme, "www.", an e-mail address, a domain name.
_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*:/|www\.|@|[\w-]\.[a-z]{2,}\b", re.IGNORECASE)
# Three digits or more in a row, however spaced: they can pass for a code or a phone number.
_DIGITS = re.compile(r"\d(?:[\s.,/-]*\d){2,}")

# Why no notice would go now, as her page and her treater's say it.
BLOCKED_PROTECTED = "protected"
BLOCKED_NO_SMS = "no_sms"


class NoticeWordsInvalid(DomainError):
    """Her own words for the notice are refused; ``field`` is ``words``."""


@dataclass(frozen=True)
class NoticeSettings:
    """Her notice setting as her page shows it. ``preview`` is exactly what the text says;
    ``default_text`` what it says without words of hers (the sender name she expects);
    ``blocked`` why no notice would go now whatever she chooses (``protected``, ``no_sms``),
    None when one can."""

    enabled: bool
    words: str | None
    preview: str
    default_text: str
    blocked: str | None


@dataclass(frozen=True)
class NoticesForTreater:
    """What her treater sees: whether notices are on, and why none would go if so."""

    on: bool
    blocked: str | None


# --- her words ---------------------------------------------------------------------------------


def _checked_words(words: str | None, partner_case: PartnerCase) -> str | None:
    """Her words on one line, or None for the default (the sender name)."""
    text = " ".join((words or "").split())
    if not text:
        return None
    if len(text) > MAX_WORDS_LENGTH:
        raise NoticeWordsInvalid(
            _l("Use at most %(max)d characters.", max=MAX_WORDS_LENGTH), field="words"
        )
    if _ADDRESS.search(text):
        raise NoticeWordsInvalid(
            _l("Leave out web and e-mail addresses: the text must not hold a link."),
            field="words",
        )
    if _DIGITS.search(text):
        raise NoticeWordsInvalid(
            _l("Leave out numbers of three digits or more: they can look like a code."),
            field="words",
        )
    if reveals_the_clinic(text, clinic_of(partner_case).name):
        raise NoticeWordsInvalid(
            _l("Choose words that say nothing about the clinic or what it does."),
            field="words",
        )
    return text


def _text(partner_case: PartnerCase, setting: PortalNoticeSetting | None) -> str:
    """The whole text of a notice: her words, or the sender name she expects."""
    words = setting.words if setting is not None else None
    return words or expected_sender(partner_case)


def _blocked(partner_case: PartnerCase) -> str | None:
    plan = latest_plan(partner_case)
    return _blocked_by(partner_case, plan.sms_allowed if plan is not None else None)


def _blocked_by(partner_case: PartnerCase, sms_allowed: bool | None) -> str | None:
    """Why no notice would go: her protected data, or a plan that allows no texts (or none
    yet, ``sms_allowed`` None)."""
    if partner_case.protected_identity:
        return BLOCKED_PROTECTED
    if not sms_allowed:
        return BLOCKED_NO_SMS
    return None


# --- her page ----------------------------------------------------------------------------------


def _her_setting(identity: PortalIdentity) -> PortalNoticeSetting | None:
    return db.session.scalar(
        select(PortalNoticeSetting)
        .where(PortalNoticeSetting.access_id == identity.access_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _settings(partner_case: PartnerCase, setting: PortalNoticeSetting | None) -> NoticeSettings:
    return NoticeSettings(
        enabled=setting is not None and setting.enabled,
        words=setting.words if setting is not None else None,
        preview=_text(partner_case, setting),
        default_text=expected_sender(partner_case),
        blocked=_blocked(partner_case),
    )


def notice_settings(identity: PortalIdentity) -> NoticeSettings:
    """Her setting (off until she turns it on) and exactly what a notice would say."""
    partner_case = case_of(identity)
    setting = db.session.scalar(
        select(PortalNoticeSetting).where(PortalNoticeSetting.access_id == identity.access_id)
    )
    audit_her(AuditAction.PORTAL_NOTICES_VIEWED, partner_case)
    return _settings(partner_case, setting)


def save_notice_settings(
    identity: PortalIdentity, *, enabled: bool, words: str | None
) -> NoticeSettings:
    """She turns notices on or off and chooses their words (blank: the sender name she
    expects). Refused with :class:`NoticeWordsInvalid` (field ``words``) for words longer
    than :data:`MAX_WORDS_LENGTH` characters, with a web or e-mail address, with three digits
    or more in a row, or naming the clinic or what it does.

    A notice still waiting takes the change at once: turned off, it is cancelled; with new
    words, it carries them."""
    partner_case = case_of(identity)
    chosen = _checked_words(words, partner_case)
    now = current_runtime().clock.now()
    # Her access's row first: two saves at once (a form sent twice) write one setting.
    db.session.execute(
        select(PortalAccess.id).where(PortalAccess.id == identity.access_id).with_for_update()
    )
    setting = _her_setting(identity)
    if setting is None:
        setting = PortalNoticeSetting(
            id=uuid.uuid4(),
            data_key_id=partner_case.data_key_id,
            access_id=identity.access_id,
            partner_case_id=partner_case.id,
            changed_at=now,
        )
        db.session.add(setting)
    setting.enabled = enabled
    setting.words = chosen
    setting.changed_at = now
    db.session.flush()
    _follow_waiting(partner_case, setting, now)
    audit_her(AuditAction.PORTAL_NOTICES_CHANGED, partner_case)
    return _settings(partner_case, setting)


def _follow_waiting(partner_case: PartnerCase, setting: PortalNoticeSetting, now: datetime) -> None:
    """A notice not yet handed to the worker follows her new setting."""
    waiting = db.session.scalars(
        select(SmsMessage)
        .where(
            SmsMessage.partner_case_id == partner_case.id,
            SmsMessage.purpose == PORTAL_NOTICE_PURPOSE,
            SmsMessage.state == "queued",
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for message in waiting:
        if not setting.enabled:
            cancel(message, "notices_off", now)
        else:
            message.body = _text(partner_case, setting)
            message.template_version = AGREED_WORDS if setting.words else SENDER_NAME
    db.session.flush()


# --- her treater's side ------------------------------------------------------------------------


def notices_for_treater(partner_case: PartnerCase) -> NoticesForTreater:
    """Whether she has notices on (for an access still open), and why none would go. Her
    words are not shown: they are hers, and a treater has no need of them. Read by a page that
    loaded the case for her treater; not audited here."""
    row = db.session.execute(_for_treater(), {"case_id": partner_case.id}).one()
    return NoticesForTreater(on=row.notices_on, blocked=_blocked_by(partner_case, row.sms_allowed))


@functools.cache
def _for_treater() -> Select[bool, bool | None]:
    # Both answers in one statement: her treater's page reads nothing else of hers here.
    case_id: BindParameter[uuid.UUID] = bindparam("case_id")
    return select(
        notice_settings_in_force(case_id).exists().label("notices_on"),
        latest_plan_allows_sms().scalar_subquery().label("sms_allowed"),
    )


# --- the notice --------------------------------------------------------------------------------


def _her_number(partner_case: PartnerCase) -> tuple[str, str] | None:
    """Her number and its blind index, where every text to her goes: the one place this
    module asks."""
    reach = current_reach(partner_case)
    if not reach.phone or not reach.phone_index:
        return None
    return reach.phone, reach.phone_index


def _notices(partner_case: PartnerCase, states: tuple[str, ...]) -> Select[uuid.UUID]:
    return select(SmsMessage.id).where(
        SmsMessage.partner_case_id == partner_case.id,
        SmsMessage.purpose == PORTAL_NOTICE_PURPOSE,
        SmsMessage.state.in_(states),
    )


def _told_already(partner_case: PartnerCase) -> bool:
    """A notice waits, or one went out while a message she has not read yet was there (or
    there is nothing unread to tell her of)."""
    if db.session.scalar(_notices(partner_case, WAITING_STATES).limit(1)) is not None:
        return True
    since = oldest_unread_to_her(partner_case)
    if since is None:
        return True
    told = _notices(partner_case, SENT_STATES).where(SmsMessage.sent_at >= since).limit(1)
    return db.session.scalar(told) is not None


def notify_her(partner_case: PartnerCase, now: datetime) -> SmsMessage | None:
    """Queue the notice of a message just written to her, if one may go; the notice, or None.

    Nothing is refused to the writer: a notice that may not go is simply not queued (the
    gate records its refusal as for any send)."""
    setting = notice_setting_in_force(partner_case, lock=True)
    if setting is None or partner_case.protected_identity:
        # Protected: every send to her needs a named person's decision for that one send,
        # which a machine never takes (as for session reminders).
        return None
    plan = latest_plan(partner_case)
    if plan is None or not plan.sms_allowed or _told_already(partner_case):
        return None
    number = _her_number(partner_case)
    if number is None:
        return None
    phone, phone_index = number
    moment = next_safe_moment(plan, clinic_zone(clinic_of(partner_case)), now, now + WAITS_AT_MOST)
    if moment is None:
        return None
    try:
        # Asked for the moment it will go: outside her hours now, it waits for them.
        check_outbound_allowed(
            None,
            partner_case,
            "sms",
            moment,
            purpose=PORTAL_NOTICE_PURPOSE,
            phone_index=phone_index,
            phone_number=phone,
            spend_decision=False,
        )
    except MessageRefused as exc:
        # The stop switch holds every queued text until it is lifted; the worker asks again.
        if exc.rule != "halted":
            return None
    message = SmsMessage(
        id=uuid.uuid4(),
        data_key_id=partner_case.data_key_id,
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        idempotency_key=f"{PORTAL_NOTICE_PURPOSE}:{uuid.uuid4().hex}",
        purpose=PORTAL_NOTICE_PURPOSE,
        # No template and no language: the text is her words or a name.
        language="",
        template_version=AGREED_WORDS if setting.words else SENDER_NAME,
        state="queued",
        attempts=0,
        next_attempt_at=moment,
        to_index=phone_index,
        to_number=phone,
        body=_text(partner_case, setting),
        created_by_id=None,
        created_at=now,
        state_changed_at=now,
    )
    db.session.add(message)
    db.session.flush()
    audit_message(AuditAction.SMS_QUEUED, message)
    return message
