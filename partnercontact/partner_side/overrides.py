"""Managers' exceptions from the safety steps: a logged decision that the clinic must reach
her once outside the steps (docs/domain.md, "Safety rules of contact").

A manager names the case by its reference, the step overridden (``OVERRIDABLE_STEPS``), the
kind of contact it covers (``CONTACT_KINDS``) and why (``OVERRIDE_REASONS``): closed lists,
so nothing about her is written. The gate (:func:`partnercontact.partner_side.rules.check_contact`)
spends the decision on the one contact it lets through; her answer and her consent are never
overridden here (a confirmed threat warning is the way to reach a partner who said no).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError, Forbidden
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase, SafetyOverride
from partnercontact.partner_side.service import reference_of_id
from partnercontact.partner_side.vocabulary import (
    CONTACT_KINDS,
    OVERRIDABLE_STEPS,
    OVERRIDE_REASONS,
)
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

REFERENCE_LENGTH = 8


class OverrideInvalid(DomainError):
    """Input for an override is not acceptable; ``field`` names it (``case``, ``rule``,
    ``kind``, ``reason``)."""


@dataclass(frozen=True)
class OverrideListed:
    """An override as the lists show it: the case by reference, the closed-list keys, when."""

    id: uuid.UUID
    reference: str
    rule: str
    kind: str
    reason: str
    decided_at: datetime
    used_at: datetime | None


def _require(actor: User) -> None:
    if not can(actor, Permission.SAFETY_OVERRIDES_DECIDE):
        raise Forbidden(_l("Only a manager may decide an exception from the contact steps."))


def _case_of_clinic(actor: User, given: str) -> PartnerCase:
    text = given.strip().lower()
    if not text:
        raise OverrideInvalid(_l("Enter the case's reference."), field="case")
    query = select(PartnerCase).where(PartnerCase.clinic_id == actor.clinic_id)
    if len(text) == REFERENCE_LENGTH and all(c in "0123456789abcdef" for c in text):
        # The reference is the start of the id's text form on both databases.
        query = query.where(cast(PartnerCase.id, String).startswith(text, autoescape=True))
    else:
        try:
            query = query.where(PartnerCase.id == uuid.UUID(text))
        except ValueError:
            raise OverrideInvalid(
                _l("Enter the case's eight-character reference, for example 1a2b3c4d."),
                field="case",
            ) from None
    found = list(db.session.scalars(query.limit(2)))
    if len(found) != 1:
        raise OverrideInvalid(
            _l("The clinic has no partner case with that reference.")
            if not found
            else _l("Two cases begin with that reference: enter the whole id."),
            field="case",
        )
    return found[0]


def decide_override(actor: User, *, case: str, rule: str, kind: str, reason: str) -> SafetyOverride:
    """Record a manager's one-time exception from the step ``rule`` for one contact of
    ``kind`` with the partner of ``case``. Audited ``SAFETY_OVERRIDE_DECIDED``."""
    _require(actor)
    partner_case = _case_of_clinic(actor, case or "")
    if rule not in OVERRIDABLE_STEPS:
        raise OverrideInvalid(_l("Choose the step the exception is from."), field="rule")
    if kind not in CONTACT_KINDS:
        raise OverrideInvalid(_l("Choose the contact the exception covers."), field="kind")
    if reason not in OVERRIDE_REASONS:
        raise OverrideInvalid(_l("Choose why the clinic must reach her."), field="reason")
    if partner_case.closed_on is not None and partner_case.own_treatment_since is None:
        raise OverrideInvalid(
            _l("The partner contact is closed: record a threat warning to reach her."),
            field="case",
        )
    row = SafetyOverride(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        rule=rule,
        channel=kind,
        reason=reason,
        decided_by_id=actor.id,
        decided_at=current_runtime().clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        AuditAction.SAFETY_OVERRIDE_DECIDED,
        actor_id=actor.id,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
    )
    return row


def _listed(rows: list[SafetyOverride]) -> list[OverrideListed]:
    return [
        OverrideListed(
            id=row.id,
            reference=reference_of_id(row.partner_case_id),
            rule=row.rule,
            kind=row.channel,
            reason=row.reason,
            decided_at=row.decided_at,
            used_at=row.used_at,
        )
        for row in rows
    ]


def overrides_of_clinic(actor: User) -> list[OverrideListed]:
    """The clinic's exceptions, newest first: references and closed-list keys only."""
    _require(actor)
    rows = db.session.scalars(
        select(SafetyOverride)
        .join(PartnerCase, PartnerCase.id == SafetyOverride.partner_case_id)
        .where(PartnerCase.clinic_id == actor.clinic_id)
        .order_by(SafetyOverride.decided_at.desc())
        .limit(200)
    )
    return _listed(list(rows))


def overrides_of(partner_case: PartnerCase) -> list[OverrideListed]:
    """The case's exceptions, newest first, for the treater who holds it."""
    rows = db.session.scalars(
        select(SafetyOverride)
        .where(SafetyOverride.partner_case_id == partner_case.id)
        .order_by(SafetyOverride.decided_at.desc())
    )
    return _listed(list(rows))
