"""Input fields shared by the API's schemas."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

# Control characters (Unicode category Cc) refused in a text, as regular expressions for the
# OpenAPI document; a multiline text may hold tabs and line breaks.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


class Text(fields.String):
    """Text typed by a person: no control characters (a NUL byte cannot even be stored in
    PostgreSQL), line breaks and tabs only where ``multiline``, and a maximum length."""

    def __init__(
        self,
        *,
        max_length: int,
        multiline: bool = False,
        metadata: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        described = dict(metadata or {})
        described.setdefault("maxLength", max_length)
        # The same rule, written into the document, so that a client (and a generator of test
        # input) knows it before being refused.
        described.setdefault("pattern", MULTILINE if multiline else ONE_LINE)
        super().__init__(validate=validate.Length(max=max_length), metadata=described, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        allowed = {"\n", "\r", "\t"} if self.multiline else set()
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text) or any(
            unicodedata.category(c) == "Cs" for c in text
        ):
            raise ValidationError("Contains characters that are not allowed.")
        return text


class Boolean(fields.Boolean):
    """true or false, as JSON writes them: marshmallow's own Boolean also takes 1, "yes",
    "on" and more, which the document (type boolean) does not promise."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        # A type check, not a set lookup: 1 == True and 0 == False in Python.
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# --- dates, moments and closed lists, optional where the service names what is missing -----

# Dates and moments outside these years are typing mistakes; refusing them here also keeps
# the clock arithmetic of reminders and time zones away from the ends of the calendar.
FIRST_YEAR = 1900
LAST_YEAR = 2199


def day(description: str, **kwargs: Any) -> fields.Date:
    """A calendar date (the clinic's), optional in the schema: the service says when one is
    needed, on the same field."""
    return fields.Date(
        load_default=None,
        validate=validate.Range(min=date(FIRST_YEAR, 1, 1), max=date(LAST_YEAR, 12, 31)),
        metadata={"description": description},
        **kwargs,
    )


class Moment(fields.AwareDateTime):
    """A moment in ISO 8601; one without an offset is read as UTC. Answered in UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        # Checked on the typed year, before any conversion that could leave the calendar.
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValidationError(f"Enter a moment between {FIRST_YEAR} and {LAST_YEAR}.")
        return moment.astimezone(UTC)


def choice(labels: dict[str, Any] | tuple[str, ...], description: str) -> fields.String:
    """One key of a closed list, optional in the schema (the service names a missing one)."""
    return fields.String(
        load_default=None,
        validate=validate.OneOf(list(labels)),
        metadata={"description": description},
    )


def choices(labels: dict[str, Any], description: str) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(list(labels))),
        load_default=list,
        metadata={"description": description},
    )
