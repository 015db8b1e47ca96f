"""Handing the partner's details over to the partner side: a form that writes and never
shows back what was written."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.relay.handover import PartnerDetails, hand_over
from partnercontact.web.client_side.forms import HandoverForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.form_errors import show_on_form

TEMPLATE = "client_side/handover.html"


@bp.route("/<uuid:client_id>/handover", methods=["GET", "POST"])
@requires(Permission.PARTNER_DETAILS_HAND_OVER)
def handover(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = HandoverForm()
    if not form.is_submitted():
        return page_about_client(TEMPLATE, form, client_id)
    if not form.validate():
        return page_about_client(TEMPLATE, form, client_id, 400)
    details = PartnerDetails(
        name=form.partner_name.data or "",
        phone=form.partner_phone.data,
        address=form.partner_address.data,
        relation=form.relation.data or "",
        children_in_common=form.children_in_common.data or "",
        protected_identity=bool(form.protected_identity.data),
    )
    try:
        hand_over(current_user, client_id, details)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(TEMPLATE, form, client_id, exc.status, error=error)
    return back_to_client(client_id, _("The partner's details were handed over."))
