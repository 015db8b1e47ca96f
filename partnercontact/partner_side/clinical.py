"""The partner-contact treater's clinical records on a partner case (docs/domain.md, 9, 10).

Risk assessments, the urgent tasks a high result opens, the children, safety plans for the
partner and for each child, and concern reports (orosanmälan, 14 kap. 1 § SoL).

Contracts:

- only the treater who holds the case records anything (:func:`held_case_for`); everyone
  else gets the same answer as for a case that does not exist, or a conflict for a case
  nobody holds yet;
- every input is checked before anything is written; a bad one raises
  :class:`ClinicalRecordInvalid` naming its field;
- functions flush, never commit, and write one audit entry per change with its tag and the
  case's id only: no note, label, plan or board name reaches the log;
- free text (notes, a child's label, plans, how a task was handled) is sealed under the
  case's data key;
- the one exception to "holder only" is the manager's urgent task: a manager of the clinic
  sees the open manager tasks by case reference, date and level, and records how one was
  handled, never anything else of the case.

Nothing here is reachable from the client side.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select

from partnercontact.assessments.instruments import INSTRUMENTS, checked_ratings, sealed_form
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today
from partnercontact.clinics.clock import local_date as clinic_date
from partnercontact.db import count_rows, db
from partnercontact.errors import Conflict, DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side import portal_tasks
from partnercontact.partner_side.models import (
    URGENT_FOR_MANAGER,
    URGENT_FOR_PARTNER_TREATER,
    Child,
    ConcernReport,
    PartnerCase,
    RiskAssessment,
    SafetyPlan,
    UrgentTask,
)
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.plan import on_risk_assessed
from partnercontact.partner_side.service import (
    audit,
    clinic_of,
    count_on_held_cases,
    held_case_for,
    lock_case,
    not_on_case,
    reference_of,
)
from partnercontact.partner_side.vocabulary import CONCERN_REASONS, RISK_LEVELS
from partnercontact.policy import Permission, can
from partnercontact.remembered import remembered_rows
from partnercontact.runtime import current_runtime
from partnercontact.tasks.queue import schedule

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select


# Who must act on an urgent task.
FOR_PARTNER_TREATER = URGENT_FOR_PARTNER_TREATER
FOR_MANAGER = URGENT_FOR_MANAGER
HIGH = "high"

MAX_NOTES = 10_000
MAX_HANDLING = 10_000
MAX_PLAN = 20_000
MAX_LABEL = 50
MAX_BOARD = 200
MAX_AGE = 17


class ClinicalRecordInvalid(DomainError):
    """Input for a clinical record is not acceptable; ``field`` names it."""


class ClinicalRecordNotFound(NotFound):
    """No such open urgent task for the manager."""


# --- shared helpers ---------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, required: bool, message: object) -> str:
    clean = (value or "").strip()
    if (required and not clean) or len(clean) > limit:
        raise ClinicalRecordInvalid(message, field=field)
    return clean


def _past_date(value: date | None, *, field: str, today: date, missing: object) -> date:
    if value is None:
        raise ClinicalRecordInvalid(missing, field=field)
    if value > today:
        raise ClinicalRecordInvalid(_l("The date cannot be in the future."), field=field)
    return value


def _stamp(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    """The columns every record of the case carries."""
    return {
        "id": uuid.uuid4(),
        "partner_case_id": partner_case.id,
        "data_key_id": partner_case.data_key_id,
        "recorded_by_id": actor.id,
        "recorded_at": current_runtime().clock.now(),
    }


def _child_of(partner_case: PartnerCase, child_id: uuid.UUID) -> Child:
    """A child of the case addressed by its id (in a URL): not found otherwise."""
    child = db.session.get(Child, child_id)
    if child is None or child.partner_case_id != partner_case.id:
        raise not_on_case()
    return child


def _chosen_child(partner_case: PartnerCase, child_id: uuid.UUID | None) -> None:
    """A child chosen in a form: one of the case's, or an input error on ``child_id``."""
    if child_id is None:
        return
    child = db.session.get(Child, child_id)
    if child is None or child.partner_case_id != partner_case.id:
        raise ClinicalRecordInvalid(_l("Choose one of the case's children."), field="child_id")


