"""The managers' task list: everything the partner side escalated to them that is still open,
and the page where a manager records how an escalation was handled.

Each item names its case by the neutral reference only. The list and the handling page show
keys of closed lists (a reason, an urgency, a risk level, a reminder's kind), dates and the
colleague who escalated; :mod:`partnercontact.partner_side.escalations` selects nothing else, so
no clinical note and no partner detail can reach these pages.
"""

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

from partnercontact.db import db
from partnercontact.partner_side import escalations
from partnercontact.partner_side.scheduling.kinds import REMINDERS
from partnercontact.partner_side.vocabulary import RISK_LEVELS
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.staffing import waiting_for_a_treater
from partnercontact.web.management.views import bp

HANDLE_TEMPLATE = "management/escalation_handle.html"


class HandleEscalationForm(FlaskForm):
    # The service checks the choice and names the field in its own words.
    outcome = SelectField(
        _l("How it was handled"),
        choices=[
            SelectChoice("", _l("Choose…")),
            *(SelectChoice(key, label) for key, label in escalations.OUTCOMES.items()),
        ],
        validate_choice=False,
    )


@bp.context_processor
def _task_labels() -> dict[str, object]:
    return {
        "escalation_reason_labels": escalations.REASONS,
        "escalation_urgency_labels": escalations.URGENCIES,
        "reminder_kind_labels": REMINDERS,
        "task_risk_level_labels": RISK_LEVELS,
    }


@bp.route("/tasks")
@requires(Permission.ESCALATIONS_HANDLE)
def tasks() -> str:
    items = escalations.manager_task_list(current_user)
    page = render_template("management/tasks.html", items=items, **waiting_for_a_treater())
    db.session.commit()  # the audit entry of the read
    return page


@bp.route("/tasks/escalations/<uuid:escalation_id>/handle", methods=["GET", "POST"])
@requires(Permission.ESCALATIONS_HANDLE)
def handle_escalation(escalation_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page with the outcome to choose (GET), then the handling (POST).

    Another clinic's escalation, a handled one or one that does not exist: 404."""
    escalation = escalations.escalation_for_manager(current_user, escalation_id)
    form = HandleEscalationForm()

    def page(status: int = 200, error: str | None = None) -> tuple[str, int]:
        body = render_template(HANDLE_TEMPLATE, form=form, escalation=escalation, error=error)
        db.session.commit()  # the audit entry of the read
        return body, status

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(400)
    try:
        escalations.handle_escalation(current_user, escalation_id, outcome=form.outcome.data)
    except escalations.EscalationInvalid as exc:
        db.session.rollback()
        # Read again: the rollback took the read's audit entry with it, and another manager
        # may have handled it meanwhile (then 404).
        escalation = escalations.escalation_for_manager(current_user, escalation_id)
        return page(exc.status, show_on_form(form, exc))
    db.session.commit()
    flash(_("The escalation was marked as handled."), "success")
    return redirect(url_for("management.tasks"))
