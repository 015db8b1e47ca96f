"""Concern reports (orosanmälan, 14 kap. 1 § SoL) the client's treater makes: that one was
made, when, to which social welfare board and why. The report itself goes to the board; the
service keeps the fact, for the treater's overview and the clinic's statistics.

Only the client's own treater records or sees them (:func:`client_for`); a refusal names its
field and writes nothing; each record is audited with its id only.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.assessments.concerns import CONCERN_REASONS
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import ClientConcernReport
from partnercontact.client_side.cases.service import audit, client_for
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.models import Client

MAX_BOARD = 200


def record_client_concern_report(
    actor: User,
    client_id: uuid.UUID,
    *,
    reported_on: date | None,
    board: str | None,
    reason: str | None,
) -> ClientConcernReport:
    """Record that ``actor`` made a concern report about a child in the client's life."""
    client = client_for(actor, client_id)
    if reported_on is None:
        raise ClientInvalid(_l("Enter the date the report was made."), field="reported_on")
    if reported_on > clinic_today(actor.clinic):
        raise ClientInvalid(_l("The date cannot be in the future."), field="reported_on")
    clean_board = (board or "").strip()
    if not clean_board or len(clean_board) > MAX_BOARD:
        raise ClientInvalid(
            _l("Enter the social welfare board the report went to (at most 200 characters)."),
            field="board",
        )
    if reason not in CONCERN_REASONS:
        raise ClientInvalid(_l("Choose the reason for the report."), field="reason")
    report = ClientConcernReport(
        id=uuid.uuid4(),
        client_id=client.id,
        clinic_id=client.clinic_id,
        reported_on=reported_on,
        board=clean_board,
        reason=reason,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
    )
    db.session.add(report)
    db.session.flush()
    audit(AuditAction.CLIENT_CONCERN_REPORT_RECORDED, actor, "client_concern_report", report.id)
    return report


def client_concern_reports(client: Client) -> list[ClientConcernReport]:
    """The client's concern reports, newest first; for a page that has loaded (and audited)
    the client through :func:`client_for`."""
    return list(
        db.session.scalars(
            select(ClientConcernReport)
            .where(ClientConcernReport.client_id == client.id)
            .order_by(
                ClientConcernReport.reported_on.desc(), ClientConcernReport.recorded_at.desc()
            )
        )
    )


def client_concern_report_days(clinic_id: int, first: date, last: date) -> list[date]:
    """The days the clinic's client treaters made concern reports, ``first`` to ``last``; for
    statistics, which suppress small counts."""
    return list(
        db.session.scalars(
            select(ClientConcernReport.reported_on).where(
                ClientConcernReport.clinic_id == clinic_id,
                ClientConcernReport.reported_on >= first,
                ClientConcernReport.reported_on <= last,
            )
        )
    )
