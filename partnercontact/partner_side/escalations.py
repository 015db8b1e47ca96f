"""Escalations: the partner-contact treater asks the clinic's managers to step in on a case.

docs/domain.md, "Step 12: escalations": a raised risk is handled together with the partner's
treater, in rare cases with the team or a manager. The treater who holds a case escalates it to the
managers with a reason and an urgency, each chosen from a closed list; a manager records how it was
handled, again from a closed list. There is no free-text column, so nothing clinical and nothing
about the partner can travel to the managers through an escalation (docs/domain.md, "What managers
see").

Contracts:

- only the treater who holds the case raises an escalation (:func:`held_case_for`); anyone
  else gets the answer for a case that does not exist;
- one open escalation per case and reason: a second is a :class:`Conflict` on ``reason``, and
  nothing is written;
- a manager sees and handles the open escalations of their own clinic only; any other
  escalation, a handled one, or anyone who is not a manager gets :class:`EscalationNotFound`;
- the manager's queries select named columns (ids, dates, keys, the raiser's display name),
  never a partner-side row, a sealed column or a hand-over note;
- functions flush, never commit, and write their audit entry with the case's or the
  escalation's id only.

:func:`manager_task_list` gathers everything the partner side has put before the managers:
escalations, urgent consultations, threat warnings awaiting confirmation and the manager's
own reminders, most urgent first, then oldest first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Select,
    String,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import Model, UTCDateTime, db
from partnercontact.errors import Conflict, DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.clinical import (
    FOR_PARTNER_TREATER,
    open_manager_task_total,
    open_manager_tasks,
)
from partnercontact.partner_side.contact import (
    unconfirmed_threat_warning_count,
    unconfirmed_threat_warnings,
)
from partnercontact.partner_side.models import PartnerCase, UrgentTask
from partnercontact.partner_side.scheduling.reminders import open_reminder_count, open_reminders
from partnercontact.partner_side.service import (
    audit,
    episodes_of_case,
    held_case_for,
    lock_case,
    reference_of_id,
)
from partnercontact.policy import Permission, can
from partnercontact.relay.kinds import RelayKind
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.clinics.models import Clinic

# Raised by the service itself when something the partner side must act on waits past its time
# (partner_side.scheduling.jobs): they name no raiser.
RISK_SIGNAL_OVERDUE = "risk_signal_overdue"
RELAY_TASK_OVERDUE = "relay_task_overdue"
URGENT_TASK_OVERDUE = "urgent_task_overdue"
# Why the treater escalates. Keys are stored; the pages show the labels.
REASONS = {
    "risk_consultation": _l("Needs consultation on the risk"),
    "safety_beyond_plan": _l("A safety concern beyond the safety plan"),
    "protected_identity": _l("A question about protected personal data"),
    "suitability_disagreement": _l("Disagreement about suitability"),
    "no_treater_available": _l("No treater available, or too heavy a workload"),
    "other": _l("Something else"),
    RISK_SIGNAL_OVERDUE: _l("A risk signal from the client's treater was not acted on in time"),
    RELAY_TASK_OVERDUE: _l("A relayed event was not acted on in time"),
    URGENT_TASK_OVERDUE: _l("An urgent task was not handled in time"),
}
NORMAL = "normal"
URGENT = "urgent"
URGENCIES = {
    NORMAL: _l("Normal"),
    URGENT: _l("Urgent"),
}
# What the manager did about it.
OUTCOMES = {
    "consulted": _l("Consulted with the treater"),
    "reassigned": _l("The case was reassigned"),
    "no_action": _l("Decided that no action is needed"),
    "referred": _l("Referred onward"),
}

# The kinds of item on the manager's task list.
KIND_ESCALATION = "escalation"
KIND_URGENT_CONSULTATION = "urgent_consultation"
KIND_THREAT_WARNING = "threat_warning"
KIND_REMINDER = "reminder"
# The key of an urgent consultation her answers at a contact opened (no risk level to show).
TOLD_AT_CONTACT = "told_at_contact"


class Escalation(Model):
    """A partner case escalated to the clinic's managers, and how it was handled.

    No column holds free text: a reason, an urgency and an outcome are keys of closed lists.
    """

    __tablename__ = "escalation"
    __table_args__ = (
        CheckConstraint("urgency IN ('normal', 'urgent')", name="urgency"),
        # Handled means all three: when, by whom, with what outcome; open means none of them.
        CheckConstraint(
            "(handled_at IS NULL AND handled_by_id IS NULL AND outcome IS NULL)"
            " OR (handled_at IS NOT NULL AND handled_by_id IS NOT NULL AND outcome IS NOT NULL)",
            name="handled",
        ),
        # One open escalation per case and reason, even when two requests race past the
        # service's own check.
        Index(
            "ix_escalation_open_reason",
            "partner_case_id",
            "reason",
            unique=True,
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    # None: raised by the service itself (the *_OVERDUE reasons), not by a treater.
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))


class EscalationInvalid(DomainError):
    """A choice for an escalation is not one of its list; ``field`` names it."""


class EscalationNotFound(NotFound):
    """No such open escalation among the manager's clinic's."""


def _now() -> datetime:
    return current_runtime().clock.now()


def _not_found() -> EscalationNotFound:
    return EscalationNotFound(_l("There is no such open escalation."), field="escalation")


# --- the treater's side -------------------------------------------------------------------------


def raise_escalation(
    actor: User, case_id: uuid.UUID, *, reason: str | None, urgency: str | None
) -> Escalation:
    """Escalate a case ``actor`` holds to the clinic's managers.

    ``reason`` is a key of :data:`REASONS`, ``urgency`` of :data:`URGENCIES`; anything else
    raises :class:`EscalationInvalid` on that field. While an escalation of the case for the
    same reason is open, another raises :class:`Conflict` on ``reason``.
    """
    partner_case = held_case_for(actor, case_id, audited=False)
    if reason not in REASONS:
        raise EscalationInvalid(_l("Choose why you escalate the case."), field="reason")
    if urgency not in URGENCIES:
        raise EscalationInvalid(_l("Choose how urgent it is."), field="urgency")
    # Two escalations sent at once must not both pass the check below: lock the case row
    # (PostgreSQL; SQLite serialises writers anyway). The unique index backs this up.
    lock_case(partner_case)
    already = db.session.scalar(
        select(Escalation.id).where(
            Escalation.partner_case_id == partner_case.id,
            Escalation.reason == reason,
            Escalation.handled_at.is_(None),
        )
    )
    if already is not None:
        raise Conflict(
            _l(
                "The case is already escalated for this reason and a manager has not handled "
                "it yet."
            ),
            field="reason",
        )
    escalation = Escalation(
        id=uuid.uuid4(),
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        reason=reason,
        urgency=urgency,
        raised_by_id=actor.id,
        raised_at=_now(),
    )
    db.session.add(escalation)
    db.session.flush()
    audit(AuditAction.ESCALATION_RAISED, actor, partner_case)
    return escalation


def escalate_unanswered_relay_event(event_id: uuid.UUID, case_id: uuid.UUID) -> bool:
    """At a relayed event's time to act: escalate the case to its clinic's managers if nothing
    has been recorded as done with the event. True if it was escalated."""
    event = db.session.get(RelayEvent, event_id)
    partner_case = db.session.get(PartnerCase, case_id)
    if event is None or partner_case is None:
        return False
    if event.episode_id not in db.session.scalars(episodes_of_case(partner_case.id)).all():
        return False
    signal = event.kind == RelayKind.RISK_SIGNAL
    if partner_case.closed_on is not None and not signal:
        return False  # the contact is closed: there is no one to inform any more
    acted = select(RelayOutcome.id).where(
        RelayOutcome.event_id == event.id, RelayOutcome.partner_case_id == partner_case.id
    )
    if signal:
        reason, urgency = RISK_SIGNAL_OVERDUE, URGENT if event.urgency == URGENT else NORMAL
    else:
        reason, urgency = RELAY_TASK_OVERDUE, NORMAL
    return _escalated_by_the_service(partner_case, reason, urgency, done=acted)


def escalate_unhandled_urgent_task(task_id: uuid.UUID) -> bool:
    """At an urgent task's time to act: escalate its case to the managers if the partner
    treater has not handled it. True if it was escalated."""
    task = db.session.get(UrgentTask, task_id)
    if task is None or task.for_role != FOR_PARTNER_TREATER:
        return False
    partner_case = db.session.get(PartnerCase, task.partner_case_id)
    assert partner_case is not None  # a foreign key
    handled = select(UrgentTask.id).where(
        UrgentTask.id == task.id, UrgentTask.handled_at.is_not(None)
    )
    return _escalated_by_the_service(partner_case, URGENT_TASK_OVERDUE, URGENT, done=handled)


def _escalated_by_the_service(
    partner_case: PartnerCase, reason: str, urgency: str, *, done: Select[Any]
) -> bool:
    """Escalate ``partner_case`` for ``reason`` unless ``done`` finds a row (what was waiting
    has been acted on) or an escalation for the reason is open already (once). Raised by the
    service, so it names no raiser."""
    lock_case(partner_case)
    already = select(Escalation.id).where(
        Escalation.partner_case_id == partner_case.id,
        Escalation.reason == reason,
        Escalation.handled_at.is_(None),
    )
    if db.session.scalar(select(done.exists() | already.exists())):
        return False
    escalation = Escalation(
        id=uuid.uuid4(),
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        reason=reason,
        urgency=urgency,
        raised_by_id=None,
        raised_at=_now(),
    )
    db.session.add(escalation)
    db.session.flush()
    record_event(
        AuditAction.ESCALATION_RAISED,
        actor_id=None,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
    )
    return True


@dataclass(frozen=True)
class CaseEscalation:
    """An escalation as the case page shows it to the treater who holds the case."""

    id: uuid.UUID
    reason: str
    urgency: str
    raised_at: datetime
    raised_by: str | None
    handled_at: datetime | None
    handled_by: str | None
    outcome: str | None


# Made once: an alias of a mapped class is costly to build on every page.
_RAISER = aliased(User, name="raiser")
_HANDLER = aliased(User, name="handler")


def escalations_of_case(actor: User, partner_case: PartnerCase) -> list[CaseEscalation]:
    """The case's escalations, open ones first, then newest first. For a page the caller has
    already loaded (and audited) through :func:`held_case_for`."""
    raiser, handler = _RAISER, _HANDLER
    rows = db.session.execute(
        select(
            Escalation.id,
            Escalation.reason,
            Escalation.urgency,
            Escalation.raised_at,
            raiser.display_name,
            Escalation.handled_at,
            handler.display_name,
            Escalation.outcome,
        )
        .outerjoin(raiser, raiser.id == Escalation.raised_by_id)
        .outerjoin(handler, handler.id == Escalation.handled_by_id)
        .where(Escalation.partner_case_id == partner_case.id)
        .order_by(Escalation.raised_at.desc(), Escalation.id)
    ).all()
    entries = [CaseEscalation(*row) for row in rows]
    return sorted(entries, key=lambda entry: entry.handled_at is not None)


# --- the manager's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerEscalation:
    """All a manager learns of an escalation: which case (by neutral reference), why, how
    urgent, when and by which colleague. Never a word of the case's records."""

    id: uuid.UUID
    reference: str
    reason: str
    urgency: str
    raised_at: datetime
    raised_by: str | None


