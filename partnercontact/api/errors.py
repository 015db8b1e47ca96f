"""The error body every API operation answers with, and the statuses to document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

# The statuses every operation can answer: without a valid token, and when the database
# refused a write made at the same moment as another (SQLite's single writer).
ALWAYS = (401, 409)
# Whatever cannot be read as the operation's input (a body that is not JSON, say).
BAD_REQUEST = 400
DENIED = 403
NOT_FOUND = 404
INVALID = 422


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "What went wrong, in words"})
    status = fields.Integer(required=True)
    field = fields.String(metadata={"description": "The input at fault, when there is one"})
    errors = fields.Dict(metadata={"description": "Every input at fault, by location and field"})


def answers(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the error statuses an operation answers besides :data:`ALWAYS`."""

    def decorate(view: Any) -> Any:
        for status in sorted({*ALWAYS, *statuses}):
            view = blp.alt_response(status, schema=ErrorOut, description=_DESCRIPTIONS[status])(
                view
            )
        return view

    return decorate


_DESCRIPTIONS = {
    400: "The request could not be read",
    401: "No valid token",
    403: "The token's role may not do this",
    404: "No such record among the token owner's, or the role may not see it",
    405: "Method not allowed",
    409: "The record changed at the same moment, or the change conflicts with its state",
    413: "The upload is too large",
    415: "Unsupported media type",
    422: "The input is not valid; the answer names the field",
}
