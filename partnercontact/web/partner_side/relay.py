"""Pages for what the relay brings the partner side: each relayed event with its task "inform
her if she wishes", and the closing of the contact when the client's treatment has ended.
Nothing here writes to the client side."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from partnercontact.auth.models import User
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.relay.kinds import (
    CLOSING_OUTCOMES,
    INFORM_OUTCOMES,
    LABELS,
    OUTCOMES,
    RISK_REASONS,
    RISK_URGENCIES,
    outcomes_for,
)
from partnercontact.web.partner_side.pages import case_form, choices
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import bp


class OutcomeForm(FlaskForm):
    outcome = SelectField(_l("What came of it"), choices=choices(INFORM_OUTCOMES))
    outcome_on = DateField(_l("Date"), validators=[Optional()])


class ClosingForm(FlaskForm):
    outcome = SelectField(_l("How the closing went"), choices=choices(CLOSING_OUTCOMES))
    closed_on = DateField(_l("Contact closed on"), validators=[Optional()])


class OwnTreatmentForm(FlaskForm):
    since = DateField(_l("Her own treatment started on"), validators=[Optional()])


@bp.context_processor
def _relay_labels() -> dict[str, object]:
    return {
        "relay_labels": LABELS,
        "relay_outcome_labels": OUTCOMES,
        "risk_reason_labels": RISK_REASONS,
        "risk_urgency_labels": RISK_URGENCIES,
        "closing_outcome_labels": CLOSING_OUTCOMES,
    }


@case_section(
    "relay",
    order=5,
    template="partner_side/sections/relay.html",
    view="now",
    anchors=("closing-state", "own-treatment", "relay-events"),
)
def _relay(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    return {
        "events": tasks.relayed_events(actor, partner_case),
        "closing_open": tasks.closing_open(partner_case),
    }


@bp.route("/cases/<uuid:case_id>/relay/<uuid:event_id>", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def relay_outcome(case_id: uuid.UUID, event_id: uuid.UUID) -> Response | tuple[str, int]:
    form = OutcomeForm()
    event = tasks.relayed_event_for(current_user, case_id, event_id)
    # A risk signal is acted on with the client's treater, never passed on to her.
    form.outcome.choices = choices(outcomes_for(event.kind))
    return case_form(
        "partner_side/relay/outcome.html",
        form,
        case_id,
        lambda: tasks.record_outcome(
            current_user,
            case_id,
            event_id,
            outcome=form.outcome.data or "",
            outcome_on=form.outcome_on.data,
        ),
        done=_("What came of the event was recorded."),
        anchor="relay",
        today_field="outcome_on",
        event=event,
    )


@bp.route("/cases/<uuid:case_id>/closing", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def close_contact(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the contact is closed (POST)."""
    form = ClosingForm()
    return case_form(
        "partner_side/relay/closing.html",
        form,
        case_id,
        lambda: tasks.record_closing(
            current_user, case_id, outcome=form.outcome.data or "", closed_on=form.closed_on.data
        ),
        done=_("The partner contact was closed."),
        anchor="relay",
        today_field="closed_on",
    )


@bp.route("/cases/<uuid:case_id>/own-treatment", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def own_treatment(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = OwnTreatmentForm()
    return case_form(
        "partner_side/relay/own_treatment.html",
        form,
        case_id,
        lambda: tasks.record_own_treatment(current_user, case_id, since=form.since.data),
        done=_("Her own treatment was recorded: the contact continues."),
        anchor="relay",
        today_field="since",
    )