# --- risk assessments and urgent tasks --------------------------------------------------------


def record_risk_assessment(
    actor: User,
    case_id: uuid.UUID,
    *,
    instrument: str,
    assessed_on: date | None,
    ratings: Mapping[str, str | None],
    level: str,
    next_review_on: date | None,
    notes: str | None,
) -> RiskAssessment:
    """Record a risk assessment on a case ``actor`` holds, every item of the instrument
    rated (:func:`~partnercontact.assessments.instruments.checked_ratings`).

    ``assessed_on`` may not lie in the future; ``next_review_on`` is optional and must come
    after it. A "high" result opens an urgent task for the partner treater and, when the
    clinic has ``urgent_tasks_to_manager`` on, a second one for the manager.
    """
    partner_case = held_case_for(actor, case_id)
    if instrument not in INSTRUMENTS:
        raise ClinicalRecordInvalid(_l("Choose the instrument used."), field="instrument")
    chosen = INSTRUMENTS[instrument]
    assessed_on = _past_date(
        assessed_on,
        field="assessed_on",
        today=clinic_today(actor.clinic),
        missing=_l("Enter the date of the assessment."),
    )
    checked = checked_ratings(chosen, ratings)
    if level not in RISK_LEVELS:
        raise ClinicalRecordInvalid(_l("Choose the risk level."), field="level")
    if next_review_on is not None and next_review_on <= assessed_on:
        raise ClinicalRecordInvalid(
            _l("The next review must come after the assessment."), field="next_review_on"
        )
    clean_notes = _text(
        notes,
        field="notes",
        limit=MAX_NOTES,
        required=False,
        message=_l("The notes are too long (at most 10,000 characters)."),
    )

    assessment = RiskAssessment(
        **_stamp(actor, partner_case),
        instrument=instrument,
        instrument_version=chosen.version,
        assessed_on=assessed_on,
        level=level,
        next_review_on=next_review_on,
        ratings=sealed_form(checked),
        notes=clean_notes or None,
    )
    db.session.add(assessment)
    db.session.flush()
    tasks = (
        open_urgent_tasks(partner_case, recorded_by=actor, risk_assessment_id=assessment.id)
        if level == HIGH
        else []
    )
    on_risk_assessed(partner_case, assessment.id, next_review_on)
    audit(AuditAction.RISK_ASSESSMENT_RECORDED, actor, partner_case)
    for _task in tasks:
        audit(AuditAction.URGENT_TASK_OPENED, actor, partner_case)
    return assessment


