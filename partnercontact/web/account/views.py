"""The user's own account: password and second factor."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from partnercontact.auth import service as accounts
from partnercontact.auth.errors import AccountInvalid
from partnercontact.auth.sessions import current_session
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.web.account.forms import PasswordChangeForm, RecoveryCodesForm
from partnercontact.web.form_errors import show_on_form

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")


@bp.route("/")
@requires(Permission.ACCOUNT_MANAGE_OWN)
def overview() -> str:
    return _overview()


def _overview(**forms: object) -> str:
    forms.setdefault("form", PasswordChangeForm())
    forms.setdefault("codes_form", RecoveryCodesForm())
    return render_template(
        "account/overview.html",
        unused_codes=accounts.unused_recovery_codes(current_user),
        **forms,
    )


@bp.route("/password", methods=["POST"])
@requires(Permission.ACCOUNT_MANAGE_OWN)
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate():
        return _overview(form=form), 400
    try:
        accounts.change_password(
            current_user,
            current=form.current_password.data or "",
            new=form.new_password.data or "",
            repeat=form.repeat_password.data or "",
        )
    except AccountInvalid as exc:
        db.session.commit()  # keeps the audit entry of a refused attempt
        error = show_on_form(form, exc)
        return _overview(form=form, error=error), 400
    db.session.commit()
    # Every session of the user, this one included, has ended: log in again.
    logout_user()
    current_session().end()
    return redirect(url_for("public.login", logged_out=1))


@bp.route("/recovery-codes", methods=["POST"])
@requires(Permission.ACCOUNT_MANAGE_OWN)
def recovery_codes() -> tuple[str, int] | str:
    """New recovery codes, after the password again; shown in this one response only."""
    form = RecoveryCodesForm()
    if not form.validate():
        return _overview(codes_form=form), 400
    try:
        codes = accounts.regenerate_recovery_codes(current_user, password=form.password.data or "")
    except AccountInvalid as exc:
        db.session.commit()  # keeps the audit entry of a refused attempt
        show_on_form(form, exc)
        return _overview(codes_form=form), 400
    db.session.commit()
    return render_template("recovery_codes.html", codes=codes, onward=url_for("account.overview"))
