"""Investigations: a manager's reasoned look at the detailed trail of one partner case.

The access log shows managers the partner side as "read" and "changed" (see
:mod:`.access_log`). What was read or changed (a contact attempt, her answer, a child, a
concern report, a message) is the trail of one case, and reading it is an act of its own:
the manager names a reason from a closed list and the clinic's reference (a diary number),
the opening and every reading are audited, and the treater who holds the case sees who
investigated it, when and why.

Functions take the acting manager first, refuse anyone without
:attr:`Permission.ACCESS_LOG_INVESTIGATE`, see only the actor's clinic, flush and never commit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Uuid, cast, column, select, table

from partnercontact.audit.access_log import (
    CASE_OF_RECORD,
    CASE_REFERENCE,
    COLUMNS,
    PARTNER_CASE,
    REFERENCE_LENGTH,
    AccessLogPage,
    build_rows,
    one_page,
)
from partnercontact.audit.models import AccessInvestigation, AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics import clock
from partnercontact.db import db
from partnercontact.errors import DomainError, Forbidden, NotFound
from partnercontact.i18n import _l
from partnercontact.policy import Permission, can

# Why a manager may read one case's detailed trail. A closed list: a free-text reason could
# carry what the investigation is about, and it is shown to the case's treater.
REASONS: dict[str, Any] = {
    "suspected_misuse": _l("Suspected unauthorised access"),
    "complaint": _l("A complaint about how the case was handled"),
    "log_extract": _l("The partner asked who has accessed her data"),
    "authority": _l("A request from a supervisory authority"),
    "security_incident": _l("A security incident"),
    "sample_check": _l("A systematic sample check of the log"),
}
REFERENCE_MAX = 40
# A diary or case number of the clinic's own ("2026/123", "IVO-2026-45"): letters, digits and
# a few signs, so that no name or sentence about her fits.
_DIARY_NUMBER = re.compile(r"[A-Za-z0-9ÅÄÖåäö][A-Za-z0-9ÅÄÖåäö ._:/-]*")
# Named by table rather than imported: the audit package sits below the domain packages.
_PARTNER_CASES = table("partner_case", column("id", Uuid), column("clinic_id"))


class InvestigationInvalid(DomainError):
    """What was given to open an investigation is not acceptable; ``field`` names it."""


class InvestigationNotFound(NotFound):
    pass


@dataclass(frozen=True)
class InvestigationShown:
    """An investigation as a page lists it: when, by whom, why, which case (by reference)."""

    id: uuid.UUID
    opened_at: datetime
    manager_name: str
    reason: str
    reason_label: Any
    reference: str
    case_reference: str
    partner_case_id: uuid.UUID


def _require(actor: User) -> None:
    if not can(actor, Permission.ACCESS_LOG_INVESTIGATE):
        raise Forbidden(_l("You may not investigate the access log."))


def _case_in_clinic(actor: User, given: str) -> uuid.UUID:
    """The partner case of the actor's clinic that ``given`` (an eight-character reference or
    the whole id) names."""
    text = given.strip().lower()
    query = select(_PARTNER_CASES.c.id).where(_PARTNER_CASES.c.clinic_id == actor.clinic_id)
    if CASE_REFERENCE.fullmatch(text):
        # The reference is the start of the id's text form on both databases.
        query = query.where(cast(_PARTNER_CASES.c.id, String).startswith(text, autoescape=True))
    else:
        try:
            query = query.where(_PARTNER_CASES.c.id == uuid.UUID(text))
        except ValueError:
            raise InvestigationInvalid(
                _l("Enter the case's eight-character reference, for example 1a2b3c4d."),
                field="case",
            ) from None
    found: list[uuid.UUID] = list(db.session.scalars(query.limit(2)))
    if not found:
        raise InvestigationInvalid(
            _l("The clinic has no partner case with that reference."), field="case"
        )
    if len(found) > 1:
        raise InvestigationInvalid(
            _l("Two cases begin with that reference: enter the whole id."), field="case"
        )
    return found[0]


def open_investigation(actor: User, *, case: str, reason: str, reference: str) -> uuid.UUID:
    """Open an investigation of one partner case of the actor's clinic; returns its id.

    Validates everything before writing anything; audited as ``audit.investigation_opened``.
    """
    _require(actor)
    if not (case or "").strip():
        raise InvestigationInvalid(_l("Enter the case's reference."), field="case")
    case_id = _case_in_clinic(actor, case)
    if reason not in REASONS:
        raise InvestigationInvalid(_l("Choose a reason from the list."), field="reason")
    reference = (reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX or not _DIARY_NUMBER.fullmatch(reference):
        raise InvestigationInvalid(
            _l(
                "Enter the clinic's reference for this investigation, such as a diary number: "
                "at most 40 letters, digits, spaces and the signs . _ : / -"
            ),
            field="reference",
        )
    investigation = AccessInvestigation(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        partner_case_id=case_id,
        manager_id=actor.id,
        reason=reason,
        reference=reference,
        opened_at=clock.now(),
    )
    db.session.add(investigation)
    db.session.flush()
    _audit(AuditAction.ACCESS_INVESTIGATION_OPENED, actor, investigation.id)
    return investigation.id


def _audit(action: AuditAction, actor: User, investigation_id: uuid.UUID) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="access_investigation",
        resource_id=str(investigation_id),
    )


def _shown(query: Any) -> list[InvestigationShown]:
    rows = db.session.execute(
        query.join(User, User.id == AccessInvestigation.manager_id).order_by(
            AccessInvestigation.opened_at.desc(), AccessInvestigation.id
        )
    )
    return [
        InvestigationShown(
            id=row.id,
            opened_at=row.opened_at,
            manager_name=row.display_name,
            reason=row.reason,
            reason_label=REASONS.get(row.reason, row.reason),
            reference=row.reference,
            case_reference=row.partner_case_id.hex[:REFERENCE_LENGTH],
            partner_case_id=row.partner_case_id,
        )
        for row in rows
    ]


_LISTED = select(
    AccessInvestigation.id,
    AccessInvestigation.opened_at,
    AccessInvestigation.reason,
    AccessInvestigation.reference,
    AccessInvestigation.partner_case_id,
    User.display_name,
)


def investigations_of_clinic(actor: User) -> list[InvestigationShown]:
    """Every investigation opened at the actor's clinic, newest first."""
    _require(actor)
    return _shown(_LISTED.where(AccessInvestigation.clinic_id == actor.clinic_id))


