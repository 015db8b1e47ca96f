"""Pages for the client's treater. Never imports another audience's views."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from partnercontact.assessments.concerns import CONCERN_REASONS
from partnercontact.assessments.instruments import RISK_LEVELS, instrument_labels
from partnercontact.client_side.cases import consultations, risk_assessments
from partnercontact.client_side.cases import service as cases
from partnercontact.client_side.cases.attendance import ATTENDANCE
from partnercontact.client_side.cases.concern_reports import client_concern_reports
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import Client
from partnercontact.client_side.cases.reassignment import clients_moved_to
from partnercontact.client_side.cases.status import LABELS as EPISODE_LABELS
from partnercontact.client_side.cases.status import OPEN
from partnercontact.client_side.consent import service as consent
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.relay.handover import handovers_seen_by_client_side
from partnercontact.relay.kinds import CONSULTATION_REASONS, RISK_REASONS, RISK_URGENCIES
from partnercontact.runtime import current_runtime
from partnercontact.web.client_side.forms import (
    SCOPE_LABELS,
    ClientForm,
    ConsentRecordForm,
    RefusalForm,
    WithdrawalForm,
)
from partnercontact.web.form_errors import show_on_form
from partnercontact.web.navigation import CLIENT_TO_DO, shown_count

bp = Blueprint("client_side", __name__, url_prefix="/client", template_folder="templates")


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "episode_label": lambda status: EPISODE_LABELS.get(status, status),
        "attendance_labels": ATTENDANCE,
        "risk_reason_labels": RISK_REASONS,
        "risk_urgency_labels": RISK_URGENCIES,
        "consultation_reason_labels": CONSULTATION_REASONS,
        "instrument_labels": instrument_labels(),
        "risk_level_labels": RISK_LEVELS,
        "concern_reason_labels": CONCERN_REASONS,
    }


@bp.route("/")
@requires(Permission.CLIENT_SIDE_VIEW)
def home() -> str:
    clients = cases.clients_of(current_user)
    moved = clients_moved_to(current_user, [client.id for client in clients])
    to_do = [client for client in clients if client.talk_asked or client.risk_review_due]
    shown_count(CLIENT_TO_DO, sum(c.talk_asked + c.risk_review_due for c in to_do))
    page = render_template("client_side/home.html", clients=clients, to_do=to_do, moved_to_me=moved)
    db.session.commit()  # the audit entry of the read
    return page


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.CLIENTS_REGISTER)
def register() -> Response | str | tuple[str, int]:
    form = ClientForm()
    if form.is_submitted():
        if not form.validate():
            return render_template("client_side/new.html", form=form), 400
        try:
            client = cases.register_client(
                current_user,
                name=form.name.data or "",
                personal_id=form.personal_id.data,
                phone=form.phone.data or "",
                language=form.language.data or "",
                opened_on=form.opened_on.data,
            )
        except ClientInvalid as exc:
            db.session.rollback()
            error = show_on_form(form, exc)
            return render_template("client_side/new.html", form=form, error=error), 400
        db.session.commit()
        flash(_("The client was registered."), "success")
        return redirect(url_for("client_side.client", client_id=client.id))
    return render_template("client_side/new.html", form=form)


@bp.route("/<uuid:client_id>")
@requires(Permission.CLIENT_SIDE_VIEW)
def client(client_id: uuid.UUID) -> str:
    record = cases.client_for(current_user, client_id)
    page = render_template(
        "client_side/client.html",
        client=record,
        consents=consent.consents_of_client(current_user, client_id),
        handovers=handovers_seen_by_client_side(current_user, client_id),
        consultations=consultations.consultations_of_client(record),
        risk=risk_assessments.client_risk(current_user, record),
        concern_reports=client_concern_reports(record),
        open_statuses=OPEN,
        scope_labels=SCOPE_LABELS,
    )
    db.session.commit()
    return page


def page_about_client(
    template: str,
    form: FlaskForm | None,
    client_id: uuid.UUID,
    status: int = 200,
    *,
    about: Callable[[Client], dict[str, Any]] | None = None,
    **extra: object,
) -> tuple[str, int]:
    """A form page about one of the actor's clients; ``about`` gives what else the page shows
    of the client it loaded (once, and audited once)."""
    record = cases.client_for(current_user, client_id)
    if about is not None:
        extra |= about(record)
    page = render_template(template, form=form, client=record, **extra)
    db.session.commit()
    return page, status


def back_to_client(client_id: uuid.UUID, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("client_side.client", client_id=client_id))


def client_form(
    template: str,
    form: FlaskForm,
    client_id: uuid.UUID,
    save: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    today_fields: tuple[str, ...] = (),
    about: Callable[[Client], dict[str, Any]] | None = None,
) -> Response | tuple[str, int]:
    """The round trip of one form about a client: the empty form (``today_fields`` set to
    today), then on submit ``save`` (one service call reading the parsed form). A refusal
    comes back on its field with the input kept; success returns to the client's page with
    the message ``done`` (or ``done`` of what ``save`` returned). ``about``: as for
    :func:`page_about_client`."""
    if not form.is_submitted():
        for name in today_fields:
            form[name].data = current_runtime().clock.now().date()
        return page_about_client(template, form, client_id, about=about)
    if not form.validate():
        return page_about_client(template, form, client_id, 400, about=about)
    try:
        saved = save()
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(template, form, client_id, exc.status, error=error, about=about)
    return back_to_client(client_id, done if isinstance(done, str) else done(saved))


@bp.route("/<uuid:client_id>/consent/new", methods=["GET", "POST"])
@requires(Permission.CONSENT_RECORD)
def record_consent(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ConsentRecordForm()
    return client_form(
        "client_side/consent_new.html",
        form,
        client_id,
        lambda: consent.record_consent(
            current_user,
            client_id,
            language=form.language.data or "",
            scopes=form.scopes.data or [],
            place=form.place.data or "",
            signed_on=form.signed_on.data,
            attested_details_given=bool(form.attested_details_given.data),
            verbal=bool(form.verbal.data),
        ),
        done=_("The consent was recorded."),
        today_fields=("signed_on",),
    )


@bp.route("/<uuid:client_id>/consent/refusal", methods=["GET", "POST"])
@requires(Permission.CONSENT_RECORD)
def record_refusal(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = RefusalForm()
    return client_form(
        "client_side/consent_refusal.html",
        form,
        client_id,
        lambda: consent.record_refusal(
            current_user,
            client_id,
            language=form.language.data or "",
            place=form.place.data or "",
            refused_on=form.refused_on.data,
            treatment_continues=form.treatment_continues.data == "yes",
            team_decided_on=form.team_decided_on.data,
        ),
        done=_("The refusal was recorded."),
        today_fields=("refused_on", "team_decided_on"),
    )


@bp.route("/<uuid:client_id>/consent/<uuid:consent_id>/withdraw", methods=["GET", "POST"])
@requires(Permission.CONSENT_RECORD)
def withdraw_consent(client_id: uuid.UUID, consent_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the withdrawal (POST): it cannot be undone."""
    form = WithdrawalForm()
    return client_form(
        "client_side/consent_withdraw.html",
        form,
        client_id,
        lambda: consent.withdraw_consent(
            current_user, client_id, consent_id, withdrawn_on=form.withdrawn_on.data
        ),
        done=_("The consent was withdrawn."),
        today_fields=("withdrawn_on",),
        about=lambda _client: {"consent_id": consent_id},
    )
