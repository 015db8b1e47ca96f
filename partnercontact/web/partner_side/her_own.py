"""What she decided herself in her portal, on her treater's side: a plan she narrowed (already
in effect), a wider plan she proposes (her treater confirms or declines it, on its own page), and
a number or address of her own that every later send uses instead of the hand-over's (the
details shown only to staff who may see her details)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import her_plan, own_details, rules
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.her_own_models import PlanProposal
from partnercontact.partner_side.models import PartnerCase, SafeContactPlan
from partnercontact.partner_side.vocabulary import CHANNELS, WEEKDAYS
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.pages import form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

PROPOSAL = "partner_side/her_own/proposal.html"
ANCHOR = "her-own"


class ProposalForm(FlaskForm):
    """The proposal decided on, named in the form; the button pressed says how
    (``decision``: ``confirm`` or ``decline``)."""

    proposal_id = HiddenField()
    decision = HiddenField()


@dataclass(frozen=True)
class TermRow:
    label: str
    now: str
    proposed: str

    @property
    def changed(self) -> bool:
        return self.now != self.proposed


def _words(plan: SafeContactPlan | PlanProposal | None) -> list[str]:
    """A plan's terms in the treater's words, in a fixed order (for the comparison)."""
    if plan is None:
        return [_("No plan")] * 7
    terms = her_plan.PlanTerms.of(plan)
    ways = [str(label) for key, label in CHANNELS.items() if key in terms.channels]
    days = [str(label) for key, label in WEEKDAYS.items() if key in terms.safe_days]
    hours = (
        f"{terms.safe_from:%H:%M}–{terms.safe_until:%H:%M}"
        if terms.safe_from is not None and terms.safe_until is not None
        else _("None given")
    )
    return [
        ", ".join(ways) or _("None: do not contact her"),
        ", ".join(days) or _("None given"),
        hours,
        _("May be left") if terms.voicemail_allowed else _("Never leave a voicemail"),
        _("Safe") if terms.letters_safe_at_address else _("Not safe"),
        terms.sender_name or _("Not agreed"),
        terms.opener or _("Not agreed"),
    ]


def _comparison(current: SafeContactPlan | None, proposal: PlanProposal) -> list[TermRow]:
    labels = [
        _("Safe ways of contact"),
        _("Safe days"),
        _("Safe hours"),
        _("Voicemail"),
        _("Letters at her address"),
        _("Sender name"),
        _("Agreed opening phrase"),
    ]
    return [
        TermRow(label, now, proposed)
        for label, now, proposed in zip(labels, _words(current), _words(proposal), strict=True)
    ]


@case_section(
    ANCHOR,
    order=1,
    template="partner_side/sections/her_own.html",
    view="her",
    anchors=(
        "plan-narrowed-by-her",
        "plan-proposed",
        "own-details",
        "own-phone-given",
        "own-address-given",
        "own-phone",
        "own-address",
    ),
)
def _her_own_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    plan = rules.latest_plan(partner_case)
    return {
        "narrowed_by_her": plan if plan is not None and plan.recorded_by_id is None else None,
        "proposal": her_plan.open_proposal_of(partner_case),
        "own": own_details.own_details_for_treater(actor, partner_case),
    }


def _proposal_page(case_id: uuid.UUID) -> dict[str, Any]:
    """What the proposal page shows besides the form: her open proposal beside the plan now."""
    partner_case = partners.partner_case_for(current_user, case_id, audited=False)
    proposal = her_plan.open_proposal_of(partner_case)
    if proposal is None:
        return {"proposal": None, "rows": []}
    return {
        "proposal": proposal,
        "rows": _comparison(rules.latest_plan(partner_case), proposal),
    }


@bp.route("/cases/<uuid:case_id>/safe-contact/proposal", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def plan_proposal(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """Her proposed plan beside the plan now (GET); confirming or declining it (POST)."""
    form = ProposalForm()
    if not form.is_submitted():
        # The holder check and the audited read are form_page's.
        partners.held_case_for(current_user, case_id, audited=False)
        return form_page(PROPOSAL, form, case_id, **_proposal_page(case_id))
    if not form.validate() or form.decision.data not in ("confirm", "decline"):
        partners.held_case_for(current_user, case_id, audited=False)
        return form_page(PROPOSAL, form, case_id, 400, **_proposal_page(case_id))
    try:
        proposal_id = uuid.UUID(form.proposal_id.data or "")
    except ValueError:
        abort(404)
    try:
        if form.decision.data == "confirm":
            her_plan.confirm_proposal(current_user, case_id, proposal_id)
            done = _("Her proposal is confirmed: the new plan counts from now.")
        else:
            her_plan.decline_proposal(current_user, case_id, proposal_id)
            done = _("Her proposal is declined: her plan stays as it was. Talk with her about it.")
    except DomainError as exc:
        # Undone before the page is built: it shows the proposal as it stands, not half-decided.
        db.session.rollback()
        return form_refused(PROPOSAL, form, case_id, exc, **_proposal_page(case_id))
    return back_to_case(case_id, done, ANCHOR)
