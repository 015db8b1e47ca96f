"""Her own safety in her hands: how and when the clinic may contact her, and a safer number or
address of her own.

- Her plan in plain words, and a form to change it. Less contact counts at once; more contact,
  or any other change, waits for her contact at the clinic
  (:mod:`partnercontact.partner_side.her_plan`).
- Her own number and address, shown only by the last digits of the number; she gives, replaces
  or removes them (:mod:`partnercontact.partner_side.own_details`). Removing asks first.

Nothing about her case is in an address: everything travels in the forms she sends.
"""

from __future__ import annotations

from datetime import time

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import her_plan, own_details
from partnercontact.partner_side.portal_access import PortalIdentity
from partnercontact.partner_side.vocabulary import WEEKDAYS
from partnercontact.portal import sessions
from partnercontact.portal.views import bp, refused

PLAN = "portal/plan.html"
DETAILS = "portal/own_details.html"
REMOVE = "portal/own_details_remove.html"

# The ways of contact in her words.
HER_CHANNELS = {
    "phone": _l("Phone calls"),
    "sms": _l("Text messages"),
    "letter": _l("Letters"),
}
_TIME = {"type": "time", "autocomplete": "off", "inputmode": "numeric", "placeholder": "hh:mm"}


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(FlaskForm):
    channels = _Checkboxes(
        _l("We may contact you by"),
        choices=[SelectChoice(key, label) for key, label in HER_CHANNELS.items()],
    )
    safe_days = _Checkboxes(
        _l("On these days"), choices=[SelectChoice(key, label) for key, label in WEEKDAYS.items()]
    )
    # Text fields parsed here, so what she typed stays as typed when it cannot be read.
    safe_from = StringField(_l("From"), render_kw=_TIME)
    safe_until = StringField(_l("Until"), render_kw=_TIME)
    voicemail_allowed = BooleanField(_l("We may leave a voicemail"))
    letters_safe_at_address = BooleanField(_l("Letters are safe at your address"))
    sender_name = StringField(
        _l("The sender name you see"),
        render_kw={"maxlength": her_plan.SENDER_NAME_MAX, "autocomplete": "off"},
    )
    opener = StringField(
        _l("The words we begin with"),
        render_kw={"maxlength": her_plan.OPENER_MAX, "autocomplete": "off"},
    )


class OwnDetailsForm(FlaskForm):
    phone = StringField(
        _l("A safer phone number"),
        render_kw={"autocomplete": "off", "inputmode": "tel", "maxlength": 30},
    )
    address = TextAreaField(
        _l("A safer postal address"),
        render_kw={"rows": 3, "autocomplete": "off", "maxlength": own_details.MAX_ADDRESS},
    )


class RemoveForm(FlaskForm):
    """What to remove, named in the form: ``phone`` or ``address``; ``confirmed`` is set by the
    confirmation page's button only."""

    which = HiddenField()
    confirmed = HiddenField()


# --- her plan ---------------------------------------------------------------------------------


class _BadTime(DomainError):
    """A time she typed that cannot be read."""


def _parsed_time(form: PlanForm, name: str) -> time | None:
    text = (form[name].data or "").strip()
    if not text:
        return None
    try:
        if len(text) in (4, 5, 8):  # 9:30, 09:30, or 09:30:00 as some browsers send it
            return time.fromisoformat(text.zfill(5) if len(text) == 4 else text)
    except ValueError:
        pass
    raise _BadTime(_l("Write the time as 09:30."), field=name)


def _terms(form: PlanForm) -> her_plan.PlanTerms:
    return her_plan.PlanTerms.given(
        channels=form.channels.data or [],
        safe_days=form.safe_days.data or [],
        safe_from=_parsed_time(form, "safe_from"),
        safe_until=_parsed_time(form, "safe_until"),
        voicemail_allowed=bool(form.voicemail_allowed.data),
        letters_safe_at_address=bool(form.letters_safe_at_address.data),
        sender_name=form.sender_name.data,
        opener=form.opener.data,
    )


