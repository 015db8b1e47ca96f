"""Text messages to her and her replies: the case section and the compose page."""

from __future__ import annotations

import uuid

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectField, SubmitField

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.messaging import sms
from partnercontact.partner_side.messaging.duplicates import DuplicateMessage
from partnercontact.partner_side.messaging.inbound import inbound_for, mark_replies_seen
from partnercontact.partner_side.messaging.templates import LANGUAGES, SMS_LABELS, SMS_PURPOSES
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import MessageRefused
from partnercontact.partner_side.service import audit
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.partner_side.pages import choices, form_page, form_refused, step_link
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

TEMPLATE = "partner_side/messages/sms_new.html"

SMS_STATE_LABELS = {
    "queued": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "cancelled": _l("Stopped before it was sent"),
}
# Why a message failed or was stopped; a provider's numeric code is shown as it is.
SMS_REASON_LABELS = {
    "halted": _l("the stop switch was on"),
    "opted_out": _l("her number replied STOP"),
    "not_mobile": _l("her number cannot receive text messages"),
    "contact": _l("a contact rule no longer allowed it"),
    "protected": _l("no send decision for a protected partner"),
    "retries_exhausted": _l("every attempt failed"),
    "expired": _l("the session it reminded of had begun"),
    "notices_off": _l("she turned texts about new messages off"),
    "read_already": _l("she had read her messages"),
    "not_safe_now": _l("she said it was not safe now"),
    "plan": _l("there was no safe-contact plan"),
    "plan_fit": _l("her safe-contact plan no longer allowed it"),
    "suitability": _l("contact was no longer found suitable"),
    "first_contact": _l("only the first contact was allowed before her plan"),
    "threat_warning": _l("no confirmed threat warning was in effect"),
    "no_number": _l("there was no number to send to"),
    "letter_returned": _l("a letter to her address came back"),
    "21610": _l("her number has opted out at the carrier"),
}


class SmsForm(FlaskForm):
    purpose = SelectField(_l("Text message"), choices=choices(SMS_PURPOSES))
    language = SelectField(_l("Language"), choices=choices(LANGUAGES, blank=False))
    idempotency_key = HiddenField()
    event = HiddenField()
    confirm = BooleanField(_l("I have read the text and it is safe to send to her now."))
    # Shown once the service says an identical text went to her a moment ago.
    confirm_duplicate = BooleanField(_l("Send it anyway"))
    preview = SubmitField(_l("Show the text"))
    send = SubmitField(_l("Send the text message"))


@bp.context_processor
def _message_labels() -> dict[str, object]:
    return {
        "sms_purpose_labels": SMS_LABELS,
        "sms_state_labels": SMS_STATE_LABELS,
        "sms_reason_labels": SMS_REASON_LABELS,
    }


@case_section(
    "messages",
    order=16,
    template="partner_side/sections/messages.html",
    view="texts",
    anchors=("sms-messages", "sms-replies"),
)
def _messages(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    replies = inbound_for(partner_case)
    data = {"sent": sms.sms_messages_of(partner_case), "replies": replies}
    mark_replies_seen(replies, current_runtime().clock.now())
    audit(AuditAction.MESSAGES_VIEWED, actor, partner_case)
    return data


def _event_of(form: SmsForm) -> uuid.UUID | None:
    try:
        return uuid.UUID(form.event.data) if form.event.data else None
    except ValueError:
        return None


def _draft_again(form: SmsForm, case_id: uuid.UUID) -> sms.SmsDraft | None:
    try:
        return sms.draft_sms(current_user, case_id, form.purpose.data, form.language.data)
    except DomainError:
        return None


@bp.route("/cases/<uuid:case_id>/sms/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def sms_new(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SmsForm()
    if not form.is_submitted():
        form.idempotency_key.data = sms.new_idempotency_key()
        form.purpose.data = request.args.get("purpose", "")
        form.event.data = request.args.get("event", "")
        return form_page(TEMPLATE, form, case_id)
    if not form.validate():
        return form_page(TEMPLATE, form, case_id, 400)
    try:
        if form.send.data and form.confirm.data:
            sms.queue_sms(
                current_user,
                case_id,
                purpose=form.purpose.data,
                language=form.language.data,
                idempotency_key=form.idempotency_key.data,
                relay_event_id=_event_of(form),
                confirm_duplicate=bool(form.confirm_duplicate.data),
            )
            return back_to_case(
                case_id, _("The text message is queued: it goes out within a minute."), "messages"
            )
        draft = sms.draft_sms(current_user, case_id, form.purpose.data, form.language.data)
        if not form.send.data:
            return form_page(
                TEMPLATE, form, case_id, draft=draft, missing_step=step_link(case_id, draft.refusal)
            )
        form.confirm.errors = [_("Read the text and confirm that it is safe to send.")]
        return form_page(TEMPLATE, form, case_id, 400, draft=draft)
    except DuplicateMessage as exc:
        # Nothing was written: the text again, with the question and the box that sends it.
        return form_refused(TEMPLATE, form, case_id, exc, draft=_draft_again(form, case_id))
    except MessageRefused as exc:
        # A safety rule refused it: its audit entry (and the reads before it) stay on record;
        # nothing else was written.
        db.session.commit()
        return form_refused(TEMPLATE, form, case_id, exc)
    except DomainError as exc:
        return form_refused(TEMPLATE, form, case_id, exc)
