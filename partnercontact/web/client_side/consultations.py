"""Talks between the two treaters, from the client's treater's side: asking the
partner-contact treater for one, and recording one as held."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.consultations import (
    ask_partner_side,
    consultation_of_client,
    record_talk_held,
)
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.views import bp, client_form
from partnercontact.web.consultation_forms import AskForTalkForm, TalkHeldForm


@bp.route("/<uuid:client_id>/consultations/new", methods=["GET", "POST"])
@requires(Permission.CONSULTATIONS_CLIENT_SIDE)
def ask_for_consultation(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AskForTalkForm()
    return client_form(
        "client_side/consultation_ask.html",
        form,
        client_id,
        lambda: ask_partner_side(current_user, client_id, reason=form.reason.data),
        done=_("The partner-contact treater was asked for a talk."),
    )


@bp.route("/<uuid:client_id>/consultations/<uuid:consultation_id>", methods=["GET", "POST"])
@requires(Permission.CONSULTATIONS_CLIENT_SIDE)
def consultation_held(
    client_id: uuid.UUID, consultation_id: uuid.UUID
) -> Response | tuple[str, int]:
    form = TalkHeldForm()
    return client_form(
        "client_side/consultation_held.html",
        form,
        client_id,
        lambda: record_talk_held(
            current_user, client_id, consultation_id, held_on=form.held_on.data
        ),
        done=_("The talk was recorded as held."),
        today_fields=("held_on",),
        about=lambda client: {"entry": consultation_of_client(client, consultation_id)},
    )