def open_urgent_tasks(
    partner_case: PartnerCase,
    *,
    recorded_by: User | None,
    risk_assessment_id: uuid.UUID | None = None,
    portal_task_id: uuid.UUID | None = None,
    outcome_id: uuid.UUID | None = None,
) -> list[UrgentTask]:
    """The urgent tasks something alarming opens on a case: one for the partner treater and,
    when the case's clinic has ``urgent_tasks_to_manager`` on, one for the manager.

    The one path for every source: a high risk result (``risk_assessment_id``, recorded by
    ``recorded_by``), her own report of new violence or threats in her portal
    (``portal_task_id``, ``recorded_by`` None: she has no account), and her answers at a
    contact telling of new violence or threats (``outcome_id``). The caller writes the audit
    entries (one URGENT_TASK_OPENED per task) with its own actor."""
    if [risk_assessment_id, portal_task_id, outcome_id].count(None) != 2:
        raise ValueError("an urgent task names exactly one source")
    clinic = clinic_of(partner_case)
    roles = [FOR_PARTNER_TREATER]
    if clinic.urgent_tasks_to_manager:
        roles.append(FOR_MANAGER)
    tasks = [
        UrgentTask(
            id=uuid.uuid4(),
            partner_case_id=partner_case.id,
            data_key_id=partner_case.data_key_id,
            recorded_by_id=recorded_by.id if recorded_by is not None else None,
            recorded_at=current_runtime().clock.now(),
            risk_assessment_id=risk_assessment_id,
            portal_task_id=portal_task_id,
            outcome_id=outcome_id,
            for_role=for_role,
        )
        for for_role in roles
    ]
    db.session.add_all(tasks)
    db.session.flush()
    # Not handled by the clinic's time for urgent tasks, the treater's task reaches the managers.
    due_at = current_runtime().clock.now() + timedelta(hours=clinic.urgent_task_hours)
    for task in tasks:
        if task.for_role == FOR_PARTNER_TREATER:
            schedule(
                kinds.URGENT_TASK_DEADLINE,
                due_at,
                f"{kinds.URGENT_TASK_DEADLINE}:{task.id}",
                clinic_id=partner_case.clinic_id,
                partner_case_id=partner_case.id,
                subject_id=task.id,
            )
    return tasks


@dataclass(frozen=True)
class RiskOverview:
    assessments: list[RiskAssessment]
    # The newest assessment's review date, when it has passed without a newer assessment.
    review_overdue_since: date | None


def risk_overview(actor: User, partner_case: PartnerCase) -> RiskOverview:
    """The case's risk assessments, newest first, and whether the next review is overdue
    (the newest assessment's ``next_review_on`` lies before the clinic's today)."""
    assessments = list(
        db.session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.partner_case_id == partner_case.id)
            .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.recorded_at.desc())
        )
    )
    overdue = None
    if assessments:
        review = assessments[0].next_review_on
        if review is not None and review < clinic_today(actor.clinic):
            overdue = review
    return RiskOverview(assessments, overdue)


def risk_assessment_of_case(
    actor: User, partner_case: PartnerCase, assessment_id: uuid.UUID
) -> RiskAssessment:
    """One assessment of a case ``actor`` holds, with its ratings; audited as opened."""
    assessment = db.session.get(RiskAssessment, assessment_id)
    if assessment is None or assessment.partner_case_id != partner_case.id:
        raise not_on_case()
    audit(AuditAction.RISK_ASSESSMENT_VIEWED, actor, partner_case)
    return assessment


@dataclass(frozen=True)
class CaseTask:
    """An urgent task as the case page shows it. ``assessed_on`` and ``level`` are those of
    the risk assessment that opened it; both None when her own report in her portal did
    (``reported_by_her``) or what she told at a contact (``told_at_contact``)."""

    id: uuid.UUID
    for_role: str
    opened_at: datetime
    assessed_on: date | None
    level: str | None
    handled_at: datetime | None
    # How the holder handled it; never shown for a manager's task.
    handling: str | None
    reported_by_her: bool = False
    told_at_contact: bool = False


def _case_task(task: UrgentTask, assessment: RiskAssessment | None) -> CaseTask:
    return CaseTask(
        id=task.id,
        for_role=task.for_role,
        opened_at=task.recorded_at,
        assessed_on=assessment.assessed_on if assessment is not None else None,
        level=assessment.level if assessment is not None else None,
        handled_at=task.handled_at,
        handling=task.handling if task.for_role == FOR_PARTNER_TREATER else None,
        reported_by_her=task.portal_task_id is not None,
        told_at_contact=task.outcome_id is not None,
    )


