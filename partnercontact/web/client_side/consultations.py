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
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.client_side.forms import AskForConsultationForm, ConsultationHeldForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.form_errors import show_on_form

ASK_TEMPLATE = "client_side/consultation_ask.html"
HELD_TEMPLATE = "client_side/consultation_held.html"


@bp.route("/<uuid:client_id>/consultations/new", methods=["GET", "POST"])
@requires(Permission.CONSULTATIONS_CLIENT_SIDE)
def ask_for_consultation(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AskForConsultationForm()
    if not form.is_submitted():
        return page_about_client(ASK_TEMPLATE, form, client_id)
    if not form.validate():
        return page_about_client(ASK_TEMPLATE, form, client_id, 400)
    try:
        ask_partner_side(current_user, client_id, reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(ASK_TEMPLATE, form, client_id, exc.status, error=error)
    return back_to_client(client_id, _("The partner-contact treater was asked for a talk."))


@bp.route("/<uuid:client_id>/consultations/<uuid:consultation_id>", methods=["GET", "POST"])
@requires(Permission.CONSULTATIONS_CLIENT_SIDE)
def consultation_held(
    client_id: uuid.UUID, consultation_id: uuid.UUID
) -> Response | tuple[str, int]:
    form = ConsultationHeldForm()
    entry = consultation_of_client(current_user, client_id, consultation_id)
    if not form.is_submitted():
        form.held_on.data = current_runtime().clock.now().date()
        return page_about_client(HELD_TEMPLATE, form, client_id, entry=entry)
    if not form.validate():
        return page_about_client(HELD_TEMPLATE, form, client_id, 400, entry=entry)
    try:
        record_talk_held(current_user, client_id, consultation_id, held_on=form.held_on.data)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(
            HELD_TEMPLATE, form, client_id, exc.status, error=error, entry=entry
        )
    return back_to_client(client_id, _("The talk was recorded as held."))
