"""The client's treater's clinical records: risk assessments of the client, item by item, and
concern reports. A high assessment signals the partner side by itself; the page says whether
it did."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.assessments.instruments import (
    CLIENT_SIDE_INSTRUMENTS,
    HIGH,
    rated_sections,
)
from partnercontact.client_side.cases import concern_reports, risk_assessments
from partnercontact.client_side.cases.models import Client
from partnercontact.client_side.cases.risk_assessments import Recorded
from partnercontact.policy import Permission, requires
from partnercontact.web.assessment_forms import assessment_form, instrument_asked
from partnercontact.web.client_side.forms import ConcernReportForm
from partnercontact.web.client_side.views import bp, client_form, page_about_client

ASSESSMENT_TEMPLATE = "client_side/risk_assessment_new.html"


def _recorded(recorded: Recorded) -> str:
    if recorded.assessment.level != HIGH:
        return _("The risk assessment was recorded.")
    if recorded.assessment.risk_signal_id is not None:
        return _(
            "The risk assessment was recorded. Its high risk went to the partner-contact "
            "treater as an urgent risk signal: talk to them today."
        )
    why = str(recorded.no_signal_because)
    return _("The risk assessment was recorded. No risk signal was sent: %(why)s", why=why)


@bp.route("/<uuid:client_id>/risk-assessments/new", methods=["GET", "POST"])
@requires(Permission.CLIENT_RECORDS_CLINICAL)
def record_risk_assessment(client_id: uuid.UUID) -> Response | tuple[str, int]:
    """First the instrument (in the address, ``?instrument=``), then its items."""
    asked = instrument_asked(CLIENT_SIDE_INSTRUMENTS)
    if asked.instrument is None:
        return page_about_client(
            ASSESSMENT_TEMPLATE, asked.choice, client_id, asked.status, choice=asked.choice
        )
    instrument = asked.instrument
    form = assessment_form(instrument)
    return client_form(
        ASSESSMENT_TEMPLATE,
        form,
        client_id,
        lambda: risk_assessments.record_client_assessment(
            current_user,
            client_id,
            instrument=instrument.key,
            assessed_on=form.assessed_on.data,
            ratings=form.ratings(),
            level=form.level.data,
            next_review_on=form.next_review_on.data,
            notes=form.notes.data,
        ),
        done=_recorded,
        today_fields=("assessed_on",),
    )


@bp.route("/<uuid:client_id>/risk-assessments/<uuid:assessment_id>")
@requires(Permission.CLIENT_RECORDS_CLINICAL)
def risk_assessment(client_id: uuid.UUID, assessment_id: uuid.UUID) -> tuple[str, int]:
    def shown(client: Client) -> dict[str, object]:
        assessment = risk_assessments.client_assessment(current_user, client, assessment_id)
        return {
            "assessment": assessment,
            "sections": rated_sections(
                assessment.instrument, assessment.instrument_version, assessment.ratings
            ),
        }

    return page_about_client("client_side/risk_assessment.html", None, client_id, about=shown)


@bp.route("/<uuid:client_id>/concern-reports/new", methods=["GET", "POST"])
@requires(Permission.CLIENT_RECORDS_CLINICAL)
def record_concern_report(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ConcernReportForm()
    return client_form(
        "client_side/concern_report_new.html",
        form,
        client_id,
        lambda: concern_reports.record_client_concern_report(
            current_user,
            client_id,
            reported_on=form.reported_on.data,
            board=form.board.data,
            reason=form.reason.data,
        ),
        done=_("The concern report was recorded."),
        today_fields=("reported_on",),
    )
