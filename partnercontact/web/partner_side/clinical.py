"""The partner-contact treater's clinical records: risk assessments, urgent tasks, children,
safety plans and concern reports. Each kind has a section on the case page and a form page of
its own; the rules live in :mod:`partnercontact.partner_side.clinical`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from partnercontact.assessments.instruments import INSTRUMENTS, present_count, rated_sections
from partnercontact.auth.models import User
from partnercontact.clinics import clock
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import clinical
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase, RiskAssessment
from partnercontact.partner_side.vocabulary import CONCERN_REASONS, RISK_LEVELS
from partnercontact.partner_side.vocabulary import INSTRUMENTS as INSTRUMENT_LABELS
from partnercontact.policy import Permission, requires
from partnercontact.web.assessment_forms import assessment_form, instrument_asked
from partnercontact.web.partner_side.pages import case_form, choices, form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp


@bp.context_processor
def _clinical_labels() -> dict[str, object]:
    return {
        "instrument_labels": INSTRUMENT_LABELS,
        "risk_level_labels": RISK_LEVELS,
        "concern_reason_labels": CONCERN_REASONS,
        "present_count": present_count,
        # Timestamps are stored in UTC; pages show the date where the clinic is.
        "clinic_date": lambda moment: clock.local_date(moment, current_user.clinic),
    }


# --- forms: they parse; the service decides -------------------------------------------------


class HandlingForm(FlaskForm):
    handling = TextAreaField(_l("How the task was handled"))


class ChildForm(FlaskForm):
    label = StringField(_l("Initials or first name"))
    age = IntegerField(_l("Age"), validators=[Optional()])
    lives_with_client = BooleanField(_l("Lives with the client"))
    regular_contact_with_client = BooleanField(_l("Has regular contact with the client"))


class SafetyPlanForm(FlaskForm):
    content = TextAreaField(_l("Safety plan"))


class ConcernReportForm(FlaskForm):
    reported_on = DateField(_l("Date the report was made"), validators=[Optional()])
    board = StringField(_l("Social welfare board"))
    reason = SelectField(
        _l("Reason"),
        choices=choices(CONCERN_REASONS),
    )
    # Default "" (no particular child) when the field is not sent at all.
    child_id = SelectField(_l("Child (optional)"), default="")


# --- helpers ---------------------------------------------------------------------------------


def _held_case(case_id: uuid.UUID) -> PartnerCase:
    """The case, to build a form from, for its holder only. Not audited itself: every path
    that shows or changes anything goes on to :func:`_page` or a service, which audit."""
    return partners.held_case_for(current_user, case_id, audited=False)


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    """The child chosen in a select ('' for none). A value that is not a UUID never names a
    child: it becomes one that matches none, and the service refuses it."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


def _today() -> date:
    return clock.clinic_today(current_user.clinic)


# --- risk assessments ---------------------------------------------------------------------------

RISK_TEMPLATE = "partner_side/clinical/risk_new.html"
ALL_INSTRUMENTS = tuple(INSTRUMENTS)


