"""Pages for managers and auditors. Never imports another audience's views.

Managers audit metadata, never content: the consent register shows who recorded which
consent when, to what, and what became of it, with a neutral case reference instead of the
client's name (see :mod:`partnercontact.client_side.consent.register`).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from partnercontact.audit.access_log import OUTCOME_LABELS
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.consent import register, register_export
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import SCOPE_LABELS
from partnercontact.client_side.consent.register_labels import (
    DOCUMENT_LABELS,
    FORM_OF_CONSENT_LABELS,
    LANGUAGE_LABELS,
    RULE_LABELS,
    STATE_LABELS,
)
from partnercontact.client_side.consent.schemas import register_filters_from_query
from partnercontact.db import db
from partnercontact.policy import Permission, can, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.forms import RegisterFilterForm

bp = Blueprint("management", __name__, url_prefix="/management", template_folder="templates")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ACTION_LABELS = {
    AuditAction.CONSENT_RECORDED: _l("Consent recorded"),
    AuditAction.CONSENT_REFUSED: _l("Refusal recorded"),
    AuditAction.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    AuditAction.CONSENT_FORM_PRINTED: _l("Consent form printed"),
    AuditAction.CONSENT_DOCUMENT_ATTACHED: _l("Signed copy attached"),
    AuditAction.CONSENT_DOCUMENT_VIEWED: _l("Signed copy opened"),
    AuditAction.CONSENT_DOCUMENT_DESTROYED: _l("Signed copy destroyed"),
    AuditAction.CONSENT_REGISTER_VIEWED: _l("Opened in the consent register"),
    AuditAction.DATAKEY_SHREDDED: _l("The signed copy's key was shredded"),
}


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "state_labels": STATE_LABELS,
        "scope_labels": SCOPE_LABELS,
        "document_labels": DOCUMENT_LABELS,
        "rule_labels": RULE_LABELS,
        "action_labels": ACTION_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "form_of_consent_labels": FORM_OF_CONSENT_LABELS,
    }


# The pages of follow-up, in the order the home page lists them, each under its permission.
PAGES = (
    (
        "management.statistics",
        _l("Statistics"),
        _l("Counts per month, quarter or year, with charts and exports."),
        Permission.STATISTICS_VIEW,
    ),
    (
        "management.consents",
        _l("Consent register"),
        _l("Every consent and refusal, and what became of the signed copy."),
        Permission.CONSENT_REGISTER_VIEW,
    ),
    (
        "management.access_log",
        _l("Access log"),
        _l("Who opened which record, and when."),
        Permission.ACCESS_LOG_VIEW,
    ),
    (
        "management.tasks",
        _l("Tasks from partner contact"),
        _l("Escalations, urgent consultations and threat warnings waiting for you."),
        Permission.ESCALATIONS_HANDLE,
    ),
    (
        "management.urgent_tasks",
        _l("Urgent tasks"),
        _l("Urgent consultations after a high risk result."),
        Permission.URGENT_TASKS_HANDLE,
    ),
    (
        "management.threats",
        _l("Threat warnings to decide"),
        _l(
            "Warnings to a partner who declined contact, waiting for you to confirm or reject them."
        ),
        Permission.THREAT_WARNINGS_CONFIRM,
    ),
    (
        "management.covers_page",
        _l("Cover during absence"),
        _l("Let a colleague work an absent treater's cases for a while."),
        Permission.CASES_REASSIGN,
    ),
    (
        "management.safety_overrides",
        _l("Exceptions from the contact steps"),
        _l("When the clinic must reach a partner once outside the safety steps: logged, once."),
        Permission.SAFETY_OVERRIDES_DECIDE,
    ),
)


@bp.route("/")
@requires(Permission.MANAGEMENT_VIEW)
def home() -> str:
    pages = [
        (endpoint, label, hint)
        for endpoint, label, hint, permission in PAGES
        if can(current_user, permission)
    ]
    return render_template("management/home.html", pages=pages)


def _filters_or_page(form: RegisterFilterForm) -> register.RegisterFilters | tuple[str, int]:
    """The filters of the query string, or the register page with the error on its field."""
    try:
        return register_filters_from_query(request.args)
    except ConsentInvalid as exc:
        error = show_on_form(form, exc)
        page = render_template(
            "management/consents.html", form=form, error=error, rows=None, counts=None
        )
        return page, exc.status


@bp.route("/consents")
@requires(Permission.CONSENT_REGISTER_VIEW)
def consents() -> tuple[str, int]:
    # The filters travel in the query string so a filtered register can be bookmarked and
    # exported; a GET changes nothing but the audit log, so the form carries no CSRF token.
    form = RegisterFilterForm(formdata=request.args)
    filters = _filters_or_page(form)
    if isinstance(filters, tuple):
        return filters
    rows = register.register_rows(current_user, filters)
    page = render_template(
        "management/consents.html",
        form=form,
        error=None,
        rows=rows,
        counts=register.count_by_state(rows),
        export_args=filters.query_args(),
    )
    db.session.commit()  # the audit entry of the read
    return page, 200


@bp.route("/consents.csv")
@requires(Permission.CONSENT_REGISTER_VIEW)
def consents_csv() -> Response | tuple[str, int]:
    form = RegisterFilterForm(formdata=request.args)
    filters = _filters_or_page(form)
    if isinstance(filters, tuple):
        return filters
    # A byte order mark so that spreadsheet programs read the file as UTF-8 (å, ä, ö).
    body = "\ufeff" + register_export.register_csv(current_user, filters)
    db.session.commit()  # the audit entry of the export
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{register_export.filename("csv")}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/consents.xlsx")
@requires(Permission.CONSENT_REGISTER_VIEW)
def consents_xlsx() -> Response | tuple[str, int]:
    form = RegisterFilterForm(formdata=request.args)
    filters = _filters_or_page(form)
    if isinstance(filters, tuple):
        return filters
    body = register_export.register_xlsx(current_user, filters)
    db.session.commit()  # the audit entry of the export
    response = Response(body, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{register_export.filename("xlsx")}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/consents/<uuid:consent_id>")
@requires(Permission.CONSENT_REGISTER_VIEW)
def consent_detail(consent_id: uuid.UUID) -> str:
    # NotFound (unknown, or another clinic's consent) becomes a 404 in web.errors.
    detail = register.register_detail(current_user, consent_id)
    page = render_template("management/consent.html", row=detail.row, trail=detail.trail)
    db.session.commit()  # the audit entry of the read
    return page
