"""Reminders addressed to oneself: the list, and marking one done."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.partner_side.scheduling import reminders as staff_reminders
from partnercontact.policy import Permission, requires
from partnercontact.web.calendar.forms import MarkDoneForm
from partnercontact.web.calendar.views import bp


@bp.route("/reminders", methods=["GET"])
@requires(Permission.REMINDERS_VIEW)
def reminders() -> str:
    return render_template(
        "calendar/reminders.html",
        reminders=staff_reminders.open_reminders(current_user),
        form=MarkDoneForm(formdata=None),
    )


@bp.route("/reminders/<uuid:reminder_id>/done", methods=["POST"])
@requires(Permission.REMINDERS_VIEW)
def mark_done(reminder_id: uuid.UUID) -> Response:
    """Someone else's reminder, or one that does not exist: 404 (ReminderNotFound)."""
    form = MarkDoneForm()
    if not form.validate():
        abort(400)
    staff_reminders.mark_done(current_user, reminder_id)
    db.session.commit()
    flash(_("The reminder is marked as done."), "success")
    return redirect(url_for("calendar.reminders"))
