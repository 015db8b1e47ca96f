"""Pages for the contact work on a partner case: suitability, her answer and consent, the end
of contact, the safe-contact plan, contact attempts, threat warnings and send decisions.

Each page loads the case through the partner services (only the holder gets it), parses its
form, calls one service and goes back to the case page; a domain error is shown on the field
it names, with the input kept (status 400 for bad input). The case page's sections for these
records are registered here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from partnercontact.auth.models import User
from partnercontact.clinics import clock
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import contact, overrides, pauses, rules, sending
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.outcomes import outcomes_of
from partnercontact.partner_side.vocabulary import (
    ANSWERS,
    ATTEMPT_OUTCOMES,
    CHANNELS,
    CONTACT_KINDS,
    NO_CONTACT_REASONS,
    OVERRIDABLE_STEPS,
    OVERRIDE_REASONS,
    PARTNER_SCOPES,
    SUITABILITY_DECISIONS,
    THREAT_WARNING_REJECTIONS,
    WEEKDAYS,
)
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.partner_side.pages import (
    CHOOSE,
    ConfirmForm,
    case_form,
    choices,
    form_page,
    form_refused,
    step_link,
)
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp, case_url


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# The forms parse types only; every rule (required, allowed, in order) is the service's, so a
# page and any other caller get the same answer on the same field.


class SuitabilityForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=choices(SUITABILITY_DECISIONS))
    reason = SelectField(_l("Why not"), choices=choices(NO_CONTACT_REASONS))
    note = TextAreaField(_l("Note"))


class AnswerForm(FlaskForm):
    answer = SelectField(_l("Her answer"), choices=choices(ANSWERS))
    answered_on = DateField(_l("Date of her answer"), validators=[Optional()])
    scopes = _Checkboxes(
        _l("If she accepts: she consents to"), choices=choices(PARTNER_SCOPES, blank=False)
    )


class WithdrawConsentForm(FlaskForm):
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[Optional()])


class EndContactForm(FlaskForm):
    ended_on = DateField(_l("Ended on"), validators=[Optional()])


class SafeContactForm(FlaskForm):
    channels = _Checkboxes(
        _l("Ways of contact that are safe"), choices=choices(CHANNELS, blank=False)
    )
    safe_days = _Checkboxes(_l("Safe days"), choices=choices(WEEKDAYS, blank=False))
    safe_from = TimeField(_l("Safe from"), validators=[Optional()])
    safe_until = TimeField(_l("Safe until"), validators=[Optional()])
    voicemail_allowed = BooleanField(_l("A voicemail may be left"))
    letters_safe_at_address = BooleanField(_l("Letters are safe at her address"))
    sender_name = StringField(_l("The sender name she wants to see"))
    opener = StringField(_l("Agreed opening phrase"))


class AttemptForm(FlaskForm):
    channel = SelectField(_l("Way of contact"), choices=choices(CHANNELS))
    outcome = SelectField(_l("Outcome"), choices=choices(ATTEMPT_OUTCOMES))
    attempted_at = DateTimeLocalField(
        _l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )
    called_in = BooleanField(_l("She called the clinic herself"))
    safe_to_talk = BooleanField(
        _l("I asked first whether it was safe to talk, and she said it was")
    )


class ThreatWarningForm(FlaskForm):
    reason = TextAreaField(_l("The threat she must be warned of"))


class SendDecisionForm(FlaskForm):
    channel = SelectField(
        _l("Send"),
        choices=[
            CHOOSE,
            SelectChoice("letter", CHANNELS["letter"]),
            SelectChoice("sms", CHANNELS["sms"]),
        ],
    )
    reason = TextAreaField(_l("Reason for this one send"))


@bp.context_processor
def _contact_labels() -> dict[str, object]:
    return {
        "channel_labels": CHANNELS,
        "outcome_labels": ATTEMPT_OUTCOMES,
        "weekday_labels": WEEKDAYS,
        "suitability_labels": SUITABILITY_DECISIONS,
        "no_contact_reason_labels": NO_CONTACT_REASONS,
        "partner_scope_labels": PARTNER_SCOPES,
    }


def _page(
    template: str, form: FlaskForm, case_id: uuid.UUID, status: int = 200, **extra: object
) -> tuple[str, int]:
    return form_page(f"partner_side/contact/{template}", form, case_id, status, **extra)


def _refused(
    template: str, form: FlaskForm, case_id: uuid.UUID, exc: DomainError, **extra: object
) -> tuple[str, int]:
    return form_refused(f"partner_side/contact/{template}", form, case_id, exc, **extra)


def _form(
    template: str, form: FlaskForm, case_id: uuid.UUID, save: Callable[[], object], **options: Any
) -> Response | tuple[str, int]:
    return case_form(f"partner_side/contact/{template}", form, case_id, save, **options)


# --- suitability ------------------------------------------------------------------------------


@bp.route("/cases/<uuid:case_id>/suitability", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def suitability(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SuitabilityForm()

    def save() -> object:
        decision = form.decision.data or ""
        return contact.decide_suitability(
            current_user,
            case_id,
            decision=decision,
            # A reason left chosen while deciding for contact is not part of the decision.
            reason=(form.reason.data or None) if decision == "no_contact" else None,
            note=form.note.data,
        )

    return _form(
        "suitability.html",
        form,
        case_id,
        save,
        done=_("The assessment was recorded."),
        anchor="suitability",
    )


# --- her answer, her consent, the end of contact ----------------------------------------------


def _scopes_for(answer: str, ticked: list[str]) -> list[str]:
    if answer == "accepted":
        return ticked
    if answer == "declined":
        return [scope for scope in ticked if scope == contact.NOTICE_ONLY]
    return []


@bp.route("/cases/<uuid:case_id>/answer", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def answer(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AnswerForm()

    def save() -> object:
        chosen = form.answer.data or ""
        return contact.record_answer(
            current_user,
            case_id,
            answer=chosen,
            answered_on=form.answered_on.data,
            # Scopes ticked and then left behind by another answer are not her consent; when
            # she declines, only her asking to be told when he ends counts.
            scopes=_scopes_for(chosen, form.scopes.data or []),
        )

    return _form(
        "answer.html",
        form,
        case_id,
        save,
        done=_("Her answer was recorded."),
        anchor="answer",
        today_field="answered_on",
    )


@bp.route("/cases/<uuid:case_id>/consent/withdraw", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def withdraw_consent(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = WithdrawConsentForm()
    return _form(
        "consent_withdraw.html",
        form,
        case_id,
        lambda: contact.withdraw_partner_consent(
            current_user, case_id, withdrawn_on=form.withdrawn_on.data
        ),
        done=_("Her consent was withdrawn."),
        anchor="answer",
        today_field="withdrawn_on",
    )


@bp.route("/cases/<uuid:case_id>/end-contact", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def end_contact(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the contact is ended (POST)."""
    form = EndContactForm()
    return _form(
        "end_contact.html",
        form,
        case_id,
        lambda: contact.end_contact(current_user, case_id, ended_on=form.ended_on.data),
        done=_("The contact was ended. The offer still stands."),
        anchor="answer",
        today_field="ended_on",
    )


