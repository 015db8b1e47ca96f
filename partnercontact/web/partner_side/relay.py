"""Pages for what the relay brings the partner side: each relayed event with its task "inform
her if she wishes", and the closing of the contact when the client's treatment has ended.
Nothing here writes to the client side."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from partnercontact.auth.models import User
from partnercontact.errors import DomainError
from partnercontact.partners.contact import clinic_today
from partnercontact.partners.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.relay import tasks
from partnercontact.relay.kinds import CLOSING_OUTCOMES, LABELS, OUTCOMES
from partnercontact.web.partner_side.pages import form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

CHOOSE = SelectChoice("", _l("Choose…"))


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [CHOOSE, *(SelectChoice(key, label) for key, label in labels.items())]


class OutcomeForm(FlaskForm):
    outcome = SelectField(_l("What came of it"), choices=_choices(OUTCOMES))
    outcome_on = DateField(_l("Date"), validators=[Optional()])


class ClosingForm(FlaskForm):
    outcome = SelectField(_l("How the closing went"), choices=_choices(CLOSING_OUTCOMES))
    closed_on = DateField(_l("Contact closed on"), validators=[Optional()])


class OwnTreatmentForm(FlaskForm):
    since = DateField(_l("Her own treatment started on"), validators=[Optional()])


@bp.context_processor
def _relay_labels() -> dict[str, object]:
    return {
        "relay_labels": LABELS,
        "relay_outcome_labels": OUTCOMES,
        "closing_outcome_labels": CLOSING_OUTCOMES,
        "relay_tasks": lambda: tasks.open_tasks(current_user),
    }


@case_section("relay", order=5, template="partner_side/sections/relay.html")
def _relay(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    return {
        "events": tasks.relayed_events(actor, partner_case),
        "closing_open": tasks.closing_open(partner_case),
    }


def _event_of(case_id: uuid.UUID, event_id: uuid.UUID) -> tasks.RelayedEvent:
    """The event as its page shows it; the service checks it again when recording."""
    return tasks.relayed_event_for(current_user, case_id, event_id)


@bp.route("/cases/<uuid:case_id>/relay/<uuid:event_id>", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def relay_outcome(case_id: uuid.UUID, event_id: uuid.UUID) -> Response | tuple[str, int]:
    form = OutcomeForm()
    template = "partner_side/relay/outcome.html"
    event = _event_of(case_id, event_id)
    if not form.is_submitted():
        form.outcome_on.data = clinic_today(current_user.clinic)
        return form_page(template, form, case_id, event=event)
    if not form.validate():
        return form_page(template, form, case_id, 400, event=event)
    try:
        tasks.record_outcome(
            current_user,
            case_id,
            event_id,
            outcome=form.outcome.data or "",
            outcome_on=form.outcome_on.data,
        )
    except DomainError as exc:
        return form_refused(template, form, case_id, exc, event=event)
    return back_to_case(case_id, _("What came of the event was recorded."), "relay")


@bp.route("/cases/<uuid:case_id>/closing", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def close_contact(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the contact is closed (POST)."""
    form = ClosingForm()
    template = "partner_side/relay/closing.html"
    if not form.is_submitted():
        form.closed_on.data = clinic_today(current_user.clinic)
        return form_page(template, form, case_id)
    if not form.validate():
        return form_page(template, form, case_id, 400)
    try:
        tasks.record_closing(
            current_user, case_id, outcome=form.outcome.data or "", closed_on=form.closed_on.data
        )
    except DomainError as exc:
        return form_refused(template, form, case_id, exc)
    return back_to_case(case_id, _("The partner contact was closed."), "relay")


@bp.route("/cases/<uuid:case_id>/own-treatment", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def own_treatment(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = OwnTreatmentForm()
    template = "partner_side/relay/own_treatment.html"
    if not form.is_submitted():
        form.since.data = clinic_today(current_user.clinic)
        return form_page(template, form, case_id)
    if not form.validate():
        return form_page(template, form, case_id, 400)
    try:
        tasks.record_own_treatment(current_user, case_id, since=form.since.data)
    except DomainError as exc:
        return form_refused(template, form, case_id, exc)
    return back_to_case(
        case_id, _("Her own treatment was recorded: the contact continues."), "relay"
    )
