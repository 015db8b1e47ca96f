"""Pages for the partner-contact treater: the inbox and the case page. Never imports another
audience's views."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.reassignment import cases_moved_to
from partnercontact.partner_side.vocabulary import ANSWERS
from partnercontact.partner_side.worklist import worklist
from partnercontact.policy import Permission, requires
from partnercontact.remembered import remembering
from partnercontact.runtime import current_runtime
from partnercontact.web.partner_side.sections import (
    DEFAULT_VIEW,
    VIEWS,
    CaseInvalid,
    case_section,
    sections_for,
    view_named,
    view_of_anchor,
)

bp = Blueprint("partner_side", __name__, url_prefix="/partner", template_folder="templates")


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"answer_labels": ANSWERS}


@bp.route("/")
@requires(Permission.PARTNER_SIDE_VIEW)
def home() -> str:
    with remembering():
        items = partners.inbox(current_user)
        moved = cases_moved_to(current_user, [item.case_id for item in items])
        page = render_template(
            "partner_side/home.html",
            items=items,
            work=worklist(current_user),
            moved_to_me=moved,
        )
    db.session.commit()  # the audit entry of the read
    return page


@bp.app_template_global()
def case_url(case_id: uuid.UUID, anchor: str | None = None) -> str:
    """The case page, on the view that shows ``anchor`` when one is given."""
    if anchor is None:
        return case_view_url(case_id, DEFAULT_VIEW)
    return case_view_url(case_id, view_of_anchor(anchor), anchor)


@bp.app_template_global()
def case_view_url(case_id: uuid.UUID, view: str, anchor: str | None = None) -> str:
    """The case page on ``view`` (the first view without a parameter: the plain link)."""
    return url_for(
        "partner_side.case",
        case_id=case_id,
        view=None if view == DEFAULT_VIEW else view,
        _anchor=anchor,
    )


@bp.route("/cases/<uuid:case_id>")
@requires(Permission.PARTNER_CASES_WORK)
def case(case_id: uuid.UUID) -> str:
    view = view_named(request.args.get("view", DEFAULT_VIEW))
    if view is None:
        raise CaseInvalid(_l("There is no such part of the case page."), field="view")
    # Its sections ask some of the same questions (is he named for her, which plan is in
    # force): each is read once for the whole page.
    with remembering():
        partner_case = partners.partner_case_for(current_user, case_id)
        held = partners.works_on(current_user, partner_case)
        page = render_template(
            "partner_side/case.html",
            case=partner_case,
            reference=partners.reference_of(partner_case),
            held=held,
            views=VIEWS,
            view=view,
            sections=sections_for(current_user, partner_case, view.key) if held else [],
        )
    db.session.commit()  # the audit entries of the reads
    return page


def back_to_case(case_id: uuid.UUID, message: str, anchor: str | None = None) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(case_url(case_id, anchor))


@bp.route("/cases/<uuid:case_id>/pick-up", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
def pick_up(case_id: uuid.UUID) -> Response:
    partners.pick_up(current_user, case_id)
    return back_to_case(case_id, _("You now hold the case."))


@bp.route("/cases/<uuid:case_id>/protected", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def mark_protected(case_id: uuid.UUID) -> Response | str:
    """A confirmation page (GET) before the marking (POST)."""
    if request.method == "GET":
        partner_case = partners.held_case_for(current_user, case_id)
        page = render_template(
            "partner_side/protected.html",
            case=partner_case,
            reference=partners.reference_of(partner_case),
        )
        db.session.commit()
        return page
    partners.mark_protected(current_user, case_id)
    return back_to_case(case_id, _("The partner is marked as having protected personal data."))


@bp.route("/cases/<uuid:case_id>/named-staff", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
def name_staff(case_id: uuid.UUID) -> Response:
    user_id = request.form.get("user_id", type=int)
    if user_id is None:
        user_id = 0  # never an account: the service answers "choose a treater"
    partners.name_staff(current_user, case_id, user_id)
    return back_to_case(case_id, _("The colleague may now see the partner's details."))


@case_section("details", order=10, template="partner_side/sections/details.html", view="her")
def _details(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    entries = partners.partner_details(actor, partner_case)
    if entries is not None:
        partners.mark_corrections_seen(entries, current_runtime().clock.now())
    return {
        "entries": entries,
        "colleagues": partners.colleagues_to_name(actor) if partner_case.protected_identity else [],
    }
