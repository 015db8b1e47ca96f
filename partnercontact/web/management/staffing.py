"""Moving a client or a partner case to another treater, the list of those whose treater
cannot act (on the managers' task page), and a colleague's cover of an absent treater. A
manager sees references, treaters' names and dates; the services select nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from partnercontact.auth.models import User
from partnercontact.client_side.cases import reassignment as clients
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import reassignment as cases
from partnercontact.policy import Permission, requires
from partnercontact.staffing import cover as covers
from partnercontact.staffing.models import COVER_REASONS, REASSIGNMENT_REASONS
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp

MOVE_TEMPLATE = "management/move.html"


class MoveForm(FlaskForm):
    # The services check both choices and name the field in their own words.
    to_user_id = SelectField(_l("Move to"), validate_choice=False)
    reason = RadioField(
        _l("Why"),
        choices=[SelectChoice(key, label) for key, label in REASSIGNMENT_REASONS.items()],
        validate_choice=False,
    )


def _move_form(treaters: list[User]) -> MoveForm:
    form = MoveForm()
    form.to_user_id.choices = [
        SelectChoice("", _l("Choose…")),
        *(SelectChoice(str(user.id), user.display_name) for user in treaters),
    ]
    return form


def _user_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _move(
    form: MoveForm,
    subject: dict[str, Any],
    move: Callable[[int | None, str | None], object],
    done: str,
) -> Response | tuple[str, int]:
    """The round trip of a move: the form, then the move, a refusal back on its field."""
    if not form.is_submitted():
        page = render_template(MOVE_TEMPLATE, form=form, **subject)
        db.session.commit()
        return page, 200
    try:
        move(_user_id(form.to_user_id.data), form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return render_template(MOVE_TEMPLATE, form=form, error=error, **subject), exc.status
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("management.tasks", _anchor="waiting-for-a-treater"))


@bp.route("/partner-cases/<uuid:case_id>/move", methods=["GET", "POST"])
@requires(Permission.CASES_REASSIGN)
def move_partner_case(case_id: uuid.UUID) -> Response | tuple[str, int]:
    shown = cases.case_to_move(current_user, case_id)
    return _move(
        _move_form(shown.treaters),
        {"reference": shown.reference, "holder": shown.holder_name, "side": "partner"},
        lambda to, why: cases.reassign_case(current_user, case_id, to_user_id=to, reason=why),
        _("The partner case was moved. Its new treater finds it on their list."),
    )


@bp.route("/clients/<uuid:client_id>/move", methods=["GET", "POST"])
@requires(Permission.CASES_REASSIGN)
def move_client(client_id: uuid.UUID) -> Response | tuple[str, int]:
    shown = clients.client_to_move(current_user, client_id)
    return _move(
        _move_form(shown.treaters),
        {"reference": shown.reference, "holder": shown.treater_name, "side": "client"},
        lambda to, why: clients.reassign_client(current_user, client_id, to_user_id=to, reason=why),
        _("The client was moved. His new treater finds him on their list."),
    )


class FindForm(FlaskForm):
    """Sent by GET: the reference is in the address."""

    class Meta:
        csrf = False

    reference = StringField(_l("Reference"))


@bp.route("/move")
@requires(Permission.CASES_REASSIGN)
def find_to_move() -> Response | tuple[str, int]:
    """Any client or partner case of the clinic, found by the reference the pages show, to
    move for another reason than a treater who cannot act (sharing out the workload)."""
    form = FindForm(request.args)
    reference = (form.reference.data or "").strip().lower()
    case_id = cases.case_by_reference(current_user, reference) if reference else None
    if case_id is not None:
        return redirect(url_for("management.move_partner_case", case_id=case_id))
    client_id = clients.client_by_reference(current_user, reference) if reference else None
    if client_id is not None:
        return redirect(url_for("management.move_client", client_id=client_id))
    if reference:
        form.reference.errors = [_("No client or partner case of the clinic has that reference.")]
    page = render_template("management/find_to_move.html", form=form)
    db.session.commit()
    return page, 400 if reference else 200


def waiting_for_a_treater() -> dict[str, object]:
    """For the managers' task page: the cases and clients whose treater cannot act."""
    return {
        "waiting_cases": cases.cases_without_an_active_holder(current_user),
        "waiting_clients": clients.clients_without_an_active_treater(current_user),
    }


