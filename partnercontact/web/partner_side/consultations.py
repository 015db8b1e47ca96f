"""Talks between the two treaters, asked for from either side: the case's requests, asking
the client's treater for one, and recording one as held."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.auth.models import User
from partnercontact.partner_side import consultations
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.relay.consultations import ConsultationEntry
from partnercontact.relay.kinds import CONSULTATION_REASONS
from partnercontact.web.consultation_forms import AskForTalkForm, TalkHeldForm
from partnercontact.web.partner_side.pages import case_form
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import bp

ANCHOR = "consultations"


@bp.context_processor
def _consultation_labels() -> dict[str, object]:
    return {"consultation_reason_labels": CONSULTATION_REASONS}


@case_section(
    ANCHOR,
    order=6,
    template="partner_side/sections/consultations.html",
    view="now",
    anchors=(ANCHOR,),
)
def _consultations(actor: User, partner_case: PartnerCase) -> list[ConsultationEntry]:
    return consultations.consultations_of_case(actor, partner_case)


@bp.route("/cases/<uuid:case_id>/consultations/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def ask_for_consultation(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AskForTalkForm()
    return case_form(
        "partner_side/consultations/ask.html",
        form,
        case_id,
        lambda: consultations.ask_client_side(current_user, case_id, reason=form.reason.data),
        done=_("The client's treater was asked for a talk."),
        anchor=ANCHOR,
    )


@bp.route("/cases/<uuid:case_id>/consultations/<uuid:consultation_id>", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def consultation_held(case_id: uuid.UUID, consultation_id: uuid.UUID) -> Response | tuple[str, int]:
    form = TalkHeldForm()
    entry = consultations.consultation_of_case(current_user, case_id, consultation_id)
    return case_form(
        "partner_side/consultations/held.html",
        form,
        case_id,
        lambda: consultations.record_talk_held(
            current_user, case_id, consultation_id, held_on=form.held_on.data
        ),
        done=_("The talk was recorded as held."),
        anchor=ANCHOR,
        today_field="held_on",
        entry=entry,
    )
