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
from partnercontact.web.account.forms import PasswordChangeForm
from partnercontact.web.form_errors import show_on_form

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")


@bp.route("/")
@requires(Permission.ACCOUNT_MANAGE_OWN)
def overview() -> str:
    return render_template("account/overview.html", form=PasswordChangeForm())


@bp.route("/password", methods=["POST"])
@requires(Permission.ACCOUNT_MANAGE_OWN)
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate():
        return render_template("account/overview.html", form=form), 400
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
        return render_template("account/overview.html", form=form, error=error), 400
    db.session.commit()
    # Every session of the user, this one included, has ended: log in again.
    logout_user()
    current_session().end()
    return redirect(url_for("public.login", logged_out=1))
