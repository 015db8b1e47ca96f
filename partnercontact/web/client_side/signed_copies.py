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
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import SignedCopyForm
from partnercontact.web.client_side.views import bp, client_form
from partnercontact.web.errors import ErrorResponse, error_response


@bp.route("/<uuid:client_id>/consent/<uuid:consent_id>/signed-copy", methods=["GET", "POST"])
@requires(Permission.CONSENT_RECORD)
def attach_signed_copy(client_id: uuid.UUID, consent_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SignedCopyForm()

    def attach() -> None:
        upload = form.document.data
        documents.attach_signed_copy(
            current_user,
            client_id,
            consent_id,
            filename=upload.filename or "",
            declared_type=upload.mimetype,
            content=upload.read(documents.MAX_DOCUMENT_BYTES + 1),
        )

    return client_form(
        "client_side/signed_copy.html",
        form,
        client_id,
        attach,
        done=_("The signed copy was attached."),
        about=lambda _client: {"consent_id": consent_id},
    )


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
