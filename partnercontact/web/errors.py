"""The one place that turns errors into HTTP responses.

Pages get a page in the user's language; ``/api/`` gets JSON with the same message and, when
known, the field at fault. A 500 never shows a traceback or any data.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.logsafe import describe_exception
from partnercontact.web.guard import wants_json

log = logging.getLogger(__name__)


# An error page: JSON for API clients, rendered HTML otherwise, with its status.
ErrorResponse = tuple[Response | str, int]


def _messages() -> dict[int, str]:
    return {
        400: gettext("The request could not be understood."),
        401: gettext("You need to log in."),
        403: gettext("You do not have access to this page."),
        404: gettext("The page does not exist."),
        405: gettext("That action is not allowed here."),
        413: gettext("The upload is too large."),
        429: gettext("Too many attempts. Wait a while and try again."),
        500: gettext("Something went wrong on our side. Nothing was saved."),
    }


def error_response(
    status: int, message: str, field: str | None = None, errors: dict | None = None
) -> ErrorResponse:
    if wants_json():
        body: dict[str, object] = {"error": message, "status": status}
        if field:
            body["field"] = field
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, field=field), status


def handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if isinstance(messages, dict) and messages:
        response = make_response(_invalid_input(status, messages))
    else:
        response = make_response(error_response(status, _messages().get(status, exc.name)))
    # The headers the status relies on survive the new body: Allow on a 405 (which methods
    # the address does take), Retry-After, WWW-Authenticate.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    if status == 401 and wants_json():
        # RFC 6750: a client told "no valid token" is told which scheme to use.
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def _first_fault(messages: dict) -> tuple[str, str]:
    """The first field at fault in the API's validation messages, and why, as a dotted path
    (``{"json": {"scopes": {"0": ["Not valid."]}}}`` gives ``scopes.0``)."""
    path: list[str] = []
    node: object = messages
    while isinstance(node, dict) and node:
        key = sorted(node, key=str)[0]
        path.append(str(key))
        node = node[key]
    reason = node[0] if isinstance(node, list) and node else str(node)
    # marshmallow files a fault of a whole object (a list sent for an object, say) under
    # "_schema": the object is what is at fault.
    path = [step for step in path if step != "_schema"] or path[:1]
    # The first step is where the input came from (json, query, form, files): not a field.
    return ".".join(path[1:]) or path[0], str(reason)


def _invalid_input(status: int, messages: dict) -> ErrorResponse:
    field, reason = _first_fault(messages)
    message = gettext("%(field)s: %(reason)s", field=field, reason=reason)
    return error_response(status, message, field=field, errors=messages)


def handle_csrf(exc: CSRFError) -> ErrorResponse:
    return error_response(
        400, gettext("The form had expired or was not sent from this site. Please try again.")
    )


def handle_domain(exc: DomainError) -> ErrorResponse:
    db.session.rollback()
    return error_response(exc.status, str(exc.message), exc.field)


def handle_busy_database(exc: OperationalError) -> Response | ErrorResponse:
    """SQLite allows one writer: a request that read before another one's change was committed
    may not write after it. Nothing of it was saved; the user is asked to try again."""
    if "database is locked" not in str(exc.orig):
        return handle_unexpected(exc)
    db.session.rollback()
    return error_response(
        409, gettext("Someone changed this at the same moment. Reload the page and try again.")
    )


def handle_unexpected(exc: Exception) -> Response | ErrorResponse:
    if isinstance(exc, HTTPException):
        return handle_http(exc)
    original = getattr(exc, "original_exception", None) or exc
    log.error("unhandled %s", describe_exception(original))
    db.session.rollback()
    return error_response(500, _messages()[500])


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(OperationalError, handle_busy_database)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