def investigations_of_case(partner_case_id: uuid.UUID) -> list[InvestigationShown]:
    """The investigations of one partner case, newest first: for the page of the treater who
    holds it (the caller has checked that)."""
    return _shown(_LISTED.where(AccessInvestigation.partner_case_id == partner_case_id))


def investigation_for(actor: User, investigation_id: uuid.UUID) -> InvestigationShown:
    """One investigation of the actor's clinic; any other answers like one that never was."""
    _require(actor)
    found = _shown(
        _LISTED.where(
            AccessInvestigation.id == investigation_id,
            AccessInvestigation.clinic_id == actor.clinic_id,
        )
    )
    if not found:
        raise InvestigationNotFound(
            _l("There is no such investigation at your clinic."), field="investigation"
        )
    return found[0]


def _trail_condition(case_id: uuid.UUID) -> Any:
    """Rows about the case itself, and about its letters and text messages."""
    condition = (AuditEvent.resource_type == PARTNER_CASE) & (
        AuditEvent.resource_id == str(case_id)
    )
    for name, records in CASE_OF_RECORD.items():
        record_ids: list[uuid.UUID] = list(
            db.session.scalars(select(records.c.id).where(records.c.partner_case_id == case_id))
        )
        ids = [str(record_id) for record_id in record_ids]
        if ids:
            condition |= (AuditEvent.resource_type == name) & AuditEvent.resource_id.in_(ids)
    return condition


def investigation_trail(
    actor: User, investigation_id: uuid.UUID, page: int = 1
) -> tuple[InvestigationShown, AccessLogPage]:
    """The detailed trail of the investigated case, one page, newest first: every action
    named. Each reading is audited as ``audit.investigation_viewed``."""
    shown = investigation_for(actor, investigation_id)
    query = select(*COLUMNS).where(
        AuditEvent.clinic_id == actor.clinic_id,
        _trail_condition(shown.partner_case_id),
    )
    found, has_next = one_page(query, page)
    rows = build_rows(actor, found, detailed=True)
    _audit(AuditAction.ACCESS_INVESTIGATION_VIEWED, actor, shown.id)
    return shown, AccessLogPage(rows=rows, page=page, has_previous=page > 1, has_next=has_next)
