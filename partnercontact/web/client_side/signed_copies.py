"""Attaching the signed consent paper, and opening it again while the case is open."""

from __future__ import annotations

import uuid

from flask import make_response
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from partnercontact.client_side.consent import documents
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import SignedCopyForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.errors import ErrorResponse, error_response
from partnercontact.web.form_errors import show_on_form

TEMPLATE = "client_side/signed_copy.html"


@bp.route("/<uuid:client_id>/consent/<uuid:consent_id>/signed-copy", methods=["GET", "POST"])
@requires(Permission.CONSENT_RECORD)
def attach_signed_copy(client_id: uuid.UUID, consent_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SignedCopyForm()
    if not form.is_submitted():
        return page_about_client(TEMPLATE, form, client_id, consent_id=consent_id)
    if not form.validate():
        return page_about_client(TEMPLATE, form, client_id, 400, consent_id=consent_id)
    upload = form.document.data
    try:
        documents.attach_signed_copy(
            current_user,
            client_id,
            consent_id,
            filename=upload.filename or "",
            declared_type=upload.mimetype,
            content=upload.read(documents.MAX_DOCUMENT_BYTES + 1),
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(
            TEMPLATE, form, client_id, exc.status, consent_id=consent_id, error=error
        )
    return back_to_client(client_id, _("The signed copy was attached."))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge) -> ErrorResponse:
    # Raised while the body is read, before the view and its access checks have run: answer
    # with the limit and the field, and nothing about the case.
    return error_response(
        413, _("The file is too large: a signed copy may be at most 10 MB."), field="document"
    )


@bp.route("/<uuid:client_id>/consent/<uuid:consent_id>/signed-copy/file")
@requires(Permission.CONSENT_RECORD)
def signed_copy_file(client_id: uuid.UUID, consent_id: uuid.UUID) -> Response:
    copy = documents.read_signed_copy(current_user, client_id, consent_id)
    db.session.commit()  # the audit entry of the read
    response = make_response(copy.content)
    response.headers["Content-Type"] = copy.media_type
    response.headers["Content-Disposition"] = (
        f'attachment; filename="signerat-samtycke.{copy.extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
