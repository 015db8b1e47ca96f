"""The form pages about one partner case, shared by every module of the partner side."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import service as partners
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.partner_side.views import back_to_case

CHOOSE = SelectChoice("", _l("Choose…"))


class ConfirmForm(FlaskForm):
    """Nothing but the form token: the confirmation of an act."""


# Where each safety step a contact may lack is taken (rules.safety_step_refusal): a refusal
# that names a step links to its page.
_STEP_PAGES = {
    "suitability": ("partner_side.suitability", _l("Record the suitability decision")),
    "first_contact": ("partner_side.safe_contact", _l("Record her safe-contact plan")),
    "plan": ("partner_side.safe_contact", _l("Record her safe-contact plan")),
    "plan_fit": ("partner_side.safe_contact", _l("Open her safe-contact plan")),
    "threat_warning": ("partner_side.threat_warning", _l("Record a threat warning")),
}


@dataclass(frozen=True)
class StepLink:
    url: str
    label: str


def step_link(case_id: uuid.UUID, refusal: object) -> StepLink | None:
    """The link to the step a refusal names, or None for a refusal that names none."""
    page = _STEP_PAGES.get(getattr(refusal, "rule", None) or "")
    if page is None:
        return None
    endpoint, label = page
    return StepLink(url_for(endpoint, case_id=case_id), str(label))


def choices(labels: dict[str, Any], *, blank: bool = True) -> list[SelectChoice]:
    """A select's options from a vocabulary, after a blank "Choose…" unless ``blank`` is off."""
    return [*([CHOOSE] if blank else []), *(SelectChoice(k, v) for k, v in labels.items())]


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
    extra.setdefault("missing_step", step_link(case_id, exc))
    return form_page(template, form, case_id, exc.status, error=error, **extra)


def case_form(
    template: str,
    form: FlaskForm,
    case_id: uuid.UUID,
    save: Callable[[], object],
    *,
    done: str,
    anchor: str,
    today_field: str | None = None,
    **extra: Any,
) -> Response | tuple[str, int]:
    """The round trip of one form about a case: the empty form (``today_field`` set to the
    clinic's today), then on submit ``save`` (one service call reading the parsed form). A
    refusal comes back on its field with the input kept; success returns to the case page's
    ``anchor`` with the message ``done``."""
    if not form.is_submitted():
        if today_field is not None:
            form[today_field].data = clinic_today(current_user.clinic)
        return form_page(template, form, case_id, **extra)
    if not form.validate():
        return form_page(template, form, case_id, 400, **extra)
    try:
        save()
    except DomainError as exc:
        return form_refused(template, form, case_id, exc, **extra)
    return back_to_case(case_id, done, anchor)
