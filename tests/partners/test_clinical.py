"""The partner-contact treater's clinical records: risk assessments, urgent tasks, children,
safety plans and concern reports, through the real services and database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.partner_side import clinical
from partnercontact.partner_side.clinical import ChildDetails, ClinicalRecordInvalid
from partnercontact.partner_side.models import (
    Child,
    ConcernReport,
    RiskAssessment,
    SafetyPlan,
    UrgentTask,
)
from partnercontact.partner_side.service import PartnerCaseNotFound, pick_up
from tests.factories import Factory
from tests.partners.conftest import HandedOver, handed_over_case
from tests.ratings import rated

TODAY = date(2026, 1, 15)  # the FixedClock's date
NOTES = "Hotade med kniv i köket; Maja rädd för barnens skull"
HANDLING = "Ringde Maja samma dag; kontakt med socialtjänsten"
PLAN = "Packad väska hos grannen Eva; nödnummer 112 inprogrammerat"
LABEL = "Liv"
BOARD = "Socialnämnden i Lindvik"


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    """The hand-over, picked up by its partner treater."""
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action.value)))


def _assess(actor, case_id: uuid.UUID, **changes: object) -> RiskAssessment:
    values: dict[str, object] = {
        "instrument": "freda_danger",
        "ratings": rated("freda_danger"),
        "assessed_on": TODAY,
        "level": "moderate",
        "next_review_on": TODAY + timedelta(days=30),
        "notes": NOTES,
        **changes,
    }
    assessment = clinical.record_risk_assessment(actor, case_id, **values)  # type: ignore[arg-type]
    db.session.commit()
    return assessment


def _child(actor, case_id: uuid.UUID, **changes: object) -> Child:
    values: dict[str, object] = {
        "label": LABEL,
        "age": 7,
        "lives_with_client": False,
        "regular_contact_with_client": True,
        **changes,
    }
    child = clinical.record_child(actor, case_id, ChildDetails(**values))  # type: ignore[arg-type]
    db.session.commit()
    return child


def _report(actor, case_id: uuid.UUID, **changes: object) -> ConcernReport:
    values: dict[str, object] = {
        "reported_on": TODAY,
        "board": BOARD,
        "reason": "witnessing_violence",
        "child_id": None,
        **changes,
    }
    report = clinical.record_concern_report(actor, case_id, **values)  # type: ignore[arg-type]
    db.session.commit()
    return report


def _manager_gets_tasks(factory: Factory, on: bool = True) -> None:
    """Switch the clinic setting through the real settings service, as its administrator."""
    clinic = factory.default_clinic
    update_settings(factory.admin(clinic=clinic).user, clinic, {"urgent_tasks_to_manager": on})
    db.session.commit()


# --- risk assessments -------------------------------------------------------------------------


def test_a_risk_assessment_is_recorded_and_audited_without_content(held: HandedOver) -> None:
    treater = held.partner_treater.user
    assessment = _assess(treater, held.case.id)
    db.session.expire_all()
    stored = db.session.get(RiskAssessment, assessment.id)
    assert (stored.instrument, stored.assessed_on, stored.level) == (
        "freda_danger",
        TODAY,
        "moderate",
    )
    assert stored.next_review_on == TODAY + timedelta(days=30)
    assert stored.notes == NOTES
    assert stored.recorded_by_id == treater.id
    assert stored.data_key_id == held.case.data_key_id
    [event] = _events(AuditAction.RISK_ASSESSMENT_RECORDED)
    assert (event.actor_id, event.resource_id) == (treater.id, str(held.case.id))
    assert _count(UrgentTask) == 0  # not high: no task


def test_notes_and_next_review_are_optional(held: HandedOver) -> None:
    assessment = _assess(
        held.partner_treater.user, held.case.id, notes="   ", next_review_on=None, level="low"
    )
    assert assessment.notes is None and assessment.next_review_on is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instrument": ""}, "instrument"),
        ({"instrument": "tarot"}, "instrument"),
        ({"assessed_on": None}, "assessed_on"),
        ({"assessed_on": TODAY + timedelta(days=1)}, "assessed_on"),
        ({"level": ""}, "level"),
        ({"level": "extreme"}, "level"),
        ({"next_review_on": TODAY}, "next_review_on"),
        ({"next_review_on": TODAY - timedelta(days=1)}, "next_review_on"),
        ({"notes": "x" * (clinical.MAX_NOTES + 1)}, "notes"),
    ],
)
def test_bad_risk_input_names_its_field_and_writes_nothing(
    held: HandedOver, changes: dict, field: str
) -> None:
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ClinicalRecordInvalid) as caught:
        _assess(held.partner_treater.user, held.case.id, **{"level": "high", **changes})
    assert caught.value.field == field
    db.session.rollback()
    assert _count(RiskAssessment) == 0 and _count(UrgentTask) == 0
    assert _events(AuditAction.RISK_ASSESSMENT_RECORDED) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_today_is_the_clinics_today(held: HandedOver, clock) -> None:
    # 23:30 UTC on 15 January is already 16 January in Stockholm.
    clock.set(datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    assessment = _assess(held.partner_treater.user, held.case.id, assessed_on=date(2026, 1, 16))
    assert assessment.assessed_on == date(2026, 1, 16)
    with pytest.raises(ClinicalRecordInvalid):
        _assess(held.partner_treater.user, held.case.id, assessed_on=date(2026, 1, 17))


def test_assessments_are_listed_newest_first_and_an_overdue_review_shows(
    held: HandedOver, clock
) -> None:
    treater = held.partner_treater.user
    _assess(treater, held.case.id, assessed_on=TODAY - timedelta(days=20), level="low")
    _assess(treater, held.case.id, assessed_on=TODAY - timedelta(days=5), next_review_on=None)
    _assess(
        treater,
        held.case.id,
        assessed_on=TODAY - timedelta(days=10),
        next_review_on=TODAY + timedelta(days=1),
    )
    overview = clinical.risk_overview(treater, held.case)
    assert [a.assessed_on for a in overview.assessments] == [
        TODAY - timedelta(days=5),
        TODAY - timedelta(days=10),
        TODAY - timedelta(days=20),
    ]
    assert overview.review_overdue_since is None  # the newest has no review date

    _assess(treater, held.case.id, next_review_on=TODAY + timedelta(days=1))
    assert clinical.risk_overview(treater, held.case).review_overdue_since is None
    clock.advance(days=1)  # due today: not yet overdue
    assert clinical.risk_overview(treater, held.case).review_overdue_since is None
    clock.advance(days=1)
    overview = clinical.risk_overview(treater, held.case)
    assert overview.review_overdue_since == TODAY + timedelta(days=1)


# --- urgent tasks -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["low", "moderate"])
def test_only_a_high_result_opens_a_task(factory: Factory, held: HandedOver, level: str) -> None:
    _manager_gets_tasks(factory)
    _assess(held.partner_treater.user, held.case.id, level=level)
    assert _count(UrgentTask) == 0
    assert _events(AuditAction.URGENT_TASK_OPENED) == []


def test_a_high_result_opens_a_task_for_the_partner_treater_only_by_default(
    held: HandedOver,
) -> None:
    treater = held.partner_treater.user
    assessment = _assess(treater, held.case.id, level="high")
    [task] = db.session.scalars(select(UrgentTask)).all()
    assert (task.for_role, task.risk_assessment_id, task.handled_at) == (
        "partner_treater",
        assessment.id,
        None,
    )
    assert task.data_key_id == held.case.data_key_id
    assert len(_events(AuditAction.URGENT_TASK_OPENED)) == 1
    assert clinical.open_task_count(treater) == 1
    assert clinical.open_manager_tasks(held.partner_treater.user) == []


def test_with_the_setting_on_a_high_result_also_opens_a_task_for_the_manager(
    factory: Factory, held: HandedOver
) -> None:
    _manager_gets_tasks(factory)
    _assess(held.partner_treater.user, held.case.id, level="high")
    roles = sorted(db.session.scalars(select(UrgentTask.for_role)))
    assert roles == ["manager", "partner_treater"]
    assert len(_events(AuditAction.URGENT_TASK_OPENED)) == 2

    manager = factory.manager().user
    [row] = clinical.open_manager_tasks(manager)
    # Reference, date, level and whether she told of it at a contact: nothing else exists on
    # what the manager gets.
    assert set(vars(row)) == {"id", "reference", "opened_on", "level", "told_at_contact"}
    assert (row.reference, row.opened_on, row.level) == (held.case.id.hex[:8], TODAY, "high")
    # The manager of another clinic sees nothing; nor does a partner treater.
    assert clinical.open_manager_tasks(factory.manager(clinic=factory.clinic()).user) == []
    assert clinical.open_manager_tasks(held.partner_treater.user) == []


def test_the_holder_handles_their_task_once_with_a_sealed_account(held: HandedOver, clock) -> None:
    treater = held.partner_treater.user
    _assess(treater, held.case.id, level="high")
    task = db.session.scalar(select(UrgentTask))
    for missing in ("", "   ", None, "x" * (clinical.MAX_HANDLING + 1)):
        with pytest.raises(ClinicalRecordInvalid) as caught:
            clinical.handle_urgent_task(treater, held.case.id, task.id, handling=missing)
        assert caught.value.field == "handling"
        db.session.rollback()
    assert db.session.get(UrgentTask, task.id).handled_at is None

    clock.advance(hours=2)
    clinical.handle_urgent_task(treater, held.case.id, task.id, handling=HANDLING)
    db.session.commit()
    db.session.expire_all()
    task = db.session.get(UrgentTask, task.id)
    assert (task.handled_by_id, task.handled_at, task.handling) == (
        treater.id,
        clock.now(),
        HANDLING,
    )
    assert len(_events(AuditAction.URGENT_TASK_HANDLED)) == 1
    assert clinical.open_task_count(treater) == 0
    with pytest.raises(Conflict):
        clinical.handle_urgent_task(treater, held.case.id, task.id, handling="again")


def test_the_holder_cannot_handle_the_managers_task_nor_the_manager_theirs(
    factory: Factory, held: HandedOver
) -> None:
    treater = held.partner_treater.user
    _manager_gets_tasks(factory)
    _assess(treater, held.case.id, level="high")
    mine = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "partner_treater"))
    theirs = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "manager"))
    manager = factory.manager().user
    with pytest.raises(NotFound):
        clinical.handle_urgent_task(treater, held.case.id, theirs.id, handling=HANDLING)
    with pytest.raises(NotFound):
        clinical.handle_manager_task(manager, mine.id, handling=HANDLING)
    with pytest.raises(NotFound):
        clinical.handle_manager_task(treater, theirs.id, handling=HANDLING)
    elsewhere = factory.manager(clinic=factory.clinic()).user
    with pytest.raises(NotFound):
        clinical.handle_manager_task(elsewhere, theirs.id, handling=HANDLING)
    with pytest.raises(NotFound):
        clinical.handle_manager_task(manager, uuid.uuid4(), handling=HANDLING)
    db.session.rollback()
    assert _count(UrgentTask) == 2
    assert db.session.scalar(select(func.count()).where(UrgentTask.handled_at.is_not(None))) == 0


def test_a_manager_handles_the_managers_task(factory: Factory, held: HandedOver) -> None:
    _manager_gets_tasks(factory)
    _assess(held.partner_treater.user, held.case.id, level="high")
    manager = factory.manager().user
    [row] = clinical.open_manager_tasks(manager)
    with pytest.raises(ClinicalRecordInvalid) as caught:
        clinical.handle_manager_task(manager, row.id, handling="  ")
    assert caught.value.field == "handling"
    db.session.rollback()
    clinical.handle_manager_task(manager, row.id, handling=HANDLING)
    db.session.commit()
    assert clinical.open_manager_tasks(manager) == []
    [event] = _events(AuditAction.URGENT_TASK_HANDLED)
    assert (event.actor_id, event.resource_id) == (manager.id, str(held.case.id))
    # The holder's own task is still open: the two are handled separately.
    assert clinical.open_task_count(held.partner_treater.user) == 1
    with pytest.raises(NotFound):
        clinical.manager_task(manager, row.id)


# --- children ---------------------------------------------------------------------------------


def test_a_child_is_recorded_and_changed_by_new_values(held: HandedOver) -> None:
    treater = held.partner_treater.user
    child = _child(treater, held.case.id)
    assert (child.label, child.age, child.lives_with_client, child.regular_contact_with_client) == (
        LABEL,
        7,
        False,
        True,
    )
    clinical.update_child(
        treater,
        held.case.id,
        child.id,
        ChildDetails(label="L.", age=8, lives_with_client=True, regular_contact_with_client=False),
    )
    db.session.commit()
    db.session.expire_all()
    [stored] = clinical.children_of(treater, held.case)
    assert (stored.id, stored.label, stored.age, stored.lives_with_client) == (
        child.id,
        "L.",
        8,
        True,
    )
    assert not stored.regular_contact_with_client
    assert len(_events(AuditAction.CHILD_RECORDED)) == 2


def test_age_is_optional(held: HandedOver) -> None:
    assert _child(held.partner_treater.user, held.case.id, age=None).age is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": None}, "label"),
        ({"label": "x" * (clinical.MAX_LABEL + 1)}, "label"),
        ({"age": -1}, "age"),
        ({"age": 18}, "age"),
    ],
)
def test_bad_child_input_names_its_field_and_writes_nothing(
    held: HandedOver, changes: dict, field: str
) -> None:
    treater = held.partner_treater.user
    with pytest.raises(ClinicalRecordInvalid) as caught:
        _child(treater, held.case.id, **changes)
    assert caught.value.field == field
    db.session.rollback()
    assert _count(Child) == 0 and _events(AuditAction.CHILD_RECORDED) == []

    child = _child(treater, held.case.id)
    with pytest.raises(ClinicalRecordInvalid) as caught:
        clinical.update_child(
            treater,
            held.case.id,
            child.id,
            ChildDetails(
                **{
                    "label": "Ny",
                    "age": 9,
                    "lives_with_client": True,
                    "regular_contact_with_client": True,
                    **changes,
                }
            ),
        )
    assert caught.value.field == field
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Child, child.id).label == LABEL
    assert len(_events(AuditAction.CHILD_RECORDED)) == 1


def test_a_child_of_another_case_is_not_found(factory: Factory, clock, held: HandedOver) -> None:
    treater = held.partner_treater.user
    other_case = handed_over_case(factory, clock)
    pick_up(treater, other_case.id)
    db.session.commit()
    elsewhere = _child(treater, other_case.id)
    details = ChildDetails(
        label="X", age=3, lives_with_client=False, regular_contact_with_client=False
    )
    # Addressed by id, another case's child answers as another treater's case would.
    with pytest.raises(PartnerCaseNotFound) as caught:
        clinical.update_child(treater, held.case.id, elsewhere.id, details)
    assert caught.value.field == "case"
    with pytest.raises(PartnerCaseNotFound):
        clinical.save_safety_plan(treater, held.case.id, child_id=elsewhere.id, content=PLAN)
    # Chosen in a form, it is an input error on the field.
    with pytest.raises(ClinicalRecordInvalid) as caught:
        _report(treater, held.case.id, child_id=elsewhere.id)
    assert caught.value.field == "child_id"
    db.session.rollback()
    assert _count(SafetyPlan) == 0 and _count(ConcernReport) == 0
    assert db.session.get(Child, elsewhere.id).label == LABEL


# --- safety plans -----------------------------------------------------------------------------


def test_each_save_of_a_safety_plan_is_a_new_version(held: HandedOver, clock) -> None:
    treater = held.partner_treater.user
    child = _child(treater, held.case.id)
    versions = []
    for number in range(3):
        plan = clinical.save_safety_plan(
            treater, held.case.id, child_id=None, content=f"{PLAN} ({number})"
        )
        db.session.commit()
        versions.append(plan.version)
        clock.advance(days=1)
    child_plan = clinical.save_safety_plan(treater, held.case.id, child_id=child.id, content="Barn")
    db.session.commit()
    assert versions == [1, 2, 3] and child_plan.version == 1  # each plan counts on its own
    assert len(_events(AuditAction.SAFETY_PLAN_SAVED)) == 4

    partner_plan, child_history = clinical.safety_plans(treater, held.case)
    assert partner_plan.child is None and partner_plan.current.version == 3
    assert partner_plan.current.content == f"{PLAN} (2)"
    assert [plan.version for plan in partner_plan.earlier] == [2, 1]
    assert partner_plan.earlier[1].content == f"{PLAN} (0)"  # earlier versions unchanged
    assert child_history.child.id == child.id and child_history.current.version == 1
    assert child_history.earlier == []
    earlier = partner_plan.earlier[0]
    assert clinical.safety_plan_version(treater, held.case, earlier.id).content == f"{PLAN} (1)"


@pytest.mark.parametrize("content", ["", "  \n ", None, "x" * (clinical.MAX_PLAN + 1)])
def test_an_empty_or_oversized_plan_is_refused(held: HandedOver, content) -> None:
    with pytest.raises(ClinicalRecordInvalid) as caught:
        clinical.save_safety_plan(
            held.partner_treater.user, held.case.id, child_id=None, content=content
        )
    assert caught.value.field == "content"
    db.session.rollback()
    assert _count(SafetyPlan) == 0 and _events(AuditAction.SAFETY_PLAN_SAVED) == []


def test_a_plan_of_another_case_cannot_be_opened(factory: Factory, clock, held: HandedOver) -> None:
    treater = held.partner_treater.user
    other_case = handed_over_case(factory, clock)
    pick_up(treater, other_case.id)
    plan = clinical.save_safety_plan(treater, other_case.id, child_id=None, content=PLAN)
    db.session.commit()
    with pytest.raises(NotFound):
        clinical.safety_plan_version(treater, held.case, plan.id)


# --- concern reports --------------------------------------------------------------------------


def test_a_concern_report_records_when_to_whom_why_and_by_whom(held: HandedOver) -> None:
    treater = held.partner_treater.user
    child = _child(treater, held.case.id)
    _report(treater, held.case.id, child_id=child.id, board=f"  {BOARD}  ")
    [entry] = clinical.concern_reports(treater, held.case)
    assert (entry.reported_on, entry.board, entry.reason) == (TODAY, BOARD, "witnessing_violence")
    assert entry.made_by == treater.display_name and entry.child.id == child.id
    stored = db.session.scalar(select(ConcernReport))
    assert stored.recorded_by_id == treater.id
    [event] = _events(AuditAction.CONCERN_REPORT_RECORDED)
    assert event.resource_id == str(held.case.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reported_on": None}, "reported_on"),
        ({"reported_on": TODAY + timedelta(days=1)}, "reported_on"),
        ({"board": ""}, "board"),
        ({"board": "   "}, "board"),
        ({"board": None}, "board"),
        ({"board": "x" * 201}, "board"),
        ({"reason": ""}, "reason"),
        ({"reason": "gossip"}, "reason"),
        ({"child_id": uuid.uuid4()}, "child_id"),
    ],
)
def test_bad_concern_input_names_its_field_and_writes_nothing(
    held: HandedOver, changes: dict, field: str
) -> None:
    with pytest.raises(ClinicalRecordInvalid) as caught:
        _report(held.partner_treater.user, held.case.id, **changes)
    assert caught.value.field == field
    db.session.rollback()
    assert _count(ConcernReport) == 0 and _events(AuditAction.CONCERN_REPORT_RECORDED) == []


def test_a_board_of_200_characters_is_accepted(held: HandedOver) -> None:
    assert len(_report(held.partner_treater.user, held.case.id, board="x" * 200).board) == 200


def test_concern_reports_are_counted_per_clinic_and_period(
    factory: Factory, clock, held: HandedOver
) -> None:
    treater = held.partner_treater.user
    for days_ago in (0, 10, 40):
        _report(treater, held.case.id, reported_on=TODAY - timedelta(days=days_ago))
    other_clinic = factory.clinic()
    other_case = handed_over_case(
        factory, clock, client_treater=factory.client_treater(clinic=other_clinic)
    )
    other_treater = factory.partner_treater(clinic=other_clinic).user
    pick_up(other_treater, other_case.id)
    _report(other_treater, other_case.id)

    clinic_id = treater.clinic_id
    assert clinical.concern_report_count(clinic_id, TODAY - timedelta(days=30), TODAY) == 2
    assert clinical.concern_report_count(clinic_id, TODAY - timedelta(days=40), TODAY) == 3
    assert clinical.concern_report_count(clinic_id, TODAY, TODAY) == 1
    assert (
        clinical.concern_report_count(
            clinic_id, TODAY + timedelta(days=1), TODAY + timedelta(days=9)
        )
        == 0
    )
    assert clinical.concern_report_count(other_clinic.id, TODAY, TODAY) == 1
    with pytest.raises(ClinicalRecordInvalid):
        clinical.concern_report_count(clinic_id, TODAY, TODAY - timedelta(days=1))


# --- only the holder writes -------------------------------------------------------------------


def _writers(case_id: uuid.UUID, child_id: uuid.UUID, task_id: uuid.UUID):  # type: ignore[no-untyped-def]
    details = ChildDetails(
        label="Ny", age=5, lives_with_client=True, regular_contact_with_client=True
    )
    return {
        "risk": lambda actor: clinical.record_risk_assessment(
            actor,
            case_id,
            instrument="sara",
            ratings=rated("sara"),
            assessed_on=TODAY,
            level="high",
            next_review_on=None,
            notes=NOTES,
        ),
        "handle": lambda actor: clinical.handle_urgent_task(
            actor, case_id, task_id, handling=HANDLING
        ),
        "child": lambda actor: clinical.record_child(actor, case_id, details),
        "child_update": lambda actor: clinical.update_child(actor, case_id, child_id, details),
        "plan": lambda actor: clinical.save_safety_plan(
            actor, case_id, child_id=None, content=PLAN
        ),
        "child_plan": lambda actor: clinical.save_safety_plan(
            actor, case_id, child_id=child_id, content=PLAN
        ),
        "report": lambda actor: clinical.record_concern_report(
            actor, case_id, reported_on=TODAY, board=BOARD, reason="neglect", child_id=None
        ),
    }


def _snapshot() -> tuple:
    return (
        _count(RiskAssessment),
        _count(UrgentTask),
        db.session.scalar(select(func.count()).where(UrgentTask.handled_at.is_not(None))),
        _count(Child),
        [(c.label, c.age) for c in db.session.scalars(select(Child))],
        _count(SafetyPlan),
        _count(ConcernReport),
    )


@pytest.mark.parametrize("who", ["other_partner_treater", "client_treater", "manager", "admin"])
def test_only_the_holder_writes(factory: Factory, held: HandedOver, who: str) -> None:
    holder = held.partner_treater.user
    _assess(holder, held.case.id, level="high")
    task = db.session.scalar(select(UrgentTask))
    child = _child(holder, held.case.id)
    actor = {
        "other_partner_treater": lambda: factory.partner_treater().user,
        "client_treater": lambda: held.client_treater.user,
        "manager": lambda: factory.manager().user,
        "admin": lambda: factory.admin().user,
    }[who]()
    before = _snapshot()
    for name, write in _writers(held.case.id, child.id, task.id).items():
        with pytest.raises(NotFound):
            write(actor)
        db.session.rollback()
        assert _snapshot() == before, name


def test_nothing_is_recorded_on_a_case_nobody_holds(handed_over: HandedOver) -> None:
    treater = handed_over.partner_treater.user
    for name, write in _writers(handed_over.case.id, uuid.uuid4(), uuid.uuid4()).items():
        with pytest.raises(Conflict):
            write(treater)
        db.session.rollback()
        assert _snapshot() == (0, 0, 0, 0, [], 0, 0), name


def test_a_partner_treater_of_another_clinic_finds_nothing(
    factory: Factory, held: HandedOver
) -> None:
    stranger = factory.partner_treater(clinic=factory.clinic()).user
    for write in _writers(held.case.id, uuid.uuid4(), uuid.uuid4()).values():
        with pytest.raises(NotFound):
            write(stranger)
        db.session.rollback()
    assert _count(RiskAssessment) == 0


# --- sealed text ------------------------------------------------------------------------------


def _raw(table: str, column: str) -> list[bytes]:
    rows = db.session.execute(text(f"SELECT {column} FROM {table}")).scalars()
    return [bytes(value) for value in rows if value is not None]


def test_sealed_text_is_not_in_the_database_in_clear_nor_in_the_audit_log(
    factory: Factory, held: HandedOver
) -> None:
    treater = held.partner_treater.user
    _manager_gets_tasks(factory)
    _assess(treater, held.case.id, level="high")
    child = _child(treater, held.case.id)
    clinical.save_safety_plan(treater, held.case.id, child_id=child.id, content=PLAN)
    _report(treater, held.case.id, child_id=child.id)
    task = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "partner_treater"))
    clinical.handle_urgent_task(treater, held.case.id, task.id, handling=HANDLING)
    [row] = clinical.open_manager_tasks(factory.manager().user)
    clinical.handle_manager_task(factory.manager().user, row.id, handling=f"Chef: {HANDLING}")
    db.session.commit()

    sealed = {
        ("risk_assessment", "notes_ct"): NOTES,
        ("urgent_task", "handling_ct"): HANDLING,
        ("child", "label_ct"): LABEL,
        ("safety_plan", "content_ct"): PLAN,
    }
    for (table, column), plain in sealed.items():
        values = _raw(table, column)
        assert values, table
        for value in values:
            if not value:
                continue
            assert plain.encode() not in value, table
            for word in plain.split():
                if len(word) > 3:
                    assert word.encode() not in value, (table, word)
    # Readable again through the models, under the case's key.
    assert db.session.scalar(select(Child)).label == LABEL

    secrets = [NOTES, HANDLING, PLAN, BOARD, "Lindvik", "kniv", "Maja"]
    for event in db.session.scalars(select(AuditEvent)):
        shown = repr(vars(event))
        for secret in secrets:
            assert secret not in shown, (event.action, secret)
