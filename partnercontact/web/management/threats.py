"""Deciding on imminent-threat warnings: a manager of the clinic confirms that a partner who
declined or ended contact must be warned anyway, or rejects the warning with a reason from a
closed list.

The list names each waiting warning by its case's neutral reference and date only; the
decision page adds the reason the manager needs to decide. Neither ever shows the partner's
name or contact details, and nothing here is reachable from the client side.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.vocabulary import THREAT_WARNING_REJECTIONS
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp

DECIDE_TEMPLATE = "management/threats_confirm.html"


class RejectThreatWarningForm(FlaskForm):
    # The service checks the choice and names the field in its own words.
    reason = RadioField(
        _l("Why is the warning rejected?"),
        choices=[SelectChoice(key, label) for key, label in THREAT_WARNING_REJECTIONS.items()],
        validate_choice=False,
    )


@bp.route("/threats")
@requires(Permission.THREAT_WARNINGS_CONFIRM)
def threats() -> str:
    warnings = contact.unconfirmed_threat_warnings(current_user)
    page = render_template("management/threats.html", warnings=warnings)
    db.session.commit()
    return page


def _decision_page(
    warning_id: uuid.UUID,
    form: FlaskForm,
    reject_form: RejectThreatWarningForm,
    status: int,
    error: str | None = None,
) -> tuple[str, int]:
    # NotFound (unknown, or another clinic's warning) and Conflict (already confirmed or
    # rejected) become pages in web.errors.
    warning = contact.threat_warning_for_manager(current_user, warning_id)
    page = render_template(
        DECIDE_TEMPLATE, form=form, reject_form=reject_form, warning=warning, error=error
    )
    db.session.commit()  # the audit entry of the read
    return page, status


@bp.route("/threats/<uuid:warning_id>/confirm", methods=["GET", "POST"])
@requires(Permission.THREAT_WARNINGS_CONFIRM)
def confirm_threat(warning_id: uuid.UUID) -> Response | tuple[str, int]:
    """The decision page (GET): the warning, a confirmation and a rejection form; then the
    confirmation (POST)."""
    form = FlaskForm()
    if not form.is_submitted() or not form.validate():
        status = 400 if form.is_submitted() else 200
        return _decision_page(warning_id, form, RejectThreatWarningForm(formdata=None), status)
    contact.confirm_threat_warning(current_user, warning_id)
    db.session.commit()
    flash(_("The threat warning is confirmed. She may now be warned."), "success")
    return redirect(url_for("management.threats"))


@bp.route("/threats/<uuid:warning_id>/reject", methods=["POST"])
@requires(Permission.THREAT_WARNINGS_CONFIRM)
def reject_threat(warning_id: uuid.UUID) -> Response | tuple[str, int]:
    """The rejection, posted from the decision page. A missing or unknown reason: the page
    again, status 400, the error on the reason, nothing decided."""
    reject_form = RejectThreatWarningForm()
    if not reject_form.validate():
        return _decision_page(warning_id, FlaskForm(formdata=None), reject_form, 400)
    try:
        contact.reject_threat_warning(current_user, warning_id, reason=reject_form.reason.data)
    except ContactInvalid as exc:
        db.session.rollback()
        error = show_on_form(reject_form, exc)
        return _decision_page(warning_id, FlaskForm(formdata=None), reject_form, exc.status, error)
    db.session.commit()
    flash(_("The threat warning is rejected. It will not take effect."), "success")
    return redirect(url_for("management.threats"))