def urgent_tasks_of_case(actor: User, partner_case: PartnerCase) -> list[CaseTask]:
    """The case's urgent tasks, open ones first, then newest first. The holder sees how a
    task of theirs was handled; of a manager's task only whether and when it was."""
    rows = db.session.execute(
        select(UrgentTask, RiskAssessment)
        .outerjoin(RiskAssessment, RiskAssessment.id == UrgentTask.risk_assessment_id)
        .where(UrgentTask.partner_case_id == partner_case.id)
        .order_by(UrgentTask.recorded_at.desc(), UrgentTask.for_role.desc())
    ).all()
    tasks = [_case_task(task, assessment) for task, assessment in rows]
    return sorted(tasks, key=lambda task: task.handled_at is not None)


def _holder_task(partner_case: PartnerCase, task_id: uuid.UUID) -> UrgentTask:
    """A partner treater's task on the case; a manager's task or another case's is not
    found."""
    task = db.session.get(UrgentTask, task_id)
    if (
        task is None
        or task.partner_case_id != partner_case.id
        or task.for_role != FOR_PARTNER_TREATER
    ):
        raise not_on_case()
    return task


def urgent_task_of_case(actor: User, partner_case: PartnerCase, task_id: uuid.UUID) -> CaseTask:
    """One of the holder's urgent tasks on the case, or not found."""
    task = _holder_task(partner_case, task_id)
    assessment = (
        db.session.get_one(RiskAssessment, task.risk_assessment_id)
        if task.risk_assessment_id is not None
        else None
    )
    return _case_task(task, assessment)


def _check_handling(task: UrgentTask, handling: str | None) -> str:
    if task.handled_at is not None:
        raise Conflict(_l("The urgent task has already been handled."), field="task")
    return _text(
        handling,
        field="handling",
        limit=MAX_HANDLING,
        required=True,
        message=_l("Describe how the task was handled (at most 10,000 characters)."),
    )


def _mark_handled(
    task: UrgentTask, actor: User, partner_case: PartnerCase, handling: str | None
) -> UrgentTask:
    text = _check_handling(task, handling)
    task.handled_at = current_runtime().clock.now()
    task.handled_by_id = actor.id
    task.handling = text
    db.session.flush()
    audit(AuditAction.URGENT_TASK_HANDLED, actor, partner_case)
    return task


def handle_urgent_task(
    actor: User, case_id: uuid.UUID, task_id: uuid.UUID, *, handling: str | None
) -> UrgentTask:
    """The holder records how an urgent task of the partner treater was handled. When her own
    report opened it, her report's task is seen to with it (she sees when), once only."""
    partner_case = held_case_for(actor, case_id)
    task = _holder_task(partner_case, task_id)
    handled = _mark_handled(task, actor, partner_case, handling)
    if task.portal_task_id is not None:
        portal_tasks.see_to(
            partner_case.id,
            actor,
            PortalTask.id == task.portal_task_id,
            at=handled.handled_at,
        )
    return handled


def open_for_partner_treater() -> ColumnElement[bool]:
    """An urgent task for the treater who holds the case, not handled yet."""
    return and_(UrgentTask.for_role == FOR_PARTNER_TREATER, UrgentTask.handled_at.is_(None))


def open_task_count(actor: User) -> int:
    """How many urgent tasks wait for ``actor`` on the cases they hold."""
    return count_on_held_cases(actor, UrgentTask.partner_case_id, open_for_partner_treater())


@dataclass(frozen=True)
class ManagerTask:
    """All a manager learns of an urgent task: which case (by neutral reference), when it
    was opened, and the risk level. No notes, no partner details."""

    id: uuid.UUID
    reference: str
    opened_on: date
    # None when her own report in her portal or her answers at a contact opened it: the
    # manager learns that, not what.
    level: str | None
    told_at_contact: bool = False


def _may_handle_manager_tasks(actor: User) -> bool:
    return can(actor, Permission.URGENT_TASKS_HANDLE)