# --- the safe-contact plan ------------------------------------------------------------------


def _fill_from_plan(form: SafeContactForm, partner_case: PartnerCase) -> None:
    plan = rules.latest_plan(partner_case)
    if plan is None:
        return
    form.channels.data = rules.plan_channels(plan)
    form.safe_days.data = list(plan.safe_days)
    form.safe_from.data = plan.safe_from
    form.safe_until.data = plan.safe_until
    form.voicemail_allowed.data = plan.voicemail_allowed
    form.letters_safe_at_address.data = plan.letters_safe_at_address
    form.sender_name.data = plan.sender_name
    form.opener.data = plan.opener


@bp.route("/cases/<uuid:case_id>/safe-contact", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def safe_contact(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SafeContactForm()
    template = "safe_contact.html"
    if not form.is_submitted():
        # Not audited here: _page checks the holder and audits the read.
        _fill_from_plan(form, partners.partner_case_for(current_user, case_id, audited=False))
        return _page(template, form, case_id)
    if not form.validate():
        return _page(template, form, case_id, 400)
    plan = contact.SafeContactPlanIn(
        channels=form.channels.data or [],
        safe_days=form.safe_days.data or [],
        safe_from=form.safe_from.data,
        safe_until=form.safe_until.data,
        voicemail_allowed=bool(form.voicemail_allowed.data),
        letters_safe_at_address=bool(form.letters_safe_at_address.data),
        sender_name=form.sender_name.data,
        opener=form.opener.data,
    )
    try:
        contact.save_safe_contact_plan(current_user, case_id, plan)
    except DomainError as exc:
        return _refused(template, form, case_id, exc)
    return back_to_case(case_id, _("The safe-contact plan was saved."), "safe_contact")


# --- contact attempts -------------------------------------------------------------------------


@bp.route("/cases/<uuid:case_id>/attempts/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def new_attempt(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AttemptForm()
    template = "attempt_new.html"
    zone = clock.clinic_zone(current_user.clinic)

    def page(status: int = 200, **extra: object) -> tuple[str, int]:
        # Not audited here: _page loads the case again, checks the holder and audits the read.
        partner_case = partners.partner_case_for(current_user, case_id, audited=False)
        return _page(template, form, case_id, status, plan=rules.latest_plan(partner_case), **extra)

    if not form.is_submitted():
        now = current_runtime().clock.now().astimezone(zone)
        form.attempted_at.data = now.replace(second=0, microsecond=0, tzinfo=None)
        return page()
    if not form.validate():
        return page(400)
    # The form's time is the clinic's wall clock.
    when = form.attempted_at.data.replace(tzinfo=zone) if form.attempted_at.data else None
    try:
        recorded = contact.record_attempt(
            current_user,
            case_id,
            channel=form.channel.data or "",
            outcome=form.outcome.data or "",
            attempted_at=when,
            called_in=bool(form.called_in.data),
            safe_to_talk=bool(form.safe_to_talk.data) or None,
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page(exc.status, error=error, missing_step=step_link(case_id, exc))
    if recorded.marked_unreachable:
        message = _("The attempt was recorded. She is now marked unreachable: review the case.")
    else:
        message = _("The attempt was recorded.")
    return back_to_case(case_id, message, "attempts")


# --- threat warnings and send decisions -------------------------------------------------------


@bp.route("/cases/<uuid:case_id>/threat-warning", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def threat_warning(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ThreatWarningForm()
    template = "threat_warning.html"
    if not form.is_submitted():
        return _page(template, form, case_id)
    if not form.validate():
        return _page(template, form, case_id, 400)
    try:
        contact.record_threat_warning(current_user, case_id, reason=form.reason.data)
    except DomainError as exc:
        return _refused(template, form, case_id, exc)
    return back_to_case(
        case_id, _("The threat warning was recorded. A manager must confirm it."), "threat"
    )


@bp.route("/cases/<uuid:case_id>/send-decisions", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def send_decision(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SendDecisionForm()
    template = "send_decision.html"
    if not form.is_submitted():
        return _page(template, form, case_id)
    if not form.validate():
        return _page(template, form, case_id, 400)
    try:
        sending.record_send_decision(
            current_user, case_id, form.channel.data or "", form.reason.data
        )
    except DomainError as exc:
        return _refused(template, form, case_id, exc)
    return back_to_case(case_id, _("The decision was recorded. It allows one send."), "sends")


# --- the case page's sections -----------------------------------------------------------------


@case_section(
    "safety-steps",
    order=-1,
    template="partner_side/sections/safety_steps.html",
    view="now",
    anchors=("contact-paused", "safety-step-list", "safety-steps-done", "case-overrides"),
)
def _safety_steps_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    clinic = partners.clinic_of(partner_case)
    return {
        "steps": rules.safety_steps(partner_case),
        "pause": rules.current_pause(partner_case),
        "pause_form": ConfirmForm(),
        "overrides": overrides.overrides_of(partner_case),
        "first_call_days": [WEEKDAYS[day] for day in clinic.first_contact_days],
        "first_call_from": clinic.first_contact_from,
        "first_call_until": clinic.first_contact_until,
        "step_labels": OVERRIDABLE_STEPS,
        "kind_labels": CONTACT_KINDS,
        "reason_labels": OVERRIDE_REASONS,
    }


@bp.route("/cases/<uuid:case_id>/pause", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
def pause_contact(case_id: uuid.UUID) -> Response:
    # Someone else's case answers as a missing one, whatever the form carries.
    partners.held_case_for(current_user, case_id, audited=False)
    if ConfirmForm().validate():
        pauses.pause(current_user, case_id)
        db.session.commit()
        flash(_("Every contact with her waits until she or you lift the pause."), "success")
    return redirect(case_url(case_id, "safety-steps"))


@bp.route("/cases/<uuid:case_id>/pause/lift", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
def lift_pause(case_id: uuid.UUID) -> Response:
    partners.held_case_for(current_user, case_id, audited=False)
    if ConfirmForm().validate():
        try:
            pauses.lift(current_user, case_id)
        except DomainError:
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("The pause is lifted: contact her as her plan allows."), "success")
    return redirect(case_url(case_id, "safety-steps"))


@case_section(
    "safe_contact",
    order=0,
    template="partner_side/sections/safe_contact.html",
    view="contact",
    anchors=("safe-contact-plan",),
)
def _safe_contact_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    return {"plan": rules.latest_plan(partner_case)}


@case_section(
    "suitability", order=11, template="partner_side/sections/suitability.html", view="contact"
)
def _suitability_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    history = contact.suitability_history(partner_case)
    return {"current": history[0] if history else None, "history": history}


@case_section(
    "answer",
    order=12,
    template="partner_side/sections/answer.html",
    view="contact",
    anchors=("unreachable-review",),
)
def _answer_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    return {
        "review": contact.unreachable_review(partner_case),
        "history": contact.answer_history(partner_case),
        "consent": rules.current_partner_consent(partner_case),
    }


@case_section("attempts", order=13, template="partner_side/sections/attempts.html", view="contact")
def _attempts_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    clinic = partners.clinic_of(partner_case)
    return {
        "attempts": rules.attempts_of(partner_case),
        "answers": outcomes_of(partner_case),
        "required": clinic.contact_attempts_required,
        "window_days": clinic.contact_attempt_window_days,
    }


@case_section("threat", order=14, template="partner_side/sections/threat.html", view="contact")
def _threat_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    now = current_runtime().clock.now()
    warnings = contact.threat_warnings(partner_case)
    contact.mark_threat_decisions_seen(warnings, now)
    return {
        "warnings": [
            (warning, contact.threat_warning_decision(warning, now)) for warning in warnings
        ],
        "may_record": rules.has_opted_out(partner_case),
        "rejection_labels": THREAT_WARNING_REJECTIONS,
    }


@case_section(
    "sends",
    order=15,
    template="partner_side/sections/sends.html",
    view="contact",
    anchors=("send-channel", "send-reason"),
)
def _sends_section(actor: User, partner_case: PartnerCase) -> dict[str, object] | None:
    if not partner_case.protected_identity:
        return None
    return {"decisions": sending.send_decisions(partner_case), "form": SendDecisionForm()}
