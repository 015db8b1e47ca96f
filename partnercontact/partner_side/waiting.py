"""What waits for a partner-contact treater on the cases they hold, counted for the home page in
one statement: her unread messages and open requests in her own channel by case, and the
urgent tasks. Nothing is unsealed and nothing is marked read; each count means what the owning
module's own count means (the same conditions, defined there)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side.clinical import open_for_partner_treater
from partnercontact.partner_side.models import PartnerCase, UrgentTask
from partnercontact.partner_side.portal_messages import unread_from_her
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.partner_side.portal_tasks import still_open
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.service import actor_parameters, held_by_actor, reference_of_id


@dataclass(frozen=True)
class CaseCount:
    case_id: uuid.UUID
    count: int

    @property
    def reference(self) -> str:
        return reference_of_id(self.case_id)


@dataclass(frozen=True)
class Waiting:
    # The cases with any (counts above zero), in a stable order.
    unread_from_her: list[CaseCount]
    open_portal_tasks: list[CaseCount]
    open_urgent_tasks: int


@functools.cache
def _waiting_statement() -> Select[uuid.UUID, int, int, int]:
    def counted(
        case_id: InstrumentedAttribute[uuid.UUID], condition: ColumnElement[bool]
    ) -> ScalarSelect[int]:
        return select(func.count()).where(case_id == PartnerCase.id, condition).scalar_subquery()

    return (
        select(
            PartnerCase.id,
            counted(PortalMessage.partner_case_id, unread_from_her()),
            counted(PortalTask.partner_case_id, still_open()),
            counted(UrgentTask.partner_case_id, open_for_partner_treater()),
        )
        .where(held_by_actor())
        .order_by(PartnerCase.id)
    )


def waiting_for(actor: User) -> Waiting:
    """The counts of what waits for ``actor`` on the cases ``actor`` holds."""
    rows = cast(
        "list[tuple[uuid.UUID, int, int, int]]",
        db.session.execute(_waiting_statement(), actor_parameters(actor)).all(),
    )
    return Waiting(
        unread_from_her=[CaseCount(case_id, unread) for case_id, unread, _, _ in rows if unread],
        open_portal_tasks=[CaseCount(case_id, tasks) for case_id, _, tasks, _ in rows if tasks],
        open_urgent_tasks=sum(urgent for _, _, _, urgent in rows),
    )