def _open_manager_tasks_query(
    actor: User,
) -> Select[uuid.UUID, datetime, str | None, bool, PartnerCase]:
    # Only the task's id and time, the level and the case row (which holds no sealed field
    # and no name) are selected: the assessment's notes, the handling text, her report's
    # words and the case's records are not even loaded for the manager. A task her own report
    # opened has no assessment (the outer join gives no level) and its report is not joined.
    return (
        select(
            UrgentTask.id,
            UrgentTask.recorded_at,
            RiskAssessment.level,
            UrgentTask.outcome_id.is_not(None),
            PartnerCase,
        )
        .outerjoin(RiskAssessment, RiskAssessment.id == UrgentTask.risk_assessment_id)
        .join(PartnerCase, PartnerCase.id == UrgentTask.partner_case_id)
        .where(
            and_(
                PartnerCase.clinic_id == actor.clinic_id,
                UrgentTask.for_role == FOR_MANAGER,
                UrgentTask.handled_at.is_(None),
            )
        )
        .order_by(UrgentTask.recorded_at, UrgentTask.id)
    )


def _manager_task_rows(actor: User, task_id: uuid.UUID | None = None) -> list[ManagerTask]:
    if not _may_handle_manager_tasks(actor):
        return []
    query = _open_manager_tasks_query(actor)
    if task_id is not None:
        query = query.where(UrgentTask.id == task_id)
    return [
        ManagerTask(
            id=found_id,
            reference=reference_of(partner_case),
            opened_on=clinic_date(opened, actor.clinic),
            level=level,
            told_at_contact=bool(told),
        )
        for found_id, opened, level, told, partner_case in db.session.execute(query)
    ]


def open_manager_tasks(actor: User) -> list[ManagerTask]:
    """The clinic's open urgent tasks for the manager, oldest first; empty for anyone who
    is not a manager."""
    return _manager_task_rows(actor)


def open_manager_task_total(actor: User) -> int:
    """How many :func:`open_manager_tasks` would list, counted without loading them."""
    if not _may_handle_manager_tasks(actor):
        return 0
    return count_rows(_open_manager_tasks_query(actor))


def manager_task(actor: User, task_id: uuid.UUID) -> ManagerTask:
    """One open manager task of the actor's clinic, or :class:`ClinicalRecordNotFound`."""
    rows = _manager_task_rows(actor, task_id)
    if not rows:
        raise ClinicalRecordNotFound(_l("There is no such open urgent task."), field="task")
    return rows[0]


def handle_manager_task(actor: User, task_id: uuid.UUID, *, handling: str | None) -> UrgentTask:
    """A manager records how an urgent task of the manager was handled."""
    task = db.session.get(UrgentTask, task_id)
    partner_case = db.session.get(PartnerCase, task.partner_case_id) if task else None
    if (
        task is None
        or partner_case is None
        or not _may_handle_manager_tasks(actor)
        or partner_case.clinic_id != actor.clinic_id
        or task.for_role != FOR_MANAGER
    ):
        raise ClinicalRecordNotFound(_l("There is no such open urgent task."), field="task")
    return _mark_handled(task, actor, partner_case, handling)


# --- children ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDetails:
    label: str | None
    age: int | None
    lives_with_client: bool
    regular_contact_with_client: bool


def _validated_child(details: ChildDetails) -> ChildDetails:
    label = _text(
        details.label,
        field="label",
        limit=MAX_LABEL,
        required=True,
        message=_l("Enter the child's initials or first name (at most 50 characters)."),
    )
    if details.age is not None and not 0 <= details.age <= MAX_AGE:
        raise ClinicalRecordInvalid(_l("The age must be between 0 and 17."), field="age")
    return ChildDetails(
        label=label,
        age=details.age,
        lives_with_client=bool(details.lives_with_client),
        regular_contact_with_client=bool(details.regular_contact_with_client),
    )


def _apply_child(child: Child, details: ChildDetails) -> None:
    child.label = details.label
    child.age = details.age
    child.lives_with_client = details.lives_with_client
    child.regular_contact_with_client = details.regular_contact_with_client


