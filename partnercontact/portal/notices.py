"""Her notices by text message: she turns them on or off and chooses their words, and sees
exactly what the text will say (:mod:`partnercontact.partner_side.portal_notices`). Off until
she turns them on."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_notices
from partnercontact.portal import sessions
from partnercontact.portal.views import bp

PAGE = "portal/notices.html"


class NoticesForm(FlaskForm):
    enabled = BooleanField(_l("Send me a text message when there is a new message here"))
    words = StringField(
        _l("Your own words for the text (optional)"),
        render_kw={
            "maxlength": portal_notices.MAX_WORDS_LENGTH,
            "autocomplete": "off",
            "spellcheck": "false",
        },
    )


def _page(
    form: NoticesForm,
    settings: portal_notices.NoticeSettings,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    """Her page with her setting as saved (the preview is what a text would say now). Commits
    the audit entry of her reading it."""
    page = render_template(PAGE, form=form, settings=settings, error=error)
    db.session.commit()
    return page, status


@bp.route("/notices", methods=["GET", "POST"])
def notices() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = NoticesForm()
    if not form.is_submitted():
        saved = portal_notices.notice_settings(identity)
        form = NoticesForm(formdata=None, data={"enabled": saved.enabled, "words": saved.words})
        return _page(form, saved)
    if not form.validate():
        return _page(form, portal_notices.notice_settings(identity), 400)
    try:
        saved = portal_notices.save_notice_settings(
            identity, enabled=bool(form.enabled.data), words=form.words.data
        )
    except DomainError as exc:
        # Nothing is saved; what she typed stays in the form, the error on its field.
        db.session.rollback()
        error = _on_field(form, exc)
        return _page(form, portal_notices.notice_settings(identity), exc.status, error)
    db.session.commit()
    flash(
        _("Saved. You get a text message when there is a new message.")
        if saved.enabled
        else _("Saved. You get no text messages about new messages.")
    )
    return redirect(url_for("portal.notices"))


def _on_field(form: FlaskForm, exc: DomainError) -> str | None:
    """The service's error on its field of ``form``, or as the page's error."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
        return None
    return str(exc.message)
