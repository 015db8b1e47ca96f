"""The end of the client's treatment closes the partner contact (docs/domain.md, step 13).

Partner contact lives only as long as his treatment, so an ending marks the partner case as
closing whatever the consent lets her be told: the partner side offers her a closing session
and then closes the contact, unless she has started treatment of her own, which continues.
The mark carries the date and nothing else; how the treatment ended crosses only as a relay
event, and only when the consent covers it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.service import audit
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import kinds
from partnercontact.runtime import current_runtime
from partnercontact.tasks.queue import schedule

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.models import TreatmentEpisode


def start_closing(actor: User, episode: TreatmentEpisode, ended_on: date) -> None:
    """Every partner case of the episode that is not closing yet starts closing."""
    # Only the ids are read: the client side never loads a partner case itself.
    case_ids = db.session.scalars(
        select(PartnerCase.id)
        .where(PartnerCase.episode_id == episode.id, PartnerCase.closing_since.is_(None))
        .order_by(PartnerCase.partner_number)
    ).all()
    for case_id in case_ids:
        db.session.execute(
            update(PartnerCase)
            .where(PartnerCase.id == case_id)
            .values(closing_since=ended_on)
            .execution_options(synchronize_session=False)
        )
        audit(AuditAction.PARTNER_CONTACT_CLOSING, actor, "partner_case", case_id)
        # The closing session is planned by the worker, on the partner side: planning it
        # here would mean reading her answer for the client's treater.
        schedule(
            kinds.CLOSING_PLAN,
            current_runtime().clock.now(),
            f"{kinds.CLOSING_PLAN}:{case_id}",
            clinic_id=actor.clinic_id,
            partner_case_id=case_id,
        )
