"""Opening a new treatment period, starting the treatment and recording its sessions."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.episodes import open_new_episode
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import NewEpisodeForm, SessionForm, StartTreatmentForm
from partnercontact.web.client_side.views import bp, client_form


@bp.route("/<uuid:client_id>/episode/start", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def start(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = StartTreatmentForm()
    return client_form(
        "client_side/treatment_start.html",
        form,
        client_id,
        lambda: start_treatment(current_user, client_id, started_on=form.started_on.data),
        done=_("The treatment has started."),
        today_fields=("started_on",),
    )


@bp.route("/<uuid:client_id>/episode/new", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def new_episode(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = NewEpisodeForm()
    return client_form(
        "client_side/episode_new.html",
        form,
        client_id,
        lambda: open_new_episode(current_user, client_id, opened_on=form.opened_on.data),
        done=_(
            "A new treatment period was opened. Ask for his consent to partner contact again: "
            "an earlier one does not carry over."
        ),
        today_fields=("opened_on",),
    )


@bp.route("/<uuid:client_id>/sessions/new", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def new_session(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SessionForm()
    return client_form(
        "client_side/session_new.html",
        form,
        client_id,
        lambda: record_session(
            current_user,
            client_id,
            held_on=form.held_on.data,
            attendance=form.attendance.data or "",
        ),
        done=_("The session was recorded."),
        today_fields=("held_on",),
    )
