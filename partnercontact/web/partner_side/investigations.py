"""The case page's account of investigations: which manager read the case's detailed trail in
the access log, when, why and under which reference."""

from __future__ import annotations

from partnercontact.audit.investigations import InvestigationShown, investigations_of_case
from partnercontact.auth.models import User
from partnercontact.partner_side.models import PartnerCase
from partnercontact.web.partner_side.sections import case_section


@case_section(
    "investigations", order=200, template="partner_side/sections/investigations.html", view="her"
)
def _investigations(actor: User, partner_case: PartnerCase) -> list[InvestigationShown]:
    return investigations_of_case(partner_case.id)