# The columns a manager's query may name; a test holds the dataclass to exactly these.
MANAGER_FIELDS = tuple(field.name for field in fields(ManagerEscalation))


def _may_handle(actor: User) -> bool:
    return can(actor, Permission.ESCALATIONS_HANDLE)


def _reference(case_id: uuid.UUID) -> str:
    return reference_of_id(case_id)


def _manager_rows(actor: User, escalation_id: uuid.UUID | None = None) -> list[ManagerEscalation]:
    # Deny by default: nobody but a manager sees any, and a manager only their own clinic's
    # open ones. Named columns only, so no sealed column or note is even loaded.
    if not _may_handle(actor):
        return []
    query = (
        select(
            Escalation.id,
            Escalation.partner_case_id,
            Escalation.reason,
            Escalation.urgency,
            Escalation.raised_at,
            User.display_name,
        )
        .outerjoin(User, User.id == Escalation.raised_by_id)
        .where(Escalation.clinic_id == actor.clinic_id, Escalation.handled_at.is_(None))
        # Urgent first, then the oldest.
        .order_by((Escalation.urgency == URGENT).desc(), Escalation.raised_at, Escalation.id)
    )
    if escalation_id is not None:
        query = query.where(Escalation.id == escalation_id)
    return [
        ManagerEscalation(
            id=found_id,
            reference=_reference(case_id),
            reason=reason,
            urgency=urgency,
            raised_at=raised_at,
            raised_by=raised_by,
        )
        for found_id, case_id, reason, urgency, raised_at, raised_by in db.session.execute(query)
    ]


