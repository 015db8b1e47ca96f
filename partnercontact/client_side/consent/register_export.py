"""The consent register as files a manager downloads, CSV and XLSX, in the manager's language.

Headers and coded values (the state, the form's language, the form of consent, what became of
the signed copy, the rule it was destroyed under) are written in words, as the register's
pages show them, in the language of whoever exports. What a program may match on stays as it
is: the consent's id, the case reference, usernames, dates in ISO 8601 and the key's digest;
a scope and the team's decision are ``1`` or ``0``. A moment (a copy attached, destroyed) is
the clinic's wall clock to the minute, as on the pages, never UTC.

Every cell a spreadsheet would run as a formula is guarded
(:mod:`partnercontact.spreadsheet`); both files carry the same cells.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _

from partnercontact.auth.models import User
from partnercontact.client_side.consent.forms import SCOPES
from partnercontact.client_side.consent.register import RegisterFilters, RegisterRow, export_rows
from partnercontact.client_side.consent.register_labels import (
    COLUMN_LABELS,
    DOCUMENT_LABELS,
    FORM_OF_CONSENT_LABELS,
    LANGUAGE_LABELS,
    RULE_LABELS,
    STATE_LABELS,
)
from partnercontact.clinics.clock import wall_clock
from partnercontact.clinics.models import Clinic
from partnercontact.spreadsheet import Cell, csv_safe, xlsx_bytes

# The columns of both exports, in order; their headers are COLUMN_LABELS'.
COLUMNS = (
    "consent_id",
    "case_reference",
    "state",
    "form_version",
    "form_language",
    *SCOPES,
    "form_of_consent",
    "place",
    "signed_on",
    "attested_by",
    "withdrawn_on",
    "withdrawn_by",
    "document",
    "document_attached_at",
    "document_destroyed_at",
    "document_destruction_rule",
    "document_key_digest",
    "treatment_continues",
    "team_decided_on",
)


def headers() -> list[str]:
    """The column headers in the current language, in the order of :data:`COLUMNS`."""
    return [str(COLUMN_LABELS[column]) for column in COLUMNS]


def filename(suffix: str) -> str:
    """The name a downloaded file gets: "samtyckesregister.csv" in Swedish."""
    return f"{_('consent-register')}.{suffix}"


def _words(labels: dict[str, object], code: str | None) -> str | None:
    # A code without a label (a value added later) is written as it is rather than lost.
    return None if code is None else str(labels.get(code, code))


def _moment(moment: datetime | None, clinic: Clinic) -> str | None:
    return None if moment is None else wall_clock(moment, clinic)


def _values(row: RegisterRow, clinic: Clinic) -> list[object]:
    """``row``'s values in the order of :data:`COLUMNS`: words, numbers, dates, or None."""
    moments = {
        "document_attached_at": row.document_attached_at,
        "document_destroyed_at": row.document_destroyed_at,
    }
    values: dict[str, object] = {
        "consent_id": str(row.consent_id),
        "case_reference": row.case_reference,
        "state": _words(STATE_LABELS, row.state),
        "form_version": row.form_version,
        "form_language": _words(LANGUAGE_LABELS, row.form_language),
        **{scope: int(scope in row.scopes) for scope in SCOPES},
        "form_of_consent": _words(FORM_OF_CONSENT_LABELS, row.form_of_consent),
        "place": row.place,
        "signed_on": row.signed_on,
        "attested_by": row.attested_by,
        "withdrawn_on": row.withdrawn_on,
        "withdrawn_by": row.withdrawn_by,
        "document": _words(DOCUMENT_LABELS, row.document),
        **{key: _moment(moment, clinic) for key, moment in moments.items()},
        "document_destruction_rule": _words(RULE_LABELS, row.document_destruction_rule),
        "document_key_digest": row.document_key_digest,
        "treatment_continues": None
        if row.treatment_continues is None
        else int(row.treatment_continues),
        "team_decided_on": row.team_decided_on,
    }
    return [values[column] for column in COLUMNS]


def _xlsx_cell(value: object) -> str | int | None:
    # Dates in ISO 8601, as the CSV writes them; whole numbers (the version, the flags) stay
    # numbers. Moments are already the clinic's wall clock, as text.
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_cell(value: object) -> str:
    cell = _xlsx_cell(value)
    return "" if cell is None else csv_safe(str(cell))


def register_csv(actor: User, filters: RegisterFilters) -> str:
    """The rows of :func:`~partnercontact.client_side.consent.register.register_rows` as CSV
    with a header row; audited as an export."""
    rows = export_rows(actor, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(header) for header in headers()])
    writer.writerows([_csv_cell(value) for value in _values(row, actor.clinic)] for row in rows)
    return out.getvalue()


def register_xlsx(actor: User, filters: RegisterFilters) -> bytes:
    """The rows and columns of :func:`register_csv` as an XLSX sheet; audited as an export.

    The form version and the flags are numbers, and no cell is ever a formula
    (:func:`partnercontact.spreadsheet.xlsx_bytes`).
    """
    rows = export_rows(actor, filters)
    header = [Cell(text, bold=True) for text in headers()]
    records = [[_xlsx_cell(value) for value in _values(row, actor.clinic)] for row in rows]
    name = _("Consent register")
    return xlsx_bytes(name, [header, *records], title=name)
