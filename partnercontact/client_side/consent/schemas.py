"""Input schemas of the consent package.

:class:`RegisterFiltersIn` reads the consent register's filters from query parameters (all
text) into :class:`~partnercontact.client_side.consent.register.RegisterFilters`. Unknown parameters
are refused. Errors are raised as :class:`ConsentInvalid` naming the field, with our own
translated message rather than marshmallow's English one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load
from marshmallow.validate import OneOf, Range

from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import SCOPES
from partnercontact.client_side.consent.register import (
    ALL_STATES,
    STATES,
    RegisterFilters,
    check_filters,
)
from partnercontact.i18n import _l

# Parameters that may repeat (?scopes=a&scopes=b); every other one is read once.
LIST_PARAMETERS = frozenset({"scopes"})
# "Any version" as the form may send it.
_ANY = ("", "any")
# The largest version the database can compare with: SQLite refuses a larger parameter
# outright (an OverflowError, not a refusal the user could read).
MAX_VERSION = 2**31 - 1

_MESSAGES = {
    "signed_from": _l("Enter the date as YYYY-MM-DD."),
    "signed_to": _l("Enter the date as YYYY-MM-DD."),
    "state": _l("Choose a state from the list."),
    "version": _l("The form version is a whole number; leave it empty for any version."),
    "scopes": _l("Unknown consent scope."),
}
# The order in which errors are reported when several fields are wrong: the form's order.
_FIELD_ORDER = ("signed_from", "signed_to", "state", "version", "scopes")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CalendarDate(fields.Date):
    """A date written as YYYY-MM-DD and no other way.

    ``date.fromisoformat`` alone also reads week dates (2026-W01-1) and the basic form
    (20260101): the register would then filter on a day other than the one its message asks
    for and its links show back.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)


class RegisterFiltersIn(Schema):
    class Meta:
        unknown = RAISE

    signed_from = CalendarDate(load_default=None)
    signed_to = CalendarDate(load_default=None)
    state = fields.String(load_default=ALL_STATES, validate=OneOf((ALL_STATES, *STATES)))
    version = fields.Integer(
        load_default=None, strict=False, validate=Range(min=1, max=MAX_VERSION)
    )
    scopes = fields.List(fields.String(validate=OneOf(SCOPES)), load_default=list)

    @pre_load
    def _drop_empty(self, data: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        # An empty form field means "no restriction", as does "any" for the version.
        cleaned = {}
        for key, value in data.items():
            if key == "version" and isinstance(value, str) and value.strip().lower() in _ANY:
                continue
            if isinstance(value, str) and not value.strip():
                continue
            if isinstance(value, list):
                value = [item for item in value if not (isinstance(item, str) and not item)]
                if not value:
                    continue
            cleaned[key] = value.strip() if isinstance(value, str) else value
        return cleaned

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> RegisterFilters:
        return RegisterFilters(
            signed_from=data["signed_from"],
            signed_to=data["signed_to"],
            state=data["state"],
            version=data["version"],
            scopes=frozenset(data["scopes"]),
        )


def _first_error(errors: Mapping[str, Any]) -> ConsentInvalid:
    for name in _FIELD_ORDER:
        if name in errors:
            return ConsentInvalid(_MESSAGES[name], field=name)
    # Only an unknown parameter is left; its name is echoed (escaped) so the user sees which.
    name = sorted(errors)[0][:40]
    return ConsentInvalid(_l("The filter %(name)s is not known.", name=name), field=name)


def load_register_filters(values: Mapping[str, Any]) -> RegisterFilters:
    """Filters from ``values`` (query parameters: text, a list for ``scopes``).

    Raises :class:`ConsentInvalid` naming the first field at fault: a malformed date, an
    unknown state or scope, a version that is not a whole number, an unknown parameter, or
    a period that ends before it starts.
    """
    try:
        filters: RegisterFilters = RegisterFiltersIn().load(dict(values))
    except ValidationError as exc:
        raise _first_error(exc.normalized_messages()) from None
    check_filters(filters)
    return filters


def register_filters_from_query(args: Any) -> RegisterFilters:
    """:func:`load_register_filters` for a multi-dict of query parameters (``getlist``)."""
    values = {key: args.getlist(key) if key in LIST_PARAMETERS else args.get(key) for key in args}
    return load_register_filters(values)