def _filled(form: PlanForm, view: her_plan.HerPlan) -> None:
    plan = view.plan
    if plan is None:
        return
    terms = her_plan.PlanTerms.of(plan)
    form.channels.data = [key for key in HER_CHANNELS if key in terms.channels]
    form.safe_days.data = sorted(terms.safe_days)
    form.safe_from.data = plan.safe_from.strftime("%H:%M") if plan.safe_from else ""
    form.safe_until.data = plan.safe_until.strftime("%H:%M") if plan.safe_until else ""
    form.voicemail_allowed.data = plan.voicemail_allowed
    form.letters_safe_at_address.data = plan.letters_safe_at_address
    form.sender_name.data = plan.sender_name or ""
    form.opener.data = plan.opener or ""


def _plan_page(
    identity: PortalIdentity,
    form: PlanForm,
    status: int = 200,
    error: str | None = None,
    *,
    fill: bool = False,
) -> tuple[str, int]:
    """Her plan page; commits the audit entry of the read."""
    view = her_plan.plan_for_her(identity)
    if fill:
        _filled(form, view)
    page = render_template(
        PLAN, view=view, form=form, error=error, her_channels=HER_CHANNELS, weekdays=WEEKDAYS
    )
    db.session.commit()
    return page, status


@bp.route("/plan", methods=["GET", "POST"])
def my_plan() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = PlanForm()
    if not form.is_submitted():
        return _plan_page(identity, form, fill=True)
    if not form.validate():
        return _plan_page(identity, form, 400)
    try:
        change = her_plan.change_plan_by_her(identity, _terms(form))
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        return _plan_page(identity, form, exc.status, error)
    db.session.commit()
    if change.outcome == her_plan.NARROWER:
        flash(_("Your plan is changed. It counts from now."))
    else:
        flash(
            _(
                "Your proposal is sent to your contact at the clinic. Until they confirm it, "
                "your plan stays as it was."
            )
        )
    if change.replaced:
        flash(_("This replaces the proposal you sent before."))
    return redirect(url_for("portal.my_plan"))


# --- her own number and address -----------------------------------------------------------------


def _details_page(
    identity: PortalIdentity, form: OwnDetailsForm, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    """Her own details page; commits the audit entry of the read."""
    page = render_template(
        DETAILS,
        own=own_details.own_details_for_her(identity),
        form=form,
        error=error,
    )
    db.session.commit()
    return page, status


@bp.route("/contact-details", methods=["GET", "POST"])
def my_details() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = OwnDetailsForm()
    if not form.is_submitted():
        return _details_page(identity, form)
    if not form.validate():
        return _details_page(identity, form, 400)
    try:
        own_details.give_own_details(identity, phone=form.phone.data, address=form.address.data)
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        return _details_page(identity, form, exc.status, error)
    db.session.commit()
    flash(_("Saved. From now on we use what you gave here."))
    return redirect(url_for("portal.my_details"))


@bp.route("/contact-details/remove", methods=["GET", "POST"])
def remove_my_detail() -> Response | tuple[str, int]:
    """A confirmation page first (the form names what to remove); removing on its button."""
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = RemoveForm()
    if not form.is_submitted():
        return redirect(url_for("portal.my_details"))
    which = form.which.data or ""
    if which not in (own_details.PHONE, own_details.ADDRESS) or not form.validate():
        return _details_page(identity, OwnDetailsForm(formdata=None), 400)
    if form.confirmed.data != "yes":
        return render_template(REMOVE, form=form, which=which), 200
    try:
        own_details.remove_own_detail(identity, which)
    except DomainError as exc:
        db.session.rollback()
        return _details_page(identity, OwnDetailsForm(formdata=None), exc.status, str(exc.message))
    db.session.commit()
    flash(_("Removed. We use what the clinic had before."))
    return redirect(url_for("portal.my_details"))
