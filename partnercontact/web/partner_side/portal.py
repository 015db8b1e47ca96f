"""Her own channel, from her treater's side: offer it (a one-time code to read out on the
phone, shown once), see whether she uses it or is locked out, end her access at once, and the
messages between her and her treater (the thread with both sides' read marks, and writing to
her)."""

from __future__ import annotations

import uuid

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_access, portal_messages
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.partner_side.pages import ConfirmForm, case_form, form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

OFFER = "partner_side/portal/offer.html"
REVOKE = "partner_side/portal/revoke.html"
WRITE = "partner_side/portal/message.html"


class PortalMessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message to her"),
        render_kw={"rows": 5, "maxlength": portal_messages.MAX_BODY_LENGTH},
    )


@bp.context_processor
def _portal_counts() -> dict[str, object]:
    # Called by the home page only; counted when the page asks, not on every page.
    return {"portal_unread": lambda: _unread_by_case(current_user)}


def _unread_by_case(actor: User) -> list[dict[str, object]]:
    return [
        {"case_id": case_id, "reference": partners.reference_of_id(case_id), "count": count}
        for case_id, count in portal_messages.unread_from_her_by_case(actor).items()
    ]


@case_section("portal", order=16, template="partner_side/sections/portal.html")
def _portal_section(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    named = partners.is_named_for(actor, partner_case)
    return {
        "state": portal_access.access_state(partner_case),
        "address": current_runtime().config.portal.public_url,
        # Reading the thread marks her messages read (and is audited).
        "thread": portal_messages.thread_for_treater(actor, partner_case.id) if named else None,
        "message_form": PortalMessageForm(formdata=None),
    }


@bp.route("/cases/<uuid:case_id>/portal/messages", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def write_portal_message(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = PortalMessageForm()
    return case_form(
        WRITE,
        form,
        case_id,
        lambda: portal_messages.write_to_her(current_user, case_id, form.body.data),
        done=_("Your message is in her own channel."),
        anchor="portal-messages",
    )


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
