"""The printable consent form, for the client's treater. Attaches to the client side's blueprint."""

from __future__ import annotations

import uuid

from flask import request
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.consent import printable
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.views import bp


@bp.route("/<uuid:client_id>/consent/form.pdf")
@requires(Permission.CONSENT_RECORD)
def consent_form_pdf(client_id: uuid.UUID) -> Response:
    """``?language=sv|en``; without it, the client's own language. Errors go to errors.py."""
    pdf = printable.render_form_pdf(current_user, client_id, request.args.get("language"))
    db.session.commit()  # the audit entries of the read and the print
    response = Response(pdf, mimetype="application/pdf")
    # A fixed file name: a name in a download list or a browser's history would tell anyone
    # who sees the screen who is in treatment here. Never cached, like every page.
    response.headers["Content-Disposition"] = 'attachment; filename="samtycke.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
