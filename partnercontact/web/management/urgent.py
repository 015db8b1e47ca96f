"""Urgent tasks for the manager: a high risk result opens one when the clinic asks for it.

The manager sees which case (by neutral reference), when the task was opened and the risk
level, and records how the task was handled. Nothing else of the case reaches these pages:
no notes, no partner details (:mod:`partnercontact.partner_side.clinical` selects only those
columns).
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import clinical
from partnercontact.partner_side.vocabulary import RISK_LEVELS
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp

HANDLE_TEMPLATE = "management/urgent_handle.html"


class ManagerHandlingForm(FlaskForm):
    handling = TextAreaField(_l("How the task was handled"))


@bp.route("/urgent")
@requires(Permission.URGENT_TASKS_HANDLE)
def urgent_tasks() -> str:
    return render_template(
        "management/urgent.html",
        tasks=clinical.open_manager_tasks(current_user),
        risk_level_labels=RISK_LEVELS,
    )


@bp.route("/urgent/<uuid:task_id>/handle", methods=["GET", "POST"])
@requires(Permission.URGENT_TASKS_HANDLE)
def handle_urgent_task(task_id: uuid.UUID) -> Response | tuple[str, int]:
    # Not found for another clinic's task, a partner treater's task, a handled one, or anyone
    # who is not a manager (partner treaters hold the permission for their own tasks).
    task = clinical.manager_task(current_user, task_id)
    form = ManagerHandlingForm()

    def page(status: int = 200, error: str | None = None) -> tuple[str, int]:
        return render_template(
            HANDLE_TEMPLATE, form=form, task=task, error=error, risk_level_labels=RISK_LEVELS
        ), status

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(400)
    try:
        clinical.handle_manager_task(current_user, task_id, handling=form.handling.data)
    except DomainError as exc:
        db.session.rollback()
        return page(exc.status, show_on_form(form, exc))
    db.session.commit()
    flash(_("The urgent task was marked as handled."), "success")
    return redirect(url_for("management.urgent_tasks"))
