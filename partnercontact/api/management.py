"""The clinic's management: statistics, the consent register and the tasks waiting for a
manager. Counts and consent metadata only: nothing clinical, no contact details."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, pre_load, validate

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Text
from partnercontact.client_side.consent import register
from partnercontact.client_side.consent.schemas import MAX_VERSION, RegisterFiltersIn
from partnercontact.db import db
from partnercontact.partner_side import escalations
from partnercontact.policy import Permission, requires
from partnercontact.statistics.periods import Period
from partnercontact.statistics.report import Figure, Measure, Report, figure_text, period_label
from partnercontact.statistics.service import statistics_report

blp = Blueprint(
    "api_management",
    __name__,
    url_prefix="/api/v1/management",
    description="Management: statistics, the consent register and tasks",
)


class FigureOut(Schema):
    value = fields.Float(
        allow_none=True,
        required=True,
        metadata={"description": "Null when hidden, or when there is nothing to show"},
    )
    hidden = fields.Boolean(
        required=True,
        metadata={"description": "Below the clinic's threshold, or revealing a hidden one"},
    )
    text = fields.String(
        required=True,
        metadata={
            "description": 'As the page shows it: "<5", or "–*" for a share or median hidden '
            "because a count it depends on is hidden"
        },
    )


class LineOut(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    is_total = fields.Boolean(required=True)
    current = fields.Nested(FigureOut, required=True)
    previous = fields.Nested(FigureOut, required=True)


class SectionOut(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    measure = fields.String(required=True, validate=validate.OneOf([m.value for m in Measure]))
    definition = fields.String(required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)


class PeriodOut(Schema):
    key = fields.String(required=True, metadata={"example": "2026-03"})
    label = fields.String(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class StatisticsOut(Schema):
    period = fields.Nested(PeriodOut, required=True)
    previous = fields.Nested(PeriodOut, required=True)
    threshold = fields.Integer(required=True)
    sections = fields.List(fields.Nested(SectionOut), required=True)


class StatisticsQuery(Schema):
    period = Text(
        load_default=None,
        max_length=10,
        metadata={"description": "2026-03, 2026-Q1 or 2026; the last whole month if left out"},
    )


def _period(period: Period) -> dict[str, object]:
    return {
        "key": period.key,
        "label": period_label(period),
        "start": period.start,
        "end": period.end,
    }


def _figure(figure: Figure, measure: Measure, threshold: int) -> dict[str, object]:
    return {
        "value": figure.value if figure.shown else None,
        "hidden": figure.hidden,
        "text": figure_text(figure, measure, threshold),
    }


def _statistics(report: Report) -> dict[str, object]:
    return {
        "period": _period(report.period),
        "previous": _period(report.previous),
        "threshold": report.threshold,
        "sections": [
            {
                "key": section.key,
                "title": str(section.title),
                "measure": section.measure.value,
                "definition": str(section.definition),
                "lines": [
                    {
                        "key": line.key,
                        "label": str(line.label),
                        "is_total": line.is_total,
                        "current": _figure(line.current, section.measure, report.threshold),
                        "previous": _figure(line.previous, section.measure, report.threshold),
                    }
                    for line in section.lines
                ],
            }
            for section in report.sections
        ],
    }


@blp.route("/statistics", methods=["GET"])
@requires(Permission.STATISTICS_VIEW)
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, StatisticsOut)
@answers(blp, 400, DENIED, INVALID)
def statistics(query: dict[str, str | None]) -> dict[str, object]:
    """The clinic's statistics for one period and the one before, small numbers hidden."""
    answer = _statistics(statistics_report(current_user, query["period"]))
    db.session.commit()  # the audit entry of the read
    return answer


class RegisterRowOut(Schema):
    consent_id = fields.UUID(required=True)
    case_reference = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(register.STATES))
    form_version = fields.Integer(required=True)
    form_language = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    form_of_consent = fields.String(required=True)
    place = fields.String(required=True)
    signed_on = fields.Date(required=True)
    attested_by = fields.String(required=True)
    withdrawn_on = fields.Date(allow_none=True, required=True)
    withdrawn_by = fields.String(allow_none=True, required=True)
    document = fields.String(required=True)
    document_attached_at = fields.DateTime(allow_none=True, required=True)
    document_destroyed_at = fields.DateTime(allow_none=True, required=True)
    document_destruction_rule = fields.String(allow_none=True, required=True)
    document_key_digest = fields.String(allow_none=True, required=True)
    treatment_continues = fields.Boolean(allow_none=True, required=True)
    team_decided_on = fields.Date(allow_none=True, required=True)