def open_escalations(actor: User) -> list[ManagerEscalation]:
    """The clinic's open escalations, urgent ones first, then oldest first; empty for anyone
    who is not a manager. The caller audits the read of the list."""
    return _manager_rows(actor)


def escalation_for_manager(actor: User, escalation_id: uuid.UUID) -> ManagerEscalation:
    """One open escalation of the actor's clinic, for the handling page; audited as viewed."""
    rows = _manager_rows(actor, escalation_id)
    if not rows:
        raise _not_found()
    record_event(
        AuditAction.ESCALATIONS_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="escalation",
        resource_id=str(escalation_id),
    )
    return rows[0]


def open_escalation_count(actor: User) -> int:
    if not _may_handle(actor):
        return 0
    return int(
        db.session.scalar(
            select(func.count(Escalation.id)).where(
                Escalation.clinic_id == actor.clinic_id, Escalation.handled_at.is_(None)
            )
        )
        or 0
    )


def handle_escalation(actor: User, escalation_id: uuid.UUID, *, outcome: str | None) -> Escalation:
    """A manager of the case's clinic records how an open escalation was handled.

    ``outcome`` is a key of :data:`OUTCOMES` (:class:`EscalationInvalid` on ``outcome``
    otherwise). Another clinic's escalation, a handled one, or an actor who is not a manager:
    :class:`EscalationNotFound`.
    """
    if not _may_handle(actor):
        raise _not_found()
    # Locked, so two managers handling it at once cannot both record an outcome.
    escalation = db.session.scalar(
        select(Escalation)
        .where(
            Escalation.id == escalation_id,
            Escalation.clinic_id == actor.clinic_id,
            Escalation.handled_at.is_(None),
        )
        .with_for_update()
    )
    if escalation is None:
        raise _not_found()
    if outcome not in OUTCOMES:
        raise EscalationInvalid(_l("Choose how the escalation was handled."), field="outcome")
    escalation.handled_at = _now()
    escalation.handled_by_id = actor.id
    escalation.outcome = outcome
    db.session.flush()
    audit(AuditAction.ESCALATION_HANDLED, actor, escalation.partner_case_id)
    return escalation


