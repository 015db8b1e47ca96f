"""Texts from unknown numbers an administrator gave the treater: the list, reading one, and
placing it on a case she holds or handing it back."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from partnercontact.db import db
from partnercontact.partner_side.messaging import placing, triage
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.views import bp

MISSING_CASE = _l("Choose the case the text message belongs on.")


class PlaceForm(FlaskForm):
    # Not checked against the choices here: a case the actor does not hold is answered by
    # the service as one that does not exist.
    case_id = SelectField(
        _l("Her case"), validate_choice=False, validators=[InputRequired(MISSING_CASE)]
    )


class HandBackForm(FlaskForm):
    """A POST with nothing but its CSRF token."""


def _text_page(text_id: uuid.UUID, form: PlaceForm, status: int = 200, error: object = None):
    # Shown again on a refusal, and audited again: every showing of the words is on record.
    text = placing.open_given(current_user, text_id)
    cases = placing.cases_to_place_on(current_user)
    form.case_id.choices = [
        SelectChoice(
            str(choice.id),
            f"{choice.partner_name} ({choice.reference})"
            if choice.partner_name
            else choice.reference,
        )
        for choice in cases
    ]
    page = render_template(
        "partner_side/unknown_texts/text.html",
        text=text,
        form=form,
        hand_back_form=HandBackForm(formdata=None),
        error=error,
    )
    db.session.commit()  # the audit entries of the reads
    return page, status


@bp.route("/unknown-texts")
@requires(Permission.UNMATCHED_SMS_PLACE)
def unknown_texts() -> str:
    return render_template(
        "partner_side/unknown_texts/list.html",
        texts=triage.unmatched_texts_given_to(current_user),
    )


@bp.route("/unknown-texts/<uuid:text_id>")
@requires(Permission.UNMATCHED_SMS_PLACE)
def unknown_text(text_id: uuid.UUID) -> tuple[str, int]:
    return _text_page(text_id, PlaceForm(formdata=None))


@bp.route("/unknown-texts/<uuid:text_id>/place", methods=["POST"])
@requires(Permission.UNMATCHED_SMS_PLACE)
def place_unknown_text(text_id: uuid.UUID) -> Response | tuple[str, int]:
    form = PlaceForm()
    if not form.validate():
        return _text_page(text_id, form, 400)
    try:
        case_id = uuid.UUID(form.case_id.data or "")
    except ValueError:
        form.case_id.errors = [MISSING_CASE]
        return _text_page(text_id, form, 400)
    # A case the actor does not hold, or a text not given to the actor, answers 404 through
    # the error handler: the same as for one that does not exist.
    partner_case = placing.place(current_user, text_id, case_id)
    db.session.commit()
    flash(_("The text message is now among her replies on her case."), "success")
    return redirect(url_for("partner_side.case", case_id=partner_case.id, view="texts"))


@bp.route("/unknown-texts/<uuid:text_id>/hand-back", methods=["POST"])
@requires(Permission.UNMATCHED_SMS_PLACE)
def hand_back_unknown_text(text_id: uuid.UUID) -> Response | tuple[str, int]:
    form = HandBackForm()
    if not form.validate():
        return _text_page(text_id, PlaceForm(formdata=None), 400)
    placing.hand_back(current_user, text_id)
    db.session.commit()
    flash(_("The text message was handed back to the administrators."), "success")
    return redirect(url_for("partner_side.unknown_texts"))
