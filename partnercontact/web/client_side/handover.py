"""Handing the partner's details over to the partner side: a form that writes and never
shows back what was written."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from partnercontact.policy import Permission, requires
from partnercontact.relay.handover import (
    HandoverInvalid,
    PartnerDetails,
    PartnersToChoose,
    hand_over,
    partners_to_choose,
)
from partnercontact.web.client_side.forms import HandoverForm
from partnercontact.web.client_side.views import bp, client_form

NEW_PARTNER = "new"
FOLLOW = "follow-"


def _which_partner(partners: PartnersToChoose, choice: str) -> dict[str, Any]:
    """The service's ``partner``, ``new_partner`` or ``follow`` from the form's choice. Once
    there is a partner to choose, the choice must be made, so that a new partner's details
    never land on another partner's case."""
    if choice == NEW_PARTNER:
        return {"new_partner": True}
    if choice.isdigit() and int(choice) in partners.in_this_period:
        return {"partner": int(choice)}
    number = choice.removeprefix(FOLLOW)
    if choice.startswith(FOLLOW) and number.isdigit() and int(number) in partners.in_the_previous:
        return {"follow": int(number)}
    if partners.in_this_period or partners.in_the_previous:
        raise HandoverInvalid(
            _l("Choose the partner the details are about, or a new partner."), field="partner"
        )
    return {}


def _choices(partners: PartnersToChoose) -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Choose…")),
        *(
            SelectChoice(str(number), _l("Partner %(number)s: corrected details", number=number))
            for number in partners.in_this_period
        ),
        *(
            SelectChoice(
                f"{FOLLOW}{number}",
                _l(
                    "Partner %(number)s of the previous treatment period: her contact continues",
                    number=number,
                ),
            )
            for number in partners.in_the_previous
        ),
        SelectChoice(NEW_PARTNER, _l("A new partner of the client")),
    ]


@bp.route("/<uuid:client_id>/handover", methods=["GET", "POST"])
@requires(Permission.PARTNER_DETAILS_HAND_OVER)
def handover(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = HandoverForm()
    partners = partners_to_choose(current_user, client_id)
    form.partner.choices = _choices(partners)
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
            **_which_partner(partners, form.partner.data or ""),
        ),
        done=_("The partner's details were handed over."),
        about=lambda client: {
            "partner_to_choose": bool(partners.in_this_period or partners.in_the_previous)
        },
    )
