"""The client's treater signals a raised risk to the partner side: a reason and an urgency,
nothing else."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.risk_signals import raise_risk_signal, risk_signals_sent
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import RiskSignalForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.form_errors import show_on_form

TEMPLATE = "client_side/risk_signal.html"


@bp.route("/<uuid:client_id>/risk-signal", methods=["GET", "POST"])
@requires(Permission.RISK_SIGNALS_RAISE)
def risk_signal(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = RiskSignalForm()
    if not form.is_submitted():
        return page_about_client(TEMPLATE, form, client_id, risk_signals_of=risk_signals_sent)
    if not form.validate():
        return page_about_client(TEMPLATE, form, client_id, 400, risk_signals_of=risk_signals_sent)
    try:
        raise_risk_signal(
            current_user, client_id, reason=form.reason.data, urgency=form.urgency.data
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(
            TEMPLATE, form, client_id, exc.status, error=error, risk_signals_of=risk_signals_sent
        )
    return back_to_client(
        client_id,
        _(
            "The risk signal was sent to the partner-contact treater, who will contact you. "
            "Call them if it cannot wait."
        ),
    )
