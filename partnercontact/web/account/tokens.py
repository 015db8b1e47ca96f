"""One's own API tokens: make one (shown once), see them, revoke one."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.auth import tokens
from partnercontact.auth.errors import AccountInvalid
from partnercontact.db import db
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.account.forms import RevokeTokenForm, TokenForm
from partnercontact.web.account.views import bp
from partnercontact.web.form_errors import show_on_form


def _page(form: TokenForm, status: int = 200, **extra: object) -> tuple[str, int]:
    return (
        render_template(
            "account/tokens.html",
            form=form,
            tokens=tokens.tokens_of(current_user),
            now=current_runtime().clock.now(),
            is_live=tokens.is_live,
            **extra,
        ),
        status,
    )


@bp.route("/tokens")
@requires(Permission.ACCOUNT_MANAGE_OWN)
def api_tokens() -> tuple[str, int]:
    return _page(TokenForm())


@bp.route("/tokens", methods=["POST"])
@requires(Permission.ACCOUNT_MANAGE_OWN)
def create_api_token() -> tuple[str, int]:
    form = TokenForm()
    if not form.validate():
        return _page(form, 400)
    try:
        new = tokens.issue_token(current_user, label=form.label.data or "", days=form.days.data)
    except AccountInvalid as exc:
        db.session.rollback()
        return _page(form, 400, error=show_on_form(form, exc))
    db.session.commit()
    # Shown in this answer only (which is never cached): not in a redirect, a flash message
    # or anything else kept in the session.
    return _page(TokenForm(formdata=None), 200, new_secret=new.secret, new_label=new.token.label)


@bp.route("/tokens/<uuid:token_id>/revoke", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_MANAGE_OWN)
def revoke_api_token(token_id: uuid.UUID) -> Response | str:
    """A confirmation page (GET) before the revocation (POST): integrations using the token
    stop working at once."""
    token = next((t for t in tokens.tokens_of(current_user) if t.id == token_id), None)
    if token is None:
        raise tokens.TokenNotFound(_("There is no such token among yours."), field="token")
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        return render_template("account/token_revoke.html", form=form, token=token)
    tokens.revoke_token(current_user, token_id)
    db.session.commit()
    flash(_("The token was revoked."), "success")
    return redirect(url_for("account.api_tokens"))
