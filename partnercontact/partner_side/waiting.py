"""What waits for a partner-contact treater on the cases they hold, counted for the home page in
the statement that reads its inbox: her unread messages and open requests in her own channel by
case, and the urgent tasks. Nothing is unsealed and nothing is marked read; each count means
what the owning module's own count means (the same conditions, defined there)."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side.clinical import open_for_partner_treater
from partnercontact.partner_side.models import PartnerCase, UrgentTask
from partnercontact.partner_side.portal_messages import unread_from_her
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.partner_side.portal_tasks import still_open
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.service import (
    InboxItem,
    actor_parameters,
    held_condition,
    inbox_dialect,
    inbox_items,
    inbox_statement,
    reference_of_id,
)


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
def _inbox_with_waiting(dialect: str) -> Select[Any]:
    # The inbox's statement with the counts as columns: the home page in one statement. The
    # counts are read for the cases the actor holds only (0 for the others).
    held = held_condition()

    def counted(case_id: InstrumentedAttribute[uuid.UUID], condition: ColumnElement[bool]) -> Any:
        counting = select(func.count()).where(case_id == PartnerCase.id, condition)
        return case((held, counting.scalar_subquery()), else_=0)

    return inbox_statement(dialect).add_columns(
        counted(PortalMessage.partner_case_id, unread_from_her()).label("unread_from_her"),
        counted(PortalTask.partner_case_id, still_open()).label("open_portal_tasks"),
        counted(UrgentTask.partner_case_id, open_for_partner_treater()).label("open_urgent"),
    )


def inbox_and_waiting(actor: User) -> tuple[list[InboxItem], Waiting]:
    """``actor``'s inbox (:func:`partnercontact.partner_side.service.inbox`) and the counts of
    what waits for ``actor`` on the cases ``actor`` holds, in one statement."""
    statement = _inbox_with_waiting(inbox_dialect())
    rows = db.session.execute(statement, actor_parameters(actor)).all()
    # Every row somebody holds is one the actor works (holds or covers).
    held = sorted((row for row in rows if row.treater_id is not None), key=lambda row: row.id)
    waiting = Waiting(
        unread_from_her=[
            CaseCount(row.id, row.unread_from_her) for row in held if row.unread_from_her
        ],
        open_portal_tasks=[
            CaseCount(row.id, row.open_portal_tasks) for row in held if row.open_portal_tasks
        ],
        open_urgent_tasks=sum(row.open_urgent for row in held),
    )
    return inbox_items(actor, rows), waiting
