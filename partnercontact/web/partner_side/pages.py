"""The form pages about one partner case, shared by every module of the partner side."""

from __future__ import annotations

import uuid
from typing import Any

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partners import service as partners
from partnercontact.web.form_errors import show_on_form


def form_page(
    template: str, form: FlaskForm, case_id: uuid.UUID, status: int = 200, **extra: Any
) -> tuple[str, int]:
    """A form page about a case the current user holds (anyone else: not found). The one
    audited read of the case for the page."""
    partner_case = partners.held_case_for(current_user, case_id)
    page = render_template(
        template,
        form=form,
        case=partner_case,
        reference=partners.reference_of(partner_case),
        **extra,
    )
    db.session.commit()  # the audit entry of the read
    return page, status


def form_refused(
    template: str, form: FlaskForm, case_id: uuid.UUID, exc: DomainError, **extra: Any
) -> tuple[str, int]:
    """The form again, with the service's error on its field and what was typed kept."""
    db.session.rollback()
    error = show_on_form(form, exc)
    return form_page(template, form, case_id, exc.status, error=error, **extra)
