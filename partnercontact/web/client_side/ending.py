"""Ending the treatment episode, behind a confirmation: it destroys the signed consent."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.ending import end_episode
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import EndEpisodeForm
from partnercontact.web.client_side.views import bp, client_form


@bp.route("/<uuid:client_id>/episode/end", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def end(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = EndEpisodeForm()
    return client_form(
        "client_side/episode_end.html",
        form,
        client_id,
        lambda: end_episode(
            current_user, client_id, ended_on=form.ended_on.data, outcome=form.outcome.data or ""
        ),
        done=_("The treatment episode was ended."),
        today_fields=("ended_on",),
    )
