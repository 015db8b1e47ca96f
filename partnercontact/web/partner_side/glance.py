"""The case at a glance: the first section of the case page, above the rest of the "now"
view (:mod:`partnercontact.partner_side.glance`, one statement), with the one next step the
rules derive and a link to where it is done."""

from __future__ import annotations

from typing import Any

from partnercontact.auth.models import User
from partnercontact.partner_side.glance import case_at_a_glance
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.next_step import NEXT_STEP_LABELS
from partnercontact.web.partner_side.sections import case_section


@case_section(
    "glance",
    order=-2,
    template="partner_side/sections/glance.html",
    view="now",
    anchors=("next-step",),
)
def _glance(actor: User, partner_case: PartnerCase) -> dict[str, Any]:
    glance = case_at_a_glance(actor, partner_case)
    return {"glance": glance, "step_label": NEXT_STEP_LABELS[glance.step.key]}
