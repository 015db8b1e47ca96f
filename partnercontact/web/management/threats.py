"""Confirming imminent-threat warnings: a manager of the clinic confirms that a partner who
declined or ended contact must be warned anyway.

The list names each warning by its case's neutral reference and date only; the confirmation
page adds the reason the manager needs to decide. Neither ever shows the partner's name or
contact details, and nothing here is reachable from the client side.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.policy import Permission, requires
from partnercontact.web.management.views import bp


@bp.route("/threats")
@requires(Permission.THREAT_WARNINGS_CONFIRM)
def threats() -> str:
    warnings = contact.unconfirmed_threat_warnings(current_user)
    page = render_template("management/threats.html", warnings=warnings)
    db.session.commit()
    return page


@bp.route("/threats/<uuid:warning_id>/confirm", methods=["GET", "POST"])
@requires(Permission.THREAT_WARNINGS_CONFIRM)
def confirm_threat(warning_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the confirmation (POST)."""
    form = FlaskForm()
    if not form.is_submitted() or not form.validate():
        # NotFound (unknown, or another clinic's warning) and Conflict (already confirmed)
        # become pages in web.errors.
        warning = contact.threat_warning_for_manager(current_user, warning_id)
        page = render_template(
            "management/threats_confirm.html",
            form=form,
            warning=warning,
        )
        db.session.commit()  # the audit entry of the read
        return page, 400 if form.is_submitted() else 200
    contact.confirm_threat_warning(current_user, warning_id)
    db.session.commit()
    flash(_("The threat warning is confirmed. She may now be warned."), "success")
    return redirect(url_for("management.threats"))
