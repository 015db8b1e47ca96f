"""Her pages: log in with codename and passphrase, redeem an invitation, the start page with
her messages, close her access, the quick exit, and staying safe online. No id of her case or
of a message, and never her codename, appears in an address: a message she clears, or a file
she opens, is named in the form she sends."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, StringField, TextAreaField

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_access, portal_attachments, portal_messages
from partnercontact.portal import sessions
from partnercontact.portal.addresses import client_address
from partnercontact.runtime import current_runtime

bp = Blueprint("portal", __name__)


class LoginForm(FlaskForm):
    codename = StringField(
        _l("Codename"),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    passphrase = PasswordField(_l("Passphrase"), render_kw={"autocomplete": "off"})


class InvitationForm(FlaskForm):
    code = StringField(
        _l("Invitation code"), render_kw={"autocomplete": "off", "inputmode": "numeric"}
    )
    passphrase = PasswordField(_l("Choose a passphrase"), render_kw={"autocomplete": "off"})
    again = PasswordField(_l("The passphrase again"), render_kw={"autocomplete": "off"})


class ConfirmForm(FlaskForm):
    """Nothing but the form token: the confirmation of an act that cannot be undone."""


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Write to your contact at the clinic"),
        render_kw={
            "rows": 6,
            "maxlength": portal_messages.MAX_BODY_LENGTH,
            "autocomplete": "off",
        },
    )
    # What the browser offers to pick; what is accepted is decided from the file's bytes.
    attachment = FileField(
        _l("A photo or a PDF (if you like)"),
        render_kw={
            "accept": "image/jpeg,image/png,image/webp,application/pdf",
            "data-max-bytes": portal_attachments.MAX_FILE_BYTES,
        },
    )


class AttachmentForm(FlaskForm):
    """The file to open, named in the form, never in the address."""

    attachment_id = HiddenField()


class ClearForm(FlaskForm):
    """The message to take out of her view, named in the form, never in the address."""

    message_id = HiddenField()


def refused(form: FlaskForm, exc: DomainError) -> str | None:
    """The service's error on its field of ``form``, or as the page's error."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
        return None
    return str(exc.message)


@bp.route("/", methods=["GET", "POST"])
def log_in() -> Response | tuple[str, int]:
    if sessions.current() is not None:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if not form.is_submitted():
        return render_template("portal/login.html", form=form), 200
    if not form.validate():
        return render_template("portal/login.html", form=form), 400
    try:
        identity = portal_access.log_in(
            form.codename.data or "", form.passphrase.data or "", address=client_address()
        )
    except DomainError as exc:
        # A failed login is counted and audited: that stays whatever she types next.
        db.session.commit()
        form.passphrase.data = ""
        error = refused(form, exc)
        return render_template("portal/login.html", form=form, error=error), exc.status
    sessions.start(identity)
    db.session.commit()
    return redirect(url_for("portal.home"))


@bp.route("/invitation", methods=["GET", "POST"])
def redeem() -> Response | tuple[str, int]:
    form = InvitationForm()
    if not form.is_submitted():
        return render_template("portal/invitation.html", form=form), 200
    if not form.validate():
        return render_template("portal/invitation.html", form=form), 400
    if (form.passphrase.data or "") != (form.again.data or ""):
        form.again.errors = [_("The two passphrases differ: type the same one twice.")]
        return render_template("portal/invitation.html", form=form), 400
    try:
        codename = portal_access.redeem(
            form.code.data or "", form.passphrase.data or "", address=client_address()
        )
        identity = portal_access.log_in(
            codename, form.passphrase.data or "", address=client_address()
        )
    except DomainError as exc:
        db.session.commit()
        error = refused(form, exc)
        return render_template("portal/invitation.html", form=form, error=error), exc.status
    sessions.start(identity)
    db.session.commit()
    # Shown once, on this answer only: never in an address, never again.
    return render_template("portal/codename.html", codename=codename), 200


