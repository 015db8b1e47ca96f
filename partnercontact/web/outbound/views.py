"""Pages about every outbound message of the clinic at once. Never imports another
audience's views."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.messaging import halt as halting
from partnercontact.partner_side.messaging.outbox import outbox_messages
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.outbound.forms import HaltForm, ResumeForm

bp = Blueprint("outbound", __name__, url_prefix="/messages", template_folder="templates")


def _stop_page(
    halt_form: HaltForm, resume_form: ResumeForm, status: int = 200, error: object = None
) -> tuple[str, int]:
    clinic_id = current_user.clinic_id
    return (
        render_template(
            "outbound/stop.html",
            halt=halting.current_halt(clinic_id),
            history=halting.halt_history(clinic_id),
            halt_form=halt_form,
            resume_form=resume_form,
            error=error,
        ),
        status,
    )


@bp.route("/stop", methods=["GET"])
@requires(Permission.OUTBOUND_HALT)
def stop_switch() -> tuple[str, int]:
    return _stop_page(HaltForm(), ResumeForm())


@bp.route("/stop/halt", methods=["POST"])
@requires(Permission.OUTBOUND_HALT)
def halt() -> Response | tuple[str, int]:
    form = HaltForm()
    if not form.validate():
        return _stop_page(form, ResumeForm(formdata=None), 400)
    try:
        halting.halt_outbound(current_user, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return _stop_page(form, ResumeForm(formdata=None), exc.status, error)
    db.session.commit()
    flash(_("All letters and text messages are halted. Queued text messages wait."), "success")
    return redirect(url_for("outbound.stop_switch"))


@bp.route("/stop/resume", methods=["POST"])
@requires(Permission.OUTBOUND_HALT)
def resume() -> Response | tuple[str, int]:
    form = ResumeForm()
    if not form.validate() or not form.confirm.data:
        if not form.confirm.errors:
            form.confirm.errors = [_("Confirm that what caused the halt is resolved.")]
        return _stop_page(HaltForm(formdata=None), form, 400)
    try:
        halting.resume_outbound(current_user)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return _stop_page(HaltForm(formdata=None), form, exc.status, error)
    db.session.commit()
    flash(
        _("Messages go out again. Queued text messages are sent at the worker's next turn."),
        "success",
    )
    return redirect(url_for("outbound.stop_switch"))


@bp.route("/outbox", methods=["GET"])
@requires(Permission.OUTBOX_VIEW)
def outbox() -> str:
    runtime = current_runtime()
    # The outbox stands in for the recipients' phones while developing; with a real transport
    # or in production there is nothing here to see.
    if not runtime.config.is_development or runtime.config.messaging.sms_transport != "outbox":
        abort(404)
    page = request.args.get("page", default=1, type=int) or 1
    messages = outbox_messages(current_user, page=max(page, 1))
    rendered = render_template("outbound/outbox.html", messages=messages)
    db.session.commit()  # the audit entry of the read
    return rendered