@bp.route("/cases/<uuid:case_id>/risk-assessments/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def record_risk_assessment(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """First the instrument (in the address, ``?instrument=``), then its items."""
    asked = instrument_asked(ALL_INSTRUMENTS)
    if asked.instrument is None:
        return form_page(RISK_TEMPLATE, asked.choice, case_id, asked.status, choice=asked.choice)
    instrument = asked.instrument
    form = assessment_form(instrument)

    def save() -> RiskAssessment:
        return clinical.record_risk_assessment(
            current_user,
            case_id,
            instrument=instrument.key,
            assessed_on=form.assessed_on.data,
            ratings=form.ratings(),
            level=form.level.data or "",
            next_review_on=form.next_review_on.data,
            notes=form.notes.data,
        )

    high = form.is_submitted() and form.level.data == clinical.HIGH
    return case_form(
        RISK_TEMPLATE,
        form,
        case_id,
        save,
        done=_("The risk assessment was recorded. The high risk opened an urgent task.")
        if high
        else _("The risk assessment was recorded."),
        anchor="urgent" if high else "risk",
        today_field="assessed_on",
        choice=None,
    )


@bp.route("/cases/<uuid:case_id>/risk-assessments/<uuid:assessment_id>")
@requires(Permission.PARTNER_CASES_WORK)
def risk_assessment(case_id: uuid.UUID, assessment_id: uuid.UUID) -> str:
    partner_case = partners.held_case_for(current_user, case_id)
    assessment = clinical.risk_assessment_of_case(current_user, partner_case, assessment_id)
    page = render_template(
        "partner_side/clinical/risk_view.html",
        case=partner_case,
        reference=partners.reference_of(partner_case),
        assessment=assessment,
        sections=rated_sections(
            assessment.instrument, assessment.instrument_version, assessment.ratings
        ),
    )
    db.session.commit()
    return page


@case_section(
    "risk",
    order=60,
    template="partner_side/sections/risk.html",
    view="safety",
    anchors=("risk-review-overdue",),
)
def _risk(actor: User, partner_case: PartnerCase) -> clinical.RiskOverview:
    return clinical.risk_overview(actor, partner_case)


# --- urgent tasks ------------------------------------------------------------------------------

HANDLE_TEMPLATE = "partner_side/clinical/urgent_handle.html"


@bp.route("/cases/<uuid:case_id>/urgent/<uuid:task_id>/handle", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def handle_urgent_task(case_id: uuid.UUID, task_id: uuid.UUID) -> Response | tuple[str, int]:
    form = HandlingForm()
    task = clinical.urgent_task_of_case(current_user, _held_case(case_id), task_id)
    if not form.is_submitted():
        return form_page(HANDLE_TEMPLATE, form, case_id, task=task)
    if not form.validate():
        return form_page(HANDLE_TEMPLATE, form, case_id, 400, task=task)
    try:
        clinical.handle_urgent_task(current_user, case_id, task_id, handling=form.handling.data)
    except DomainError as exc:
        return form_refused(HANDLE_TEMPLATE, form, case_id, exc, task=task)
    return back_to_case(case_id, _("The urgent task was marked as handled."), "urgent")


@case_section("urgent", order=65, template="partner_side/sections/urgent.html", view="now")
def _urgent(actor: User, partner_case: PartnerCase) -> list[clinical.CaseTask]:
    return clinical.urgent_tasks_of_case(actor, partner_case)


# --- children --------------------------------------------------------------------------------

CHILD_TEMPLATE = "partner_side/clinical/child_form.html"


def _child_details(form: ChildForm) -> clinical.ChildDetails:
    return clinical.ChildDetails(
        label=form.label.data,
        age=form.age.data,
        lives_with_client=bool(form.lives_with_client.data),
        regular_contact_with_client=bool(form.regular_contact_with_client.data),
    )


@bp.route("/cases/<uuid:case_id>/children/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def record_child(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ChildForm()
    if not form.is_submitted():
        return form_page(CHILD_TEMPLATE, form, case_id, child=None)
    if not form.validate():
        return form_page(CHILD_TEMPLATE, form, case_id, 400, child=None)
    try:
        clinical.record_child(current_user, case_id, _child_details(form))
    except DomainError as exc:
        return form_refused(CHILD_TEMPLATE, form, case_id, exc, child=None)
    return back_to_case(case_id, _("The child was recorded."), "children")


@bp.route("/cases/<uuid:case_id>/children/<uuid:child_id>/edit", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def edit_child(case_id: uuid.UUID, child_id: uuid.UUID) -> Response | tuple[str, int]:
    child = clinical.child_of_case(current_user, _held_case(case_id), child_id)
    # On GET the form shows what is recorded; on POST what was typed.
    form = ChildForm(obj=child)
    if not form.is_submitted():
        return form_page(CHILD_TEMPLATE, form, case_id, child=child)
    if not form.validate():
        return form_page(CHILD_TEMPLATE, form, case_id, 400, child=child)
    try:
        clinical.update_child(current_user, case_id, child_id, _child_details(form))
    except DomainError as exc:
        return form_refused(CHILD_TEMPLATE, form, case_id, exc, child=child)
    return back_to_case(case_id, _("The child's details were updated."), "children")


@case_section("children", order=70, template="partner_side/sections/children.html", view="safety")
def _children(actor: User, partner_case: PartnerCase) -> list[Any]:
    return clinical.children_of(actor, partner_case)


# --- safety plans ------------------------------------------------------------------------------

PLAN_TEMPLATE = "partner_side/clinical/safety_plan_form.html"
PLAN_VERSION_TEMPLATE = "partner_side/clinical/safety_plan_version.html"


def _safety_plan(case_id: uuid.UUID, child_id: uuid.UUID | None) -> Response | tuple[str, int]:
    form = SafetyPlanForm()
    partner_case = _held_case(case_id)
    child = clinical.child_of_case(current_user, partner_case, child_id) if child_id else None
    current = clinical.current_safety_plan(current_user, partner_case, child_id)
    extra: dict[str, Any] = {"child": child, "current": current}
    if not form.is_submitted():
        form.content.data = current.content if current is not None else ""
        return form_page(PLAN_TEMPLATE, form, case_id, **extra)
    if not form.validate():
        return form_page(PLAN_TEMPLATE, form, case_id, 400, **extra)
    try:
        clinical.save_safety_plan(
            current_user, case_id, child_id=child_id, content=form.content.data
        )
    except DomainError as exc:
        return form_refused(PLAN_TEMPLATE, form, case_id, exc, **extra)
    return back_to_case(case_id, _("A new version of the safety plan was saved."), "safety_plans")


@bp.route("/cases/<uuid:case_id>/safety-plan", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def partner_safety_plan(case_id: uuid.UUID) -> Response | tuple[str, int]:
    return _safety_plan(case_id, None)


@bp.route("/cases/<uuid:case_id>/children/<uuid:child_id>/safety-plan", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def child_safety_plan(case_id: uuid.UUID, child_id: uuid.UUID) -> Response | tuple[str, int]:
    return _safety_plan(case_id, child_id)


@bp.route("/cases/<uuid:case_id>/safety-plans/<uuid:plan_id>")
@requires(Permission.PARTNER_CASES_WORK)
def safety_plan_version(case_id: uuid.UUID, plan_id: uuid.UUID) -> str:
    partner_case = partners.held_case_for(current_user, case_id)
    plan = clinical.safety_plan_version(current_user, partner_case, plan_id)
    child = (
        clinical.child_of_case(current_user, partner_case, plan.child_id) if plan.child_id else None
    )
    page = render_template(
        PLAN_VERSION_TEMPLATE,
        case=partner_case,
        reference=partners.reference_of(partner_case),
        plan=plan,
        child=child,
    )
    db.session.commit()  # the audit entry of the read
    return page


@case_section(
    "safety_plans", order=80, template="partner_side/sections/safety_plans.html", view="safety"
)
def _safety_plans(actor: User, partner_case: PartnerCase) -> list[clinical.PlanHistory]:
    return clinical.safety_plans(actor, partner_case)


# --- concern reports -----------------------------------------------------------------------------

CONCERN_TEMPLATE = "partner_side/clinical/concern_new.html"


@bp.route("/cases/<uuid:case_id>/concern-reports/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def record_concern_report(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ConcernReportForm()
    partner_case = _held_case(case_id)
    form.child_id.choices = [
        SelectChoice("", _l("No particular child")),
        *(
            SelectChoice(str(child.id), child.label or "")
            for child in clinical.children_of(current_user, partner_case)
        ),
    ]
    if not form.is_submitted():
        form.reported_on.data = _today()
        return form_page(CONCERN_TEMPLATE, form, case_id)
    if not form.validate():
        return form_page(CONCERN_TEMPLATE, form, case_id, 400)
    try:
        clinical.record_concern_report(
            current_user,
            case_id,
            reported_on=form.reported_on.data,
            board=form.board.data,
            reason=form.reason.data or "",
            child_id=_uuid_or_none(form.child_id.data),
        )
    except DomainError as exc:
        return form_refused(CONCERN_TEMPLATE, form, case_id, exc)
    return back_to_case(case_id, _("The concern report was recorded."), "concerns")


@case_section("concerns", order=90, template="partner_side/sections/concerns.html", view="safety")
def _concerns(actor: User, partner_case: PartnerCase) -> list[clinical.ConcernReportEntry]:
    return clinical.concern_reports(actor, partner_case)
