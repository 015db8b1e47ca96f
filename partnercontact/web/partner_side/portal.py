"""Her own channel, from her treater's side: offer it (a one-time code to read out on the
phone, shown once), see whether she uses it or is locked out, end her access at once, and the
messages between her and her treater (the thread with both sides' read marks, and writing to
her). A file with a message opens only after a page that asks first, and then as a download."""

from __future__ import annotations

import uuid

from flask import abort, make_response, redirect, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import (
    portal_access,
    portal_attachments,
    portal_messages,
    portal_notices,
)
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.partner_side.pages import ConfirmForm, case_form, form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp, case_url

OFFER = "partner_side/portal/offer.html"
REVOKE = "partner_side/portal/revoke.html"
WRITE = "partner_side/portal/message.html"
ATTACHMENT = "partner_side/portal/attachment.html"


class PortalMessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message to her"),
        render_kw={"rows": 5, "maxlength": portal_messages.MAX_BODY_LENGTH},
    )
    attachment = FileField(
        _l("A photo or a PDF (if needed)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"},
    )

    def file_content(self) -> bytes | None:
        """The chosen file's bytes, one past the limit at most (enough to refuse it)."""
        upload = self.attachment.data
        return upload.stream.read(portal_attachments.MAX_FILE_BYTES + 1) if upload else None


class OpenAttachmentForm(FlaskForm):
    """The file to open, named in the form; ``confirmed`` is set by the page that asks."""

    attachment_id = HiddenField()
    confirmed = HiddenField()


@case_section(
    "portal",
    order=16,
    template="partner_side/sections/portal.html",
    view="channel",
    anchors=(
        "portal-locked",
        "portal-active",
        "portal-notices",
        "portal-invited",
        "portal-messages",
        "portal-thread",
        "portal-write",
        "portal-tasks",
        "portal-task-list",
        "invitation-code",
    ),
)
def _portal_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    named = partners.is_named_for(actor, partner_case)
    return {
        "state": portal_access.access_state(partner_case),
        "address": current_runtime().config.portal.public_url,
        # Reading the thread marks her messages read (and is audited).
        "thread": portal_messages.thread_for_treater(actor, partner_case.id) if named else None,
        "attachments": (
            portal_attachments.attachments_for_treater(actor, partner_case.id) if named else {}
        ),
        "message_form": PortalMessageForm(formdata=None),
        # Whether she has texts about new messages on: never the words she chose.
        "notices": portal_notices.notices_for_treater(partner_case),
    }


@bp.route("/cases/<uuid:case_id>/portal/messages", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def write_portal_message(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = PortalMessageForm()
    return case_form(
        WRITE,
        form,
        case_id,
        lambda: portal_attachments.write_to_her(
            current_user, case_id, form.body.data, form.file_content()
        ),
        done=_("Your message is in her own channel."),
        anchor="portal-messages",
    )


@bp.route("/cases/<uuid:case_id>/portal/attachment", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def open_portal_attachment(case_id: uuid.UUID) -> Response | tuple[str, int]:
    """A file of her thread: first a page that says what it is and asks, then (confirmed)
    the file as a download. Never shown inline, never cached: a PDF is not rendered by the
    browser, and a photo does not stay on the screen or in the browser's cache."""
    form = OpenAttachmentForm()
    if not form.is_submitted():
        # Only the holder is sent on to the case; anyone else learns nothing, as for a case
        # that does not exist.
        partners.held_case_for(current_user, case_id, audited=False)
        return redirect(case_url(case_id, "portal-messages"))
    if not form.validate():
        abort(400)
    try:
        attachment_id = uuid.UUID(form.attachment_id.data or "")
    except ValueError:
        abort(404)
    if form.confirmed.data != "yes":
        entry = portal_attachments.attachment_for_treater(current_user, case_id, attachment_id)
        return form_page(ATTACHMENT, form, case_id, file=entry)
    opened = portal_attachments.open_for_treater(current_user, case_id, attachment_id)
    db.session.commit()  # the audit entry of the opening
    response = make_response(opened.content)
    response.headers["Content-Type"] = opened.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{opened.file_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<uuid:case_id>/portal/offer", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def offer_portal(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ConfirmForm()
    if not form.is_submitted():
        return form_page(OFFER, form, case_id)
    if not form.validate():
        return form_page(OFFER, form, case_id, 400)
    try:
        invitation = portal_access.invite(current_user, case_id)
    except DomainError as exc:
        return form_refused(OFFER, form, case_id, exc)
    db.session.commit()
    # The code is on this answer only: never in an address, a message or a flash.
    page = render_template(
        "partner_side/portal/code.html",
        case=partners.partner_case_for(current_user, case_id, audited=False),
        reference=partners.reference_of_id(case_id),
        invitation=invitation,
        address=current_runtime().config.portal.public_url,
    )
    return page, 200


@bp.route("/cases/<uuid:case_id>/portal/revoke", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def revoke_portal(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ConfirmForm()
    if not form.is_submitted():
        return form_page(REVOKE, form, case_id)
    if not form.validate():
        return form_page(REVOKE, form, case_id, 400)
    try:
        portal_access.revoke(current_user, case_id)
    except DomainError as exc:
        return form_refused(REVOKE, form, case_id, exc)
    db.session.commit()
    return back_to_case(case_id, _("Her access to her own channel is ended."), "portal")