def _home(
    identity: portal_access.PortalIdentity,
    message_form: MessageForm,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    """The start page: her messages (reading them marks the ones to her read) and the form
    to write. Commits the read marks and the audit entry."""
    thread = portal_messages.thread_for_her(identity)
    page = render_template(
        "portal/home.html",
        form=ConfirmForm(),
        thread=thread,
        attachments=portal_attachments.attachments_for_her(identity),
        message_form=message_form,
        error=error,
    )
    db.session.commit()
    return page, status


@bp.route("/start")
def home() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    return _home(identity, MessageForm(formdata=None))


@bp.route("/messages", methods=["GET", "POST"])
def write_message() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = MessageForm()
    if not form.is_submitted():
        return redirect(url_for("portal.home"))
    if not form.validate():
        return _home(identity, form, 400)
    upload = form.attachment.data
    # One byte past the limit is enough to tell the file is too large.
    content = upload.stream.read(portal_attachments.MAX_FILE_BYTES + 1) if upload else None
    try:
        portal_attachments.write_from_her(identity, form.body.data, content)
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        if upload and exc.field != "attachment":
            # A browser cannot be handed a file back: say so rather than lose it silently.
            form.attachment.errors = [_("Choose the file again: it was not sent.")]
        return _home(identity, form, exc.status, error)
    db.session.commit()
    return redirect(url_for("portal.home", _anchor="messages"))


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(exc: Exception) -> Response | tuple[str, int]:
    """A request past the portal's limit (12 MB) was cut off before its form could be read.
    The page (and her script, which checks a file's size before it is sent) says why."""
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    if request.endpoint != "portal.write_message":
        return redirect(url_for("portal.home"))
    # The body was refused unread: the forms of the page must not try to read it again.
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    form = MessageForm(formdata=None)
    form.attachment.errors = [
        _("A file may be at most 10 MB. Your message was not sent: please write it again.")
    ]
    return _home(identity, form, 413)


@bp.route("/messages/attachment", methods=["GET", "POST"])
def open_attachment() -> Response | tuple[str, int]:
    """A file of her own thread, as a download: never shown in the page, never cached."""
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = AttachmentForm()
    if not form.is_submitted():
        return redirect(url_for("portal.home"))
    if not form.validate():
        return _home(identity, MessageForm(formdata=None), 400)
    try:
        attachment_id = uuid.UUID(form.attachment_id.data or "")
    except ValueError:
        abort(404)
    try:
        opened = portal_attachments.open_for_her(identity, attachment_id)
    except portal_attachments.PortalAttachmentNotFound:
        # Missing, of another case, cleared or erased: one answer for all.
        db.session.rollback()
        abort(404)
    db.session.commit()  # the audit entry of the opening
    return _download(opened)


def _download(opened: portal_attachments.AttachmentFile) -> Response:
    response = make_response(opened.content)
    # The type the stored bytes were sniffed and re-encoded as; a download, never a page.
    response.headers["Content-Type"] = opened.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{opened.file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/messages/clear", methods=["GET", "POST"])
def clear_message() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = ClearForm()
    if not form.is_submitted():
        return redirect(url_for("portal.home"))
    if not form.validate():
        return _home(identity, MessageForm(formdata=None), 400)
    try:
        message_id = uuid.UUID(form.message_id.data or "")
    except ValueError:
        abort(404)
    try:
        portal_messages.clear_for_her(identity, message_id)
    except portal_messages.PortalMessageNotFound:
        # Missing, of another case or cleared already: one answer for all three.
        db.session.rollback()
        abort(404)
    db.session.commit()
    return redirect(url_for("portal.home", _anchor="messages"))


@bp.route("/close", methods=["GET", "POST"])
def close() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = ConfirmForm()
    if not form.is_submitted():
        return render_template("portal/close.html", form=form), 200
    if not form.validate():
        return render_template("portal/close.html", form=form), 400
    portal_access.close(identity)
    sessions.end()
    db.session.commit()
    return render_template("portal/closed.html"), 200


@bp.route("/exit", methods=["GET", "POST"])
def quick_exit() -> Response:
    sessions.end()
    db.session.commit()
    response = redirect(current_runtime().config.portal.exit_url, code=303)
    # Whatever this site stored in her browser goes too.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/staying-safe")
def staying_safe() -> tuple[str, int]:
    return render_template("portal/staying_safe.html"), 200


@bp.app_errorhandler(404)
def not_found(_: Exception) -> tuple[str, int]:
    return render_template("portal/not_found.html"), 404