def record_child(actor: User, case_id: uuid.UUID, details: ChildDetails) -> Child:
    """Add a child to a case ``actor`` holds. The age, when known, is 0 to 17."""
    partner_case = held_case_for(actor, case_id)
    clean = _validated_child(details)
    child = Child(**_stamp(actor, partner_case))
    _apply_child(child, clean)
    db.session.add(child)
    db.session.flush()
    audit(AuditAction.CHILD_RECORDED, actor, partner_case)
    return child


def update_child(
    actor: User, case_id: uuid.UUID, child_id: uuid.UUID, details: ChildDetails
) -> Child:
    """Replace what is recorded about a child with new values. The row is updated in place;
    ``recorded_by_id``/``recorded_at`` keep the first recording, and the change itself is in
    the audit log (CHILD_RECORDED: who and when, no content)."""
    partner_case = held_case_for(actor, case_id)
    child = _child_of(partner_case, child_id)
    clean = _validated_child(details)
    _apply_child(child, clean)
    db.session.flush()
    audit(AuditAction.CHILD_RECORDED, actor, partner_case)
    return child


def children_of(actor: User, partner_case: PartnerCase) -> list[Child]:
    """The case's children in the order they were first recorded."""
    return remembered_rows(("children", partner_case.id), _children, {"case_id": partner_case.id})


@functools.cache
def _children() -> Select[Child]:
    return (
        select(Child)
        .where(Child.partner_case_id == bindparam("case_id"))
        .order_by(Child.recorded_at, Child.id)
    )


def child_of_case(actor: User, partner_case: PartnerCase, child_id: uuid.UUID) -> Child:
    return _child_of(partner_case, child_id)


# --- safety plans -----------------------------------------------------------------------------


def save_safety_plan(
    actor: User, case_id: uuid.UUID, *, child_id: uuid.UUID | None, content: str | None
) -> SafetyPlan:
    """Save a new version of the partner's safety plan (``child_id`` None) or of one child's.
    The version is the previous one's plus one; earlier versions are kept unchanged."""
    partner_case = held_case_for(actor, case_id)
    if child_id is not None:
        _child_of(partner_case, child_id)
    text = _text(
        content,
        field="content",
        limit=MAX_PLAN,
        required=True,
        message=_l("Write the safety plan (at most 20,000 characters)."),
    )
    # Two saves of the same plan at once must not both become version n + 1: lock the case
    # row (PostgreSQL; SQLite serialises writers anyway) before reading the last version.
    lock_case(partner_case)
    previous = db.session.scalar(
        select(func.max(SafetyPlan.version)).where(
            SafetyPlan.partner_case_id == partner_case.id, _same_plan(child_id)
        )
    )
    plan = SafetyPlan(
        **_stamp(actor, partner_case),
        child_id=child_id,
        version=(previous or 0) + 1,
        content=text,
    )
    db.session.add(plan)
    db.session.flush()
    audit(AuditAction.SAFETY_PLAN_SAVED, actor, partner_case)
    return plan


def _same_plan(child_id: uuid.UUID | None) -> ColumnElement[bool]:
    if child_id is None:
        return SafetyPlan.child_id.is_(None)
    return SafetyPlan.child_id == child_id


@dataclass(frozen=True)
class PlanHistory:
    """One safety plan: whose it is, its current version, and the earlier ones."""

    child: Child | None
    current: SafetyPlan | None
    earlier: list[SafetyPlan]


def safety_plans(actor: User, partner_case: PartnerCase) -> list[PlanHistory]:
    """The partner's plan first, then one per child, each with its versions newest first."""
    versions = list(
        db.session.scalars(
            select(SafetyPlan)
            .where(SafetyPlan.partner_case_id == partner_case.id)
            .order_by(SafetyPlan.version.desc())
        )
    )
    histories = []
    for child in [None, *children_of(actor, partner_case)]:
        child_id = child.id if child is not None else None
        own = [plan for plan in versions if plan.child_id == child_id]
        histories.append(PlanHistory(child, own[0] if own else None, own[1:]))
    return histories


