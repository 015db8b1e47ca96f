"""Texts from unknown numbers: the administrators' list, opening one with a stated reason,
giving it to a partner-contact treater, destroying it. The words are shown in the response to
the opening only: never in a list, a URL or a page another request can fetch again."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.messaging import triage
from partnercontact.policy import Permission, requires
from partnercontact.web.admin.views import bp
from partnercontact.web.form_errors import show_on_form

REASON_LABELS = {
    "identify": _l("To find whose text message it is"),
    "her_call": _l("The sender called about a text message she sent"),
}
# Every reason the service knows has its words here.
assert set(REASON_LABELS) == set(triage.OPENING_REASONS)


class OpenForm(FlaskForm):
    # The choice is checked by the service, the one place that knows the reasons.
    reason = RadioField(
        _l("Why do you open it?"),
        choices=[SelectChoice(code, label) for code, label in REASON_LABELS.items()],
        validate_choice=False,
        validators=[InputRequired(_l("Choose why you open the text message."))],
    )


class GiveForm(FlaskForm):
    treater = SelectField(
        _l("Partner-contact treater"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose a partner-contact treater of the clinic."))],
    )


class DiscardForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that the text message is destroyed and can never be read again."),
        validators=[InputRequired(_l("Confirm that the text message is to be destroyed."))],
    )


class TakeBackForm(FlaskForm):
    """A POST with nothing but its CSRF token."""


def _open_page(
    text_id: uuid.UUID, form: OpenForm, status: int = 200, error: object = None
) -> tuple[str, int]:
    text = triage.waiting_text(current_user, text_id, taken_up=False)
    page = render_template("admin/unknown_texts/open.html", text=text, form=form, error=error)
    return page, status


def _give_form(*, submitted: bool) -> GiveForm:
    form = GiveForm() if submitted else GiveForm(formdata=None)
    form.treater.choices = [
        SelectChoice(str(user_id), name)
        for user_id, name in triage.treaters_to_give_to(current_user)
    ]
    return form


def _number(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


@bp.route("/unknown-texts")
@requires(Permission.UNMATCHED_SMS_TRIAGE)
def unknown_texts() -> str:
    return render_template(
        "admin/unknown_texts/list.html",
        texts=triage.texts_for_triage(current_user),
        take_back_form=TakeBackForm(formdata=None),
    )


@bp.route("/unknown-texts/<uuid:text_id>/open", methods=["GET", "POST"])
@requires(Permission.UNMATCHED_SMS_TRIAGE)
def open_unknown_text(text_id: uuid.UUID) -> tuple[str, int]:
    """Ask why (GET, showing nothing of the text), then show it (POST)."""
    form = OpenForm()
    if not form.is_submitted():
        return _open_page(text_id, form)
    if not form.validate():
        return _open_page(text_id, form, 400)
    try:
        text = triage.open_for_triage(current_user, text_id, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return _open_page(text_id, form, exc.status, error)
    give_form = _give_form(submitted=False)
    # The text's words are in this response only: the page is not kept (no-store), and the
    # choices on it post to their own addresses, which never show the words again.
    page = render_template("admin/unknown_texts/opened.html", text=text, give_form=give_form)
    db.session.commit()
    return page, 200


@bp.route("/unknown-texts/<uuid:text_id>/give", methods=["POST"])
@requires(Permission.UNMATCHED_SMS_TRIAGE)
def give_unknown_text(text_id: uuid.UUID) -> Response | tuple[str, int]:
    form = _give_form(submitted=True)
    error = None
    status = 400
    if form.validate():
        try:
            triage.give_to_treater(current_user, text_id, _number(form.treater.data))
        except DomainError as exc:
            db.session.rollback()
            error, status = show_on_form(form, exc), exc.status
        else:
            db.session.commit()
            flash(_("The text message was given to the treater."), "success")
            return redirect(url_for("admin.unknown_texts"))
    page = render_template(
        "admin/unknown_texts/give.html", text_id=text_id, give_form=form, error=error
    )
    return page, status


@bp.route("/unknown-texts/<uuid:text_id>/take-back", methods=["POST"])
@requires(Permission.UNMATCHED_SMS_TRIAGE)
def take_back_unknown_text(text_id: uuid.UUID) -> Response:
    # The form carries nothing but its CSRF token, which the app checks before any view.
    triage.take_back(current_user, text_id)
    db.session.commit()
    flash(_("The text message waits for the administrators again."), "success")
    return redirect(url_for("admin.unknown_texts"))


@bp.route("/unknown-texts/<uuid:text_id>/discard", methods=["GET", "POST"])
@requires(Permission.UNMATCHED_SMS_TRIAGE)
def discard_unknown_text(text_id: uuid.UUID) -> Response | tuple[str, int]:
    """Ask for confirmation (GET, changing nothing), then destroy the text (POST)."""
    form = DiscardForm()
    if not form.is_submitted():
        text = triage.waiting_text(current_user, text_id, taken_up=True)
        return render_template("admin/unknown_texts/discard.html", text=text, form=form), 200
    error = None
    status = 400
    if form.validate():
        try:
            triage.discard(current_user, text_id)
        except DomainError as exc:
            db.session.rollback()
            error, status = show_on_form(form, exc), exc.status
        else:
            db.session.commit()
            flash(_("The text message was destroyed."), "success")
            return redirect(url_for("admin.unknown_texts"))
    # Refused: the question again, without the text's details (it may be gone by now).
    page = render_template(
        "admin/unknown_texts/discard.html", text=None, text_id=text_id, form=form, error=error
    )
    return page, status
