"""Administration: accounts and clinic settings. Administrators never open cases."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.auth import service as accounts
from partnercontact.auth.errors import AccountInvalid
from partnercontact.auth.models import User
from partnercontact.clinics import service as clinics
from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.web.admin.forms import (
    ClinicSettingsForm,
    ConfirmForm,
    RoleChangeForm,
    UserCreateForm,
)
from partnercontact.web.form_errors import show_on_form

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

SETTINGS_FIELDS = (
    "name",
    "neutral_sender_name",
    "letterhead",
    "postal_address",
    "phone",
    "letter_signatory",
    "timezone",
    "verbal_consent_allowed",
    "urgent_tasks_to_manager",
    "contact_attempts_required",
    "contact_attempt_window_days",
    "missed_sessions_to_relay",
    "risk_signal_urgent_hours",
    "risk_signal_soon_hours",
    "relay_task_hours",
    "urgent_task_hours",
    "treater_absent_days",
    "small_count_threshold",
    # The contact plan and reminders (scheduling.plan, scheduling.sessions).
    "plan_first_contact_days",
    "plan_letter_follow_up_days",
    "plan_session_count",
    "plan_session_interval_weeks",
    "plan_closing_session",
    "plan_follow_up_months",
    "reminder_days_before",
    "reminder_time",
    "first_contact_days",
    "first_contact_from",
    "first_contact_until",
    "duplicate_message_minutes",
    "portal_message_days",
)


def _user_or_404(user_id: int) -> User:
    user = accounts.user_in_clinic(current_user, user_id)
    if user is None:
        abort(404)
    return user


def _users_page(form: UserCreateForm, status: int = 200, error: str | None = None):
    page = render_template(
        "admin/users.html", users=accounts.users_of_clinic(current_user), form=form, error=error
    )
    return page, status


@bp.route("/users")
@requires(Permission.USERS_MANAGE)
def users() -> tuple[str, int]:
    return _users_page(UserCreateForm())


@bp.route("/users", methods=["POST"])
@requires(Permission.USERS_MANAGE)
def create_user() -> Response | tuple[str, int]:
    form = UserCreateForm()
    if not form.validate():
        return _users_page(form, 400)
    try:
        user = accounts.create_user(
            current_user,
            current_user.clinic,
            username=form.username.data or "",
            display_name=form.display_name.data or "",
            role=form.role.data or "",
            password=form.password.data or "",
            must_change_password=True,
        )
    except DomainError as exc:
        db.session.rollback()
        return _users_page(form, exc.status, show_on_form(form, exc))
    db.session.commit()
    flash(_("The account %(username)s was created.", username=user.username), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>")
@requires(Permission.USERS_MANAGE)
def user_detail(user_id: int) -> str:
    return render_template("admin/user.html", user=_user_or_404(user_id))


ACTIONS = {
    "disable": accounts.disable_user,
    "reset-second-factor": accounts.reset_second_factor,
    "reset-password": accounts.reset_password,
    "unlock": accounts.unlock_user,
    "reactivate": accounts.reactivate_user,
}
DONE = {
    "disable": _l("The account was disabled."),
    "reset-second-factor": _l(
        "The second factor was reset. The user sets up a new one at next login."
    ),
    "unlock": _l("The account was unlocked. The user can log in again."),
    "reactivate": _l("The account was reactivated. The user logs in with their password."),
}
STATUS_LABELS = {
    accounts.ACTIVE: _l("Active"),
    accounts.DISABLED: _l("Disabled"),
    accounts.LOCKED: _l("Locked after failed logins"),
    accounts.NEVER_LOGGED_IN: _l("Never logged in"),
}


@bp.context_processor
def _account_labels() -> dict[str, object]:
    return {
        "account_status": accounts.account_status,
        "status_labels": STATUS_LABELS,
    }


@bp.route(
    "/users/<int:user_id>/<any(disable, 'reset-second-factor', 'reset-password', unlock,"
    " reactivate):action>",
    methods=["GET", "POST"],
)
@requires(Permission.USERS_MANAGE)
def user_action(user_id: int, action: str) -> Response | str | tuple[str, int]:
    """Show a confirmation (GET), then act (POST). GET never changes anything."""
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        try:
            result = ACTIONS[action](current_user, user)
        except AccountInvalid as exc:
            db.session.rollback()
            return render_template(
                "admin/confirm.html", user=user, action=action, form=form, error=str(exc.message)
            ), 400
        db.session.commit()
        if action == "reset-password":
            # The new password is in this one response only (which no cache keeps), never in
            # a flash message: those are stored with the session until shown.
            return render_template("admin/one_time_password.html", user=user, password=result)
        flash(str(DONE[action]), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/confirm.html", user=user, action=action, form=form)


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def change_role(user_id: int) -> Response | str | tuple[str, int]:
    """Choose the new role and confirm (GET shows the form), then change it (POST)."""
    user = _user_or_404(user_id)
    form = RoleChangeForm(data={"role": user.role})
    if request.method == "POST":
        if not form.validate():
            return render_template("admin/role.html", user=user, form=form), 400
        try:
            accounts.change_role(current_user, user, form.role.data or "")
        except AccountInvalid as exc:
            db.session.rollback()
            error = show_on_form(form, exc)
            return render_template("admin/role.html", user=user, form=form, error=error), 400
        db.session.commit()
        flash(_("The role was changed. The user logs in again."), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/role.html", user=user, form=form)


@bp.route("/clinic", methods=["GET", "POST"])
@requires(Permission.CLINIC_SETTINGS_EDIT)
def clinic_settings() -> Response | str | tuple[str, int]:
    clinic = current_user.clinic
    form = ClinicSettingsForm(obj=clinic)
    if request.method == "POST":
        if not form.validate():
            return render_template("admin/clinic.html", form=form), 400
        values = {name: form[name].data for name in SETTINGS_FIELDS}
        try:
            clinics.update_settings(current_user, clinic, values)
        except ClinicSettingsInvalid as exc:
            db.session.rollback()
            error = show_on_form(form, exc)
            return render_template("admin/clinic.html", form=form, error=error), 400
        db.session.commit()
        flash(_("The settings were saved."), "success")
        return redirect(url_for("admin.clinic_settings"))
    return render_template("admin/clinic.html", form=form)
