"""Reminders to staff: raised by due tasks, shown to the person they are for until done.

A reminder names its kind and the case reference, never a name or a word of a record, so a
manager reminded of an unanswered first contact learns that it happened and on which case,
nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, insert, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.partner_side.service import reference_of, works_on
from partnercontact.policy import Role
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import ScheduledTask

# The outcome of a task that raised its reminders.
REMINDED = "reminded"


class ReminderNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ReminderEntry:
    id: uuid.UUID
    kind: str
    due_at: datetime
    case_id: uuid.UUID | None
    reference: str | None
    # Whether the reader holds the case (and so may open it from the reminder).
    holds_case: bool


@dataclass(frozen=True)
class ReminderWanted:
    """A task that raises its reminders: for the case's treater, and for the clinic's managers
    too when ``managers_too`` (or instead while nobody holds the case)."""

    task: ScheduledTask
    partner_case: PartnerCase
    managers_too: bool = False
    session_id: uuid.UUID | None = None


def _managers_of(clinic_ids: Collection[int]) -> dict[int, list[int]]:
    """The active managers of each clinic, in one query."""
    managers: dict[int, list[int]] = {clinic_id: [] for clinic_id in clinic_ids}
    if not managers:
        return managers
    rows = db.session.execute(
        select(User.clinic_id, User.id)
        .where(
            User.clinic_id.in_(managers),
            User.role == Role.MANAGER.value,
            User.disabled_at.is_(None),
        )
        .order_by(User.id)
    )
    for clinic_id, user_id in rows:
        managers[clinic_id].append(user_id)
    return managers


def _disabled_among(user_ids: Collection[int | None]) -> set[int]:
    """Which of the accounts are disabled, in one query: a reminder never goes to one."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return set()
    return set(
        db.session.scalars(select(User.id).where(User.id.in_(ids), User.disabled_at.is_not(None)))
    )


def _holder(partner_case: PartnerCase, disabled: Collection[int]) -> int | None:
    """Who holds the case and can act on it: nobody while its holder's account is disabled."""
    holder = partner_case.treater_id
    return None if holder is None or holder in disabled else holder


def _needs_managers(
    partner_case: PartnerCase, managers_too: bool, disabled: Collection[int]
) -> bool:
    return managers_too or _holder(partner_case, disabled) is None


def _recipients_among(
    partner_case: PartnerCase,
    managers_too: bool,
    managers: Sequence[int],
    disabled: Collection[int],
) -> list[int]:
    holder = _holder(partner_case, disabled)
    ids = [holder] if holder is not None else []
    if _needs_managers(partner_case, managers_too, disabled):
        ids += [manager for manager in managers if manager not in ids]
    return ids


def recipients(partner_case: PartnerCase, *, managers_too: bool) -> list[int]:
    """The case's treater; the clinic's managers as well, or instead while nobody who can act
    holds it (nobody, or a disabled account)."""
    disabled = _disabled_among([partner_case.treater_id])
    managers: list[int] = []
    if _needs_managers(partner_case, managers_too, disabled):
        managers = _managers_of([partner_case.clinic_id])[partner_case.clinic_id]
    return _recipients_among(partner_case, managers_too, managers, disabled)


def raise_reminders(wanted: Sequence[ReminderWanted], now: datetime) -> None:
    """The reminders of many tasks, each as :func:`raise_reminder` raises them: the managers
    they need and the disabled holders looked up in one query each, every reminder written
    in one insert."""
    disabled = _disabled_among({item.partner_case.treater_id for item in wanted})
    managers = _managers_of(
        {
            item.partner_case.clinic_id
            for item in wanted
            if _needs_managers(item.partner_case, item.managers_too, disabled)
        }
    )
    rows = [
        {
            "id": uuid.uuid4(),
            "clinic_id": item.partner_case.clinic_id,
            "user_id": user_id,
            "kind": item.task.kind,
            "partner_case_id": item.partner_case.id,
            "session_id": item.session_id,
            "task_id": item.task.id,
            "due_at": item.task.due_at,
            "created_at": now,
        }
        for item in wanted
        for user_id in _recipients_among(
            item.partner_case,
            item.managers_too,
            managers.get(item.partner_case.clinic_id, []),
            disabled,
        )
    ]
    if rows:
        db.session.execute(insert(StaffReminder), rows)


def raise_reminder(
    task: ScheduledTask,
    partner_case: PartnerCase,
    now: datetime,
    *,
    managers_too: bool = False,
    session_id: uuid.UUID | None = None,
) -> str:
    """One reminder of ``task`` for each recipient; the task's outcome key."""
    raise_reminders([ReminderWanted(task, partner_case, managers_too, session_id)], now)
    return REMINDED


def open_reminders(actor: User) -> list[ReminderEntry]:
    """The actor's reminders not yet marked done, oldest first."""
    rows = db.session.execute(
        select(StaffReminder, PartnerCase)
        .outerjoin(PartnerCase, PartnerCase.id == StaffReminder.partner_case_id)
        .where(StaffReminder.user_id == actor.id, StaffReminder.done_at.is_(None))
        .order_by(StaffReminder.due_at, StaffReminder.created_at)
    ).all()
    return [
        ReminderEntry(
            id=reminder.id,
            kind=reminder.kind,
            due_at=reminder.due_at,
            case_id=case.id if case is not None else None,
            reference=reference_of(case) if case is not None else None,
            holds_case=case is not None and works_on(actor, case),
        )
        for reminder, case in rows
    ]


def open_reminders_of(user_id: ColumnElement[int] | int) -> ScalarSelect[int]:
    """How many of the reminders of the account ``user_id`` (a column to correlate with, or
    an id) are not done."""
    return (
        select(func.count())
        .select_from(StaffReminder)
        .where(StaffReminder.user_id == user_id, StaffReminder.done_at.is_(None))
        .scalar_subquery()
    )


def open_reminder_count(actor: User) -> int:
    return db.session.scalar(select(open_reminders_of(actor.id))) or 0


def mark_done(actor: User, reminder_id: uuid.UUID) -> StaffReminder:
    """Mark one's own reminder done; anyone else's is a reminder that does not exist."""
    reminder = db.session.get(StaffReminder, reminder_id)
    if reminder is None or reminder.user_id != actor.id:
        raise ReminderNotFound(_l("There is no such reminder."))
    if reminder.done_at is None:
        reminder.done_at = current_runtime().clock.now()
        db.session.flush()
        record_event(
            AuditAction.REMINDER_DONE,
            actor_id=actor.id,
            clinic_id=actor.clinic_id,
            resource_type="staff_reminder",
            resource_id=str(reminder.id),
        )
    return reminder
