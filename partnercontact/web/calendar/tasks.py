"""The administrators' page of the task queue: counts, and the tasks that failed."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.tasks.models import TASK_STATES
from partnercontact.tasks.overview import task_overview
from partnercontact.web.calendar.views import bp

STATE_LABELS = {
    "pending": _l("Waiting"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}


@bp.route("/admin/tasks", methods=["GET"])
@requires(Permission.TASKS_VIEW)
def tasks() -> str:
    overview = task_overview(current_user)
    rendered = render_template(
        "calendar/tasks.html", overview=overview, states=TASK_STATES, state_labels=STATE_LABELS
    )
    db.session.commit()  # the audit entry of the read
    return rendered
