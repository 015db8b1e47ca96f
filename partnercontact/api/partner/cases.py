"""The inbox, picking up a case, the case as its page shows it, and the partner's protected
identity."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.api.partner import blp
from partnercontact.api.partner.schemas import (
    InboxOut,
    NameStaffIn,
    PartnerCaseOut,
    PartnerCaseSummaryOut,
)
from partnercontact.auth.models import User
from partnercontact.partner_side import clinical, contact, escalations, rules, sending
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires


def summary(actor: User, partner_case: PartnerCase) -> Shown:
    return Shown(partner_case, held=partners.works_on(actor, partner_case))


def _partner(actor: User, partner_case: PartnerCase) -> Shown:
    # Her details come only from partner_details, which withholds a protected partner's from
    # anyone not named for her and audits the read either way.
    entries = partners.partner_details(actor, partner_case)
    if entries is None:
        return Shown(visible=False, handovers=None, colleagues=[])
    colleagues = partners.colleagues_to_name(actor) if partner_case.protected_identity else []
    return Shown(visible=True, handovers=entries, colleagues=colleagues)


def case_shown(actor: User, partner_case: PartnerCase) -> Shown:
    """The case as its page shows it: for a case nobody holds yet, only that it waits; for a
    case ``actor`` holds, every section, each read through the service its section uses."""
    answer = summary(actor, partner_case)
    if not answer.held:
        return answer
    clinic = contact.clinic_of(partner_case)
    risk = clinical.risk_overview(actor, partner_case)
    history = contact.suitability_history(partner_case)
    return Shown(
        answer,
        partner=_partner(actor, partner_case),
        relay=Shown(partner_case, events=tasks.relayed_events(actor, partner_case)),
        safe_contact_plan=rules.latest_plan(partner_case),
        suitability=history,
        answers=Shown(
            partner_case,
            unreachable_review=contact.unreachable_review(partner_case),
            consent=rules.current_partner_consent(partner_case),
            history=contact.answer_history(partner_case),
        ),
        attempts=Shown(clinic, items=rules.attempts_of(partner_case)),
        threat_warnings=Shown(
            items=contact.threat_warnings(partner_case),
            may_record=rules.has_opted_out(partner_case),
        ),
        send_decisions=(
            sending.send_decisions(partner_case) if partner_case.protected_identity else None
        ),
        risk=risk,
        urgent_tasks=clinical.urgent_tasks_of_case(actor, partner_case),
        escalations=escalations.escalations_of_case(actor, partner_case),
        children=clinical.children_of(actor, partner_case),
        safety_plans=clinical.safety_plans(actor, partner_case),
        concern_reports=clinical.concern_reports(actor, partner_case),
    )


@blp.route("", methods=["GET"])
@requires(Permission.PARTNER_SIDE_VIEW)
@commits
@blp.response(200, InboxOut)
@answers(blp, DENIED)
def inbox() -> Shown:
    """Hand-overs waiting to be picked up in your clinic, and the cases you hold."""
    items = partners.inbox(current_user)
    return Shown(
        waiting=[item for item in items if not item.held_by_me],
        held=[item for item in items if item.held_by_me],
        open_urgent_tasks=clinical.open_task_count(current_user),
    )


@blp.route("/<uuid:case_id>", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, PartnerCaseOut)
@answers(blp, NOT_FOUND)
def get_case(case_id: uuid.UUID) -> Shown:
    """One case, as its page shows it.

    For a waiting hand-over only that it waits; for a case you hold, every section of its
    page."""
    partner_case = partners.partner_case_for(current_user, case_id)
    return case_shown(current_user, partner_case)


@blp.route("/<uuid:case_id>/pick-up", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, PartnerCaseSummaryOut)
@answers(blp, NOT_FOUND)
def pick_up(case_id: uuid.UUID) -> Shown:
    """Pick up a waiting hand-over.

    You become the partner's treater. The client's own treater cannot, unless an
    administrator recorded an exception."""
    return summary(current_user, partners.pick_up(current_user, case_id))


@blp.route("/<uuid:case_id>/protected", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, PartnerCaseSummaryOut)
@answers(blp, NOT_FOUND)
def mark_protected(case_id: uuid.UUID) -> Shown:
    """Mark the partner as having protected personal data.

    From now on only staff named for her see her details, and nothing is sent to her
    without a recorded decision."""
    return summary(current_user, partners.mark_protected(current_user, case_id))


@blp.route("/<uuid:case_id>/named-staff", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(NameStaffIn)
@blp.response(204)
@answers(blp, 400, NOT_FOUND, INVALID)
def name_staff(body: dict[str, Any], case_id: uuid.UUID) -> None:
    """Name a colleague who may see a protected partner's details."""
    # 0 is never an account: the service answers "choose a treater" on user_id.
    partners.name_staff(current_user, case_id, body["user_id"] or 0)
