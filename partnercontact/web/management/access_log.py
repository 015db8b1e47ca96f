"""The access log for managers: who did what to which record of the clinic, and when.

The filters travel in the query string so a filtered view can be bookmarked and shared; a GET
changes nothing but the audit log, so the form carries no CSRF token. The page names people
by their staff name and username and records by a type and an id (a neutral reference for a
treatment episode or partner case); it never shows what a record holds.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from partnercontact.audit import access_log as service
from partnercontact.audit.access_log import AccessLogInvalid
from partnercontact.audit.runs import latest_verification
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management import log_places
from partnercontact.web.management.views import bp


class AccessLogFilterForm(FlaskForm):
    """Only renders the filters and keeps what the user typed; the audit package's
    :func:`~partnercontact.audit.access_log.parse_filters` validates them."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"))
    date_to = DateField(_l("To"))
    actor = SelectField(_l("Who"), validate_choice=False)
    action = SelectField(_l("What"), validate_choice=False)
    record_type = SelectField(_l("Type of record"), validate_choice=False)
    record_id = StringField(
        _l("Record id or reference"),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


def _form(staff: list[service.StaffMember]) -> AccessLogFilterForm:
    form = AccessLogFilterForm(formdata=request.args)
    form.actor.choices = [
        SelectChoice("", _l("Everyone")),
        SelectChoice(service.SYSTEM, _l("The system")),
        *(
            SelectChoice(str(member.id), f"{member.display_name} ({member.username})")
            for member in staff
        ),
    ]
    groups: dict[str | None, list[SelectChoice]] = {None: [SelectChoice("", _l("All actions"))]}
    for label, members in service.grouped_actions():
        groups[str(label)] = [SelectChoice(value, text) for value, text in members]
    form.action.choices = groups
    form.record_type.choices = [
        SelectChoice("", _l("All records")),
        *(
            SelectChoice(key, label)
            for key, label in sorted(service.RESOURCE_LABELS.items(), key=lambda item: str(item[1]))
        ),
    ]
    return form


@bp.route("/access-log")
@requires(Permission.ACCESS_LOG_VIEW)
def access_log() -> tuple[str, int]:
    staff = service.clinic_staff(current_user)
    form = _form(staff)
    verification = latest_verification()
    try:
        filters = service.parse_filters(current_user, log_places.opened(request.args), staff)
    except AccessLogInvalid as exc:
        error = show_on_form(form, exc)
        page = render_template(
            "management/access_log.html",
            form=form,
            error=error,
            result=None,
            filters=None,
            verification=verification,
        )
        return page, exc.status
    result = service.read_access_log(current_user, filters, staff)
    page = render_template(
        "management/access_log.html",
        form=form,
        error=None,
        result=result,
        filters=filters,
        verification=verification,
        sealed_places=log_places.sealed,
    )
    db.session.commit()  # the audit entry of the read
    return page, 200
