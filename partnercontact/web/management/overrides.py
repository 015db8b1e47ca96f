"""Managers' exceptions from the safety steps before a contact with her (see
:mod:`partnercontact.partner_side.overrides`): a list by case reference and a form of closed
lists. Nothing about her is shown or asked for."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import overrides as service
from partnercontact.partner_side.vocabulary import (
    CONTACT_KINDS,
    OVERRIDABLE_STEPS,
    OVERRIDE_REASONS,
)
from partnercontact.policy import Permission, requires
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.management.views import bp

TEMPLATE = "management/overrides.html"


def _choices(labels: dict[str, object]) -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose…")), *(SelectChoice(k, v) for k, v in labels.items())]


class OverrideForm(FlaskForm):
    """Renders the fields and keeps what was typed; the service validates."""

    case = StringField(
        _l("Partner case reference"), render_kw={"autocomplete": "off", "spellcheck": "false"}
    )
    rule = SelectField(_l("The step to make an exception from"), validate_choice=False)
    kind = SelectField(_l("The one contact it covers"), validate_choice=False)
    reason = SelectField(_l("Why the clinic must reach her"), validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rule.choices = _choices(OVERRIDABLE_STEPS)
        self.kind.choices = _choices(CONTACT_KINDS)
        self.reason.choices = _choices(OVERRIDE_REASONS)


def _page(form: OverrideForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    page = render_template(
        TEMPLATE,
        form=form,
        overrides=service.overrides_of_clinic(current_user),
        steps=OVERRIDABLE_STEPS,
        kinds=CONTACT_KINDS,
        reasons=OVERRIDE_REASONS,
        error=error,
    )
    return page, status


@bp.route("/safety-overrides", methods=["GET", "POST"])
@requires(Permission.SAFETY_OVERRIDES_DECIDE)
def safety_overrides() -> Response | tuple[str, int]:
    form = OverrideForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, 400)
    try:
        service.decide_override(
            current_user,
            case=form.case.data or "",
            rule=form.rule.data or "",
            kind=form.kind.data or "",
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(form, exc.status, show_on_form(form, exc))
    db.session.commit()
    flash(_("The exception is recorded. It lets one contact through, once."), "success")
    return redirect(url_for("management.safety_overrides"))
