"""Her own safety in her hands: "not safe now" pauses every contact with her at once, and she
lifts it herself when it is safe again."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import pauses
from partnercontact.portal import sessions
from partnercontact.portal.views import bp


class PauseForm(FlaskForm):
    """Nothing but the form token."""


@bp.app_context_processor
def _pause_state() -> dict[str, object]:
    identity = sessions.current()
    return {"paused": identity is not None and pauses.is_paused(identity)}


@bp.route("/not-safe-now", methods=["GET", "POST"])
def not_safe_now() -> Response:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    if request.method == "POST" and PauseForm().validate():
        pauses.pause_by_her(identity)
        db.session.commit()
        flash(_("Nothing will be sent to you and nobody will call until you say it is safe."))
    return redirect(url_for("portal.home"))


@bp.route("/safe-again", methods=["GET", "POST"])
def safe_again() -> Response:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    if request.method == "POST" and PauseForm().validate():
        try:
            pauses.lift_by_her(identity)
        except DomainError:
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Your contact at the clinic may reach you again as your plan says."))
    return redirect(url_for("portal.home"))