class CoverForm(FlaskForm):
    # The service checks every choice and date and names the field in its own words.
    absent_user_id = SelectField(_l("Treater who is away"), validate_choice=False)
    cover_user_id = SelectField(_l("Colleague who covers"), validate_choice=False)
    starts_on = DateField(_l("First day"))
    ends_on = DateField(_l("Last day"))
    reason = RadioField(
        _l("Why"),
        choices=[SelectChoice(key, label) for key, label in COVER_REASONS.items()],
        validate_choice=False,
    )


def _cover_form() -> CoverForm:
    form = CoverForm()
    treaters = [
        SelectChoice("", _l("Choose…")),
        *(
            SelectChoice(str(user.id), user.display_name)
            for user in covers.active_treaters(current_user)
        ),
    ]
    form.absent_user_id.choices = treaters
    form.cover_user_id.choices = treaters
    return form


def _covers_page(form: CoverForm, error: str | None = None) -> str:
    return render_template(
        "management/covers.html",
        form=form,
        error=error,
        covers=covers.covers_of_clinic(current_user),
        reasons=COVER_REASONS,
    )


@bp.route("/covers", methods=["GET", "POST"])
@requires(Permission.CASES_REASSIGN)
def covers_page() -> Response | tuple[str, int]:
    """The clinic's covers in force or to come, and the form to grant one."""
    form = _cover_form()
    if not form.is_submitted():
        page = _covers_page(form)
        db.session.commit()
        return page, 200
    try:
        if form.starts_on.raw_data and form.starts_on.raw_data[0] and form.starts_on.data is None:
            raise covers.CoverInvalid(_l("Write the first day as YYYY-MM-DD."), field="starts_on")
        if form.ends_on.raw_data and form.ends_on.raw_data[0] and form.ends_on.data is None:
            raise covers.CoverInvalid(_l("Write the last day as YYYY-MM-DD."), field="ends_on")
        covers.grant_cover(
            current_user,
            absent_user_id=_user_id(form.absent_user_id.data),
            cover_user_id=_user_id(form.cover_user_id.data),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            reason=form.reason.data,
        )
    except DomainError as exc:
        db.session.rollback()
        # The date fields' own parse errors are replaced by the service's words.
        form.starts_on.errors, form.ends_on.errors = [], []
        error = show_on_form(form, exc)
        return _covers_page(form, error), exc.status
    db.session.commit()
    flash(
        _("The cover was granted. The colleague sees the cases on their lists on its first day."),
        "success",
    )
    return redirect(url_for("management.covers_page"))


class EndCoverForm(FlaskForm):
    pass


@bp.route("/covers/<uuid:cover_id>/end", methods=["GET", "POST"])
@requires(Permission.CASES_REASSIGN)
def end_cover(cover_id: uuid.UUID) -> Response | tuple[str, int]:
    """Ask first, then end the cover now."""
    shown = next((c for c in covers.covers_of_clinic(current_user) if c.id == cover_id), None)
    if shown is None:
        raise covers.CoverNotFound(_l("There is no such cover in your clinic."), field="cover")
    form = EndCoverForm()
    if not form.validate_on_submit():
        page = render_template(
            "management/cover_end.html", form=form, cover=shown, reasons=COVER_REASONS
        )
        db.session.commit()
        return page, 200 if not form.is_submitted() else 400
    covers.end_cover(current_user, cover_id)
    db.session.commit()
    flash(_("The cover has ended. The cases are their treater's alone again."), "success")
    return redirect(url_for("management.covers_page"))
