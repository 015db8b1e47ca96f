"""Showing a domain error on the form that caused it, shared by every audience's views."""

from __future__ import annotations

from flask_wtf import FlaskForm

from partnercontact.errors import DomainError


def show_on_form(form: FlaskForm, exc: DomainError) -> str | None:
    """Put ``exc`` on the form field it names; return its message when no field fits, for
    the page to show at the top."""
    if exc.field and exc.field in form:
        field = form[exc.field]
        field.errors = [*field.errors, str(exc.message)]
        return None
    return str(exc.message)
