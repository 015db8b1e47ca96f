"""Ending the treatment episode, behind a confirmation: it destroys the signed consent."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.ending import end_episode
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.client_side.forms import EndEpisodeForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.form_errors import show_on_form

TEMPLATE = "client_side/episode_end.html"


@bp.route("/<uuid:client_id>/episode/end", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def end(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = EndEpisodeForm()
    if not form.is_submitted():
        form.ended_on.data = current_runtime().clock.now().date()
        return page_about_client(TEMPLATE, form, client_id)
    if not form.validate():
        return page_about_client(TEMPLATE, form, client_id, 400)
    try:
        end_episode(
            current_user, client_id, ended_on=form.ended_on.data, outcome=form.outcome.data or ""
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(TEMPLATE, form, client_id, exc.status, error=error)
    return back_to_client(client_id, _("The treatment episode was ended."))
