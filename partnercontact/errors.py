"""The base of every domain error. ``web.errors`` maps these to HTTP responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request.

    ``field`` names the input at fault when there is one, so pages and the API can point at it.
    """

    status = 400

    def __init__(self, message: str | Any, *, field: str | None = None) -> None:
        super().__init__(message)
        # A lazy translation: rendered in the language of whoever reads it.
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it exists."""

    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
