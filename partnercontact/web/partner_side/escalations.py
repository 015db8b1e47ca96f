"""Escalating a case to the clinic's managers: the case page's list of the case's escalations
and how the managers handled them, and the form that raises one.

The form has two closed choices and no text box: whatever the manager needs to know beyond
the reason is said to them in person, never written where a manager's page can show it.
"""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField

from partnercontact.auth.models import User
from partnercontact.partner_side import escalations
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.pages import case_form, choices
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import bp

RAISE_TEMPLATE = "partner_side/escalations/raise.html"
ANCHOR = "escalations"


class RaiseEscalationForm(FlaskForm):
    # The service checks both choices and names the field in its own words.
    reason = SelectField(
        _l("Why you escalate the case"),
        choices=choices(escalations.REASONS),
        validate_choice=False,
    )
    urgency = SelectField(
        _l("How urgent it is"),
        choices=choices(escalations.URGENCIES, blank=False),
        default=escalations.NORMAL,
        validate_choice=False,
    )


@bp.context_processor
def _escalation_labels() -> dict[str, object]:
    return {
        "escalation_reason_labels": escalations.REASONS,
        "escalation_urgency_labels": escalations.URGENCIES,
        "escalation_outcome_labels": escalations.OUTCOMES,
    }


@case_section(ANCHOR, order=66, template="partner_side/sections/escalations.html", view="safety")
def _escalations(actor: User, partner_case: PartnerCase) -> list[escalations.CaseEscalation]:
    return escalations.escalations_of_case(actor, partner_case)


@bp.route("/cases/<uuid:case_id>/escalations/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def raise_escalation(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = RaiseEscalationForm()
    return case_form(
        RAISE_TEMPLATE,
        form,
        case_id,
        lambda: escalations.raise_escalation(
            current_user,
            case_id,
            reason=form.reason.data or None,
            urgency=form.urgency.data or None,
        ),
        done=_("The case was escalated to the managers."),
        anchor=ANCHOR,
    )
