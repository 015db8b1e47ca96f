"""Investigations of one partner case's detailed trail: opened with a reason from a closed
list and the clinic's reference, audited, and shown to the treater who holds the case (see
:mod:`partnercontact.audit.investigations`)."""

from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from partnercontact.audit import investigations as service
from partnercontact.audit.access_log import MAX_PAGE
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp


class InvestigationForm(FlaskForm):
    """Renders the fields and keeps what was typed; the service validates."""

    case = StringField(
        _l("Partner case reference"), render_kw={"autocomplete": "off", "spellcheck": "false"}
    )
    reason = SelectField(_l("Reason"), validate_choice=False)
    reference = StringField(_l("The clinic's reference (diary number)"))


def _form() -> InvestigationForm:
    form = InvestigationForm()
    form.reason.choices = [
        SelectChoice("", _l("Choose…")),
        *(SelectChoice(key, label) for key, label in service.REASONS.items()),
    ]
    return form


@bp.route("/access-log/investigations")
@requires(Permission.ACCESS_LOG_INVESTIGATE)
def investigations() -> str:
    return render_template(
        "management/investigations.html",
        investigations=service.investigations_of_clinic(current_user),
    )


@bp.route("/access-log/investigations/new", methods=["GET", "POST"])
@requires(Permission.ACCESS_LOG_INVESTIGATE)
def open_investigation() -> Response | tuple[str, int]:
    form = _form()
    if not form.is_submitted():
        form.case.data = request.args.get("case", "")[:64]
        return render_template("management/investigation_new.html", form=form), 200
    if not form.validate():
        return render_template("management/investigation_new.html", form=form), 400
    try:
        investigation_id = service.open_investigation(
            current_user,
            case=form.case.data or "",
            reason=form.reason.data or "",
            reference=form.reference.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        page = render_template("management/investigation_new.html", form=form, error=error)
        return page, exc.status
    db.session.commit()
    return redirect(url_for("management.investigation", investigation_id=investigation_id))


@bp.route("/access-log/investigations/<uuid:investigation_id>")
@requires(Permission.ACCESS_LOG_INVESTIGATE)
def investigation(investigation_id: uuid.UUID) -> tuple[str, int]:
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdecimal() and 1 <= int(raw_page) <= MAX_PAGE else None
    if page is None:
        raise service.InvestigationInvalid(_l("The page is a whole number from 1."), field="page")
    shown, result = service.investigation_trail(current_user, investigation_id, page)
    body = render_template("management/investigation.html", investigation=shown, result=result)
    db.session.commit()  # the audit entry of the reading
    return body, 200
