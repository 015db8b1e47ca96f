"""Handing the partner's details over to the partner side: a form that writes and never
shows back what was written."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.policy import Permission, requires
from partnercontact.relay.handover import PartnerDetails, hand_over
from partnercontact.web.client_side.forms import HandoverForm
from partnercontact.web.client_side.views import bp, client_form


@bp.route("/<uuid:client_id>/handover", methods=["GET", "POST"])
@requires(Permission.PARTNER_DETAILS_HAND_OVER)
def handover(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = HandoverForm()
    return client_form(
        "client_side/handover.html",
        form,
        client_id,
        lambda: hand_over(
            current_user,
            client_id,
            PartnerDetails(
                name=form.partner_name.data or "",
                phone=form.partner_phone.data,
                address=form.partner_address.data,
                relation=form.relation.data or "",
                children_in_common=form.children_in_common.data or "",
                protected_identity=bool(form.protected_identity.data),
            ),
        ),
        done=_("The partner's details were handed over."),
    )
