"""The client's treater signals a raised risk to the partner side: a reason and an urgency,
nothing else."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.risk_signals import raise_risk_signal, risk_signals_sent
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import RiskSignalForm
from partnercontact.web.client_side.views import bp, client_form


@bp.route("/<uuid:client_id>/risk-signal", methods=["GET", "POST"])
@requires(Permission.RISK_SIGNALS_RAISE)
def risk_signal(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = RiskSignalForm()
    return client_form(
        "client_side/risk_signal.html",
        form,
        client_id,
        lambda: raise_risk_signal(
            current_user, client_id, reason=form.reason.data, urgency=form.urgency.data
        ),
        done=_(
            "The risk signal was sent to the partner-contact treater, who will contact you. "
            "Call them if it cannot wait."
        ),
        about=lambda client: {"sent": risk_signals_sent(client)},
    )