# --- the manager's task list ----------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerTaskItem:
    """One thing the partner side put before the managers, as the task list shows it.

    ``kind`` is one of the ``KIND_*`` keys; ``key`` is the escalation's reason, the urgent
    consultation's risk level or the reminder's kind (None for a threat warning). ``since``
    orders the list; ``on_day`` is set where only the day is known (an urgent consultation).
    """

    kind: str
    id: uuid.UUID
    reference: str | None
    urgent: bool
    since: datetime
    on_day: date | None = None
    key: str | None = None
    raised_by: str | None = None


def _start_of(day: date, clinic: Clinic) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clinic_zone(clinic))


def _gathered(actor: User) -> list[ManagerTaskItem]:
    items = [
        ManagerTaskItem(
            kind=KIND_ESCALATION,
            id=escalation.id,
            reference=escalation.reference,
            urgent=escalation.urgency == URGENT,
            since=escalation.raised_at,
            key=escalation.reason,
            raised_by=escalation.raised_by,
        )
        for escalation in open_escalations(actor)
    ]
    # A high risk result and an imminent threat are urgent by nature.
    items += [
        ManagerTaskItem(
            kind=KIND_URGENT_CONSULTATION,
            id=task.id,
            reference=task.reference,
            urgent=True,
            since=_start_of(task.opened_on, actor.clinic),
            on_day=task.opened_on,
            key=task.level or (TOLD_AT_CONTACT if task.told_at_contact else None),
        )
        for task in open_manager_tasks(actor)
    ]
    items += [
        ManagerTaskItem(
            kind=KIND_THREAT_WARNING,
            id=warning.id,
            reference=warning.reference,
            urgent=True,
            since=warning.recorded_at,
        )
        for warning in unconfirmed_threat_warnings(actor)
    ]
    # A manager is reminded only of what the partner side escalates (an unanswered first
    # contact, a case nobody holds), so every open reminder of theirs belongs here.
    if _may_handle(actor):
        items += [
            ManagerTaskItem(
                kind=KIND_REMINDER,
                id=reminder.id,
                reference=reminder.reference,
                urgent=False,
                since=reminder.due_at,
                key=reminder.kind,
            )
            for reminder in open_reminders(actor)
        ]
    return sorted(items, key=lambda item: (not item.urgent, item.since))


def manager_task_list(actor: User) -> list[ManagerTaskItem]:
    """Everything open that the partner side escalated to ``actor``'s clinic's managers:
    urgent items first, then the oldest first. Empty for anyone who is not a manager. The
    read is audited (ESCALATIONS_VIEWED)."""
    items = _gathered(actor)
    if _may_handle(actor):
        record_event(
            AuditAction.ESCALATIONS_VIEWED,
            actor_id=actor.id,
            clinic_id=actor.clinic_id,
            resource_type="manager_tasks",
        )
    return items


def open_manager_task_count(actor: User) -> int:
    """How many items :func:`manager_task_list` would show ``actor`` (0 for anyone who is not
    a manager); not audited, for the navigation."""
    if not _may_handle(actor):
        return 0
    # Every page a manager opens shows this count: four counts, not the list behind them.
    return (
        open_escalation_count(actor)
        + open_manager_task_total(actor)
        + unconfirmed_threat_warning_count(actor)
        + open_reminder_count(actor)
    )
