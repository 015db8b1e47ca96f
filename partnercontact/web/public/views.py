"""Pages reachable without logging in: login in its steps, language, health."""

from __future__ import annotations

from datetime import datetime, timedelta

import segno
from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth import service as accounts
from partnercontact.auth.errors import LoginFailed, SecondFactorFailed
from partnercontact.auth.models import User
from partnercontact.auth.sessions import current_session, end_sessions_of_user
from partnercontact.db import db
from partnercontact.policy import public
from partnercontact.runtime import current_runtime
from partnercontact.web.navigation import landing_url
from partnercontact.web.public.forms import CodeForm, LanguageForm, LoginCodeForm, LoginForm
from partnercontact.web.safety import safe_next

bp = Blueprint("public", __name__, template_folder="templates")

# How long the step between password and code may take before it starts over.
PENDING_LIFETIME = timedelta(minutes=5)
STAGE_CODE = "code"
STAGE_ENROL = "enrol"


def _start_pending(user: User, stage: str, next_url: str | None) -> None:
    session["pending"] = {
        "user_id": user.id,
        "stage": stage,
        "since": current_runtime().clock.now().isoformat(),
        "next": next_url,
    }


def _pending_user(stage: str) -> User | None:
    pending = session.get("pending")
    if not pending or pending.get("stage") != stage:
        return None
    since = datetime.fromisoformat(pending["since"])
    if since + PENDING_LIFETIME < current_runtime().clock.now():
        session.pop("pending", None)
        return None
    user = db.session.scalar(select(User).where(User.id == pending["user_id"]))
    if user is None or not user.is_active:
        session.pop("pending", None)
        return None
    return user


def _log_in(user: User) -> str:
    """Log ``user`` in; returns where they were going."""
    next_url = (session.get("pending") or {}).get("next")
    locale = session.get("locale")
    # A fresh session id at login: a session id planted before login is worthless after it.
    current_session().regenerate()
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)
    accounts.complete_login(user)
    db.session.commit()
    return safe_next(next_url) or landing_url(user)


def _finish_login(user: User) -> Response:
    return redirect(_log_in(user))


@bp.route("/")
@public
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("public.login"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("public/login.html", form=form), 400
        try:
            user = accounts.check_password(form.username.data or "", form.password.data or "")
        except LoginFailed as exc:
            db.session.commit()
            form.password.data = ""
            return render_template("public/login.html", form=form, error=exc.message), 401
        next_url = safe_next(request.args.get("next"))
        if user.has_second_factor:
            _start_pending(user, STAGE_CODE, next_url)
            db.session.commit()
            return redirect(url_for("public.login_code"))
        if accounts.requires_second_factor(user):
            accounts.begin_enrolment(user)
            _start_pending(user, STAGE_ENROL, next_url)
            db.session.commit()
            return redirect(url_for("public.login_enrol"))
        session["pending"] = {"next": next_url}
        return _finish_login(user)
    return render_template(
        "public/login.html", form=form, logged_out=request.args.get("logged_out") == "1"
    )


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code() -> Response | tuple[str, int] | str:
    user = _pending_user(STAGE_CODE)
    if user is None:
        return redirect(url_for("public.login"))
    form = LoginCodeForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("public/code.html", form=form), 400
        try:
            accounts.check_second_factor(user, form.code.data or "")
        except SecondFactorFailed as exc:
            db.session.commit()
            form.code.data = ""
            return render_template("public/code.html", form=form, error=exc.message), 401
        return _finish_login(user)
    return render_template("public/code.html", form=form)


def qr_data_uri(uri: str) -> str:
    # An SVG shown through <img> is a document of its own: without its namespace a browser
    # draws nothing. segno's data URI carries it (svg_inline, meant for embedding, does not).
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#111", light="#fff", border=4)


def secret_of(uri: str) -> str:
    """The base32 secret from an otpauth URI, grouped for typing by hand."""
    from urllib.parse import parse_qs, urlsplit

    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
def login_enrol() -> Response | tuple[str, int] | str:
    user = _pending_user(STAGE_ENROL)
    if user is None:
        return redirect(url_for("public.login"))
    uri = accounts.provisioning_uri(user)
    form = CodeForm()
    page = {"form": form, "uri": uri, "qr": qr_data_uri(uri), "secret": secret_of(uri)}
    if request.method == "POST":
        if not form.validate():
            return render_template("public/enrol.html", **page), 400
        try:
            codes = accounts.confirm_enrolment(user, form.code.data or "")
        except SecondFactorFailed as exc:
            db.session.commit()
            form.code.data = ""
            return render_template("public/enrol.html", **page, error=exc.message), 401
        # Shown in this one response only, never stored in the session.
        return render_template("recovery_codes.html", codes=codes, onward=_log_in(user))
    return render_template("public/enrol.html", **page)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    if current_user.is_authenticated:
        user_id, clinic_id = current_user.id, current_user.clinic_id
        end_sessions_of_user(user_id)
        record_event(
            AuditAction.AUTH_LOGOUT,
            actor_id=user_id,
            clinic_id=clinic_id,
            resource_type="user",
            resource_id=str(user_id),
        )
        db.session.commit()
        logout_user()
    current_session().end()
    return redirect(url_for("public.login", logged_out=1))


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    form = LanguageForm()
    if form.validate():
        session["locale"] = form.locale.data
    return redirect(safe_next(form.next.data) or url_for("public.index"))


@bp.route("/healthz")
@public
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "reachable"}), 200