def current_safety_plan(
    actor: User, partner_case: PartnerCase, child_id: uuid.UUID | None
) -> SafetyPlan | None:
    if child_id is not None:
        _child_of(partner_case, child_id)
    return db.session.scalar(
        select(SafetyPlan)
        .where(SafetyPlan.partner_case_id == partner_case.id, _same_plan(child_id))
        .order_by(SafetyPlan.version.desc())
        .limit(1)
    )


def safety_plan_version(actor: User, partner_case: PartnerCase, plan_id: uuid.UUID) -> SafetyPlan:
    """One version of one of the case's safety plans."""
    plan = db.session.get(SafetyPlan, plan_id)
    if plan is None or plan.partner_case_id != partner_case.id:
        raise not_on_case()
    return plan


# --- concern reports --------------------------------------------------------------------------


def record_concern_report(
    actor: User,
    case_id: uuid.UUID,
    *,
    reported_on: date | None,
    board: str | None,
    reason: str,
    child_id: uuid.UUID | None,
) -> ConcernReport:
    """Record that a concern report (orosanmälan) was made: when, to which social welfare
    board, why, about which child if one. ``actor`` is recorded as the one who made it."""
    partner_case = held_case_for(actor, case_id)
    reported_on = _past_date(
        reported_on,
        field="reported_on",
        today=clinic_today(actor.clinic),
        missing=_l("Enter the date the report was made."),
    )
    clean_board = _text(
        board,
        field="board",
        limit=MAX_BOARD,
        required=True,
        message=_l("Enter the social welfare board the report went to (at most 200 characters)."),
    )
    if reason not in CONCERN_REASONS:
        raise ClinicalRecordInvalid(_l("Choose the reason for the report."), field="reason")
    _chosen_child(partner_case, child_id)
    report = ConcernReport(
        **_stamp(actor, partner_case),
        child_id=child_id,
        reported_on=reported_on,
        board=clean_board,
        reason=reason,
    )
    db.session.add(report)
    db.session.flush()
    audit(AuditAction.CONCERN_REPORT_RECORDED, actor, partner_case)
    return report


@dataclass(frozen=True)
class ConcernReportEntry:
    id: uuid.UUID
    reported_on: date
    board: str
    reason: str
    made_by: str | None
    child: Child | None


def concern_reports(actor: User, partner_case: PartnerCase) -> list[ConcernReportEntry]:
    """The case's concern reports, newest first, with who made them."""
    children = {child.id: child for child in children_of(actor, partner_case)}
    rows = db.session.execute(
        select(ConcernReport, User.display_name)
        .outerjoin(User, User.id == ConcernReport.recorded_by_id)
        .where(ConcernReport.partner_case_id == partner_case.id)
        .order_by(ConcernReport.reported_on.desc(), ConcernReport.recorded_at.desc())
    )
    return [
        ConcernReportEntry(
            id=report.id,
            reported_on=report.reported_on,
            board=report.board,
            reason=report.reason,
            made_by=made_by,
            child=children.get(report.child_id) if report.child_id else None,
        )
        for report, made_by in rows
    ]


def concern_report_count(clinic_id: int, from_: date, to: date) -> int:
    """How many concern reports the clinic made from ``from_`` to ``to``, both included, by
    the date they were made. For statistics: the caller suppresses small counts."""
    if from_ > to:
        raise ClinicalRecordInvalid(_l("The period must not end before it starts."), field="to")
    return int(
        db.session.scalar(
            select(func.count(ConcernReport.id))
            .join(PartnerCase, PartnerCase.id == ConcernReport.partner_case_id)
            .where(
                PartnerCase.clinic_id == clinic_id,
                ConcernReport.reported_on >= from_,
                ConcernReport.reported_on <= to,
            )
        )
        or 0
    )
