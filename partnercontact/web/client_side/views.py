"""Pages for the client's treater. Never imports another audience's views."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.cases import service as cases
from partnercontact.cases.errors import ClientInvalid
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.web.client_side.forms import ClientForm

bp = Blueprint("client_side", __name__, url_prefix="/client", template_folder="templates")

EPISODE_LABELS = {"assessment": _l("Assessment")}


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"episode_label": lambda status: EPISODE_LABELS.get(status, status)}


@bp.route("/")
@requires(Permission.CLIENT_SIDE_VIEW)
def home() -> str:
    clients = cases.clients_of(current_user)
    page = render_template("client_side/home.html", clients=clients)
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
            )
        except ClientInvalid as exc:
            db.session.rollback()
            error = None
            if exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
            else:
                error = str(exc.message)
            return render_template("client_side/new.html", form=form, error=error), 400
        db.session.commit()
        flash(_("The client was registered."), "success")
        return redirect(url_for("client_side.client", client_id=client.id))
    return render_template("client_side/new.html", form=form)


@bp.route("/<uuid:client_id>")
@requires(Permission.CLIENT_SIDE_VIEW)
def client(client_id: uuid.UUID) -> str:
    record = cases.client_for(current_user, client_id)
    page = render_template("client_side/client.html", client=record)
    db.session.commit()
    return page
