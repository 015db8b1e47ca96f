"""What she asked for in her own channel, from her treater's side: the open tasks on her case
(urgent first), each marked seen to with a form that names the task, and how many wait on the
treater's cases for the home page. Her report of new violence or threats is seen to by handling
the urgent task it opened; her request to be told when his treatment ends, by recording it on
her consent (her answer's form) and then marking it seen to."""

from __future__ import annotations

import uuid

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField

from partnercontact.partner_side import portal_tasks
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.views import back_to_case, bp

ANCHOR = "portal-tasks"


class SeenToForm(FlaskForm):
    """The task to mark seen to, named in the form."""

    task_id = HiddenField()


@bp.context_processor
def _portal_task_helpers() -> dict[str, object]:
    # Loaded when the case page's portal section asks, not on every page; the case's list is
    # audited by the service (PORTAL_TASKS_VIEWED).
    return {
        "portal_tasks_of": lambda case_id: portal_tasks.open_tasks_of_case(current_user, case_id),
        "portal_task_kinds": portal_tasks,
    }


@bp.route("/cases/<uuid:case_id>/portal/tasks/seen-to", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
def portal_task_seen_to(case_id: uuid.UUID) -> Response:
    form = SeenToForm()
    if not form.validate():
        abort(400)
    try:
        task_id = uuid.UUID(form.task_id.data or "")
    except ValueError:
        abort(404)
    # A task missing, of another case, or seen to already (by a colleague a moment ago) is
    # not found, all alike; her report of new violence is seen to with its urgent task (409).
    # The error handler rolls back and answers with the service's message.
    portal_tasks.handle_task(current_user, case_id, task_id)
    return back_to_case(case_id, _("Marked as seen to."), ANCHOR)
