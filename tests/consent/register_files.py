"""Reading the consent register's exports back: their headers in a language, and their rows
as dictionaries keyed by the columns' stable keys, whatever language the headers are in."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask_babel import force_locale

from partnercontact.client_side.consent.register_export import COLUMNS, headers


def headers_in(app: Flask, language: str) -> list[str]:
    with app.test_request_context(), force_locale(language):
        return headers()


def csv_records(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header row and the records of a CSV export (with or without its byte order
    mark)."""
    header, *rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    assert len(header) == len(COLUMNS)
    return header, [dict(zip(COLUMNS, row, strict=True)) for row in rows]
