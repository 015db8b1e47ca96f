"""Her pages: log in with codename and passphrase, redeem an invitation, the start page,
close her access, the quick exit, and staying safe online. No id of her case, and never her
codename, appears in an address."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_access
from partnercontact.portal import sessions
from partnercontact.portal.addresses import client_address
from partnercontact.runtime import current_runtime

bp = Blueprint("portal", __name__)


class LoginForm(FlaskForm):
    codename = StringField(
        _l("Codename"),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    passphrase = PasswordField(_l("Passphrase"), render_kw={"autocomplete": "off"})


class InvitationForm(FlaskForm):
    code = StringField(
        _l("Invitation code"), render_kw={"autocomplete": "off", "inputmode": "numeric"}
    )
    passphrase = PasswordField(_l("Choose a passphrase"), render_kw={"autocomplete": "off"})
    again = PasswordField(_l("The passphrase again"), render_kw={"autocomplete": "off"})


class ConfirmForm(FlaskForm):
    """Nothing but the form token: the confirmation of an act that cannot be undone."""


def _refused(form: FlaskForm, exc: DomainError) -> str | None:
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
        return None
    return str(exc.message)


@bp.route("/", methods=["GET", "POST"])
def log_in() -> Response | tuple[str, int]:
    if sessions.current() is not None:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if not form.is_submitted():
        return render_template("portal/login.html", form=form), 200
    if not form.validate():
        return render_template("portal/login.html", form=form), 400
    try:
        identity = portal_access.log_in(
            form.codename.data or "", form.passphrase.data or "", address=client_address()
        )
    except DomainError as exc:
        # A failed login is counted and audited: that stays whatever she types next.
        db.session.commit()
        form.passphrase.data = ""
        error = _refused(form, exc)
        return render_template("portal/login.html", form=form, error=error), exc.status
    sessions.start(identity)
    db.session.commit()
    return redirect(url_for("portal.home"))


@bp.route("/invitation", methods=["GET", "POST"])
def redeem() -> Response | tuple[str, int]:
    form = InvitationForm()
    if not form.is_submitted():
        return render_template("portal/invitation.html", form=form), 200
    if not form.validate():
        return render_template("portal/invitation.html", form=form), 400
    if (form.passphrase.data or "") != (form.again.data or ""):
        form.again.errors = [_("The two passphrases differ: type the same one twice.")]
        return render_template("portal/invitation.html", form=form), 400
    try:
        codename = portal_access.redeem(
            form.code.data or "", form.passphrase.data or "", address=client_address()
        )
        identity = portal_access.log_in(
            codename, form.passphrase.data or "", address=client_address()
        )
    except DomainError as exc:
        db.session.commit()
        error = _refused(form, exc)
        return render_template("portal/invitation.html", form=form, error=error), exc.status
    sessions.start(identity)
    db.session.commit()
    # Shown once, on this answer only: never in an address, never again.
    return render_template("portal/codename.html", codename=codename), 200


@bp.route("/start")
def home() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    return render_template("portal/home.html", form=ConfirmForm()), 200


@bp.route("/close", methods=["GET", "POST"])
def close() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = ConfirmForm()
    if not form.is_submitted():
        return render_template("portal/close.html", form=form), 200
    if not form.validate():
        return render_template("portal/close.html", form=form), 400
    portal_access.close(identity)
    sessions.end()
    db.session.commit()
    return render_template("portal/closed.html"), 200


@bp.route("/exit", methods=["GET", "POST"])
def quick_exit() -> Response:
    sessions.end()
    db.session.commit()
    response = redirect(current_runtime().config.portal.exit_url, code=303)
    # Whatever this site stored in her browser goes too.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/staying-safe")
def staying_safe() -> tuple[str, int]:
    return render_template("portal/staying_safe.html"), 200


@bp.app_errorhandler(404)
def not_found(_: Exception) -> tuple[str, int]:
    return render_template("portal/not_found.html"), 404