class RegisterOut(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rows = fields.List(fields.Nested(RegisterRowOut), required=True)


class TrailEntryOut(Schema):
    at = fields.DateTime(required=True)
    action = fields.String(required=True)
    actor = fields.String(allow_none=True, required=True)
    outcome = fields.String(required=True)


class RegisterDetailOut(Schema):
    row = fields.Nested(RegisterRowOut, required=True)
    trail = fields.List(fields.Nested(TrailEntryOut), required=True)


class RegisterQuery(RegisterFiltersIn):
    """The register's filters as the API takes them. A parameter left out sets no
    restriction; an empty one, or "any" for the version (which the page's form sends), is
    refused like any other value that is not what the document says."""

    version = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_VERSION)
    )

    @pre_load
    def _drop_empty(self, data: Any, **_: Any) -> Any:
        return data


@blp.route("/consents", methods=["GET"])
@requires(Permission.CONSENT_REGISTER_VIEW)
@blp.arguments(RegisterQuery, location="query")
@blp.response(200, RegisterOut)
@answers(blp, 400, DENIED, INVALID)
def consents(filters: register.RegisterFilters) -> dict[str, object]:
    """The consent register: every consent and refusal of the clinic, metadata only."""
    register.check_filters(filters)
    rows = register.register_rows(current_user, filters)
    answer: dict[str, object] = {
        "counts": register.count_by_state(rows),
        "rows": [asdict(row) for row in rows],
    }
    db.session.commit()  # the audit entry of the read
    return answer


@blp.route("/consents/<uuid:consent_id>", methods=["GET"])
@requires(Permission.CONSENT_REGISTER_VIEW)
@blp.response(200, RegisterDetailOut)
@answers(blp, NOT_FOUND)
def consent(consent_id: uuid.UUID) -> dict[str, object]:
    """One consent in the register, with its trail in the audit log."""
    detail = register.register_detail(current_user, consent_id)
    answer: dict[str, object] = {
        "row": asdict(detail.row),
        "trail": [asdict(entry) for entry in detail.trail],
    }
    db.session.commit()  # the audit entry of the read
    return answer


class TaskOut(Schema):
    kind = fields.String(required=True, metadata={"description": "escalation, urgent, ..."})
    id = fields.UUID(required=True)
    reference = fields.String(allow_none=True, required=True)
    urgent = fields.Boolean(required=True)
    since = fields.DateTime(required=True)
    on_day = fields.Date(allow_none=True, required=True)
    key = fields.String(allow_none=True, required=True)
    raised_by = fields.String(allow_none=True, required=True)


@blp.route("/tasks", methods=["GET"])
@requires(Permission.ESCALATIONS_HANDLE)
@blp.response(200, TaskOut(many=True))
@answers(blp, DENIED)
def tasks() -> list[dict[str, object]]:
    """What partner contact put before the managers and is still open, most urgent first."""
    answer = [asdict(item) for item in escalations.manager_task_list(current_user)]
    db.session.commit()  # the audit entry of the read
    return answer


class HandleIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(list(escalations.OUTCOMES)))


class HandledOut(Schema):
    id = fields.UUID(required=True)
    outcome = fields.String(required=True)
    handled_at = fields.DateTime(required=True)


@blp.route("/escalations/<uuid:escalation_id>/handle", methods=["POST"])
@requires(Permission.ESCALATIONS_HANDLE)
@blp.arguments(HandleIn)
@blp.response(200, HandledOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def handle_escalation(body: dict[str, str], escalation_id: uuid.UUID) -> dict[str, object]:
    """Record how an escalation was handled; it leaves the task list."""
    escalation = escalations.handle_escalation(current_user, escalation_id, outcome=body["outcome"])
    answer: dict[str, object] = {
        "id": escalation.id,
        "outcome": escalation.outcome,
        "handled_at": escalation.handled_at,
    }
    db.session.commit()
    return answer
