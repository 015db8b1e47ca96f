"""A page's reads are remembered only while nothing is written: a page that changes what it
read sees the change at once, and a session outside a page sees what others commit."""

from __future__ import annotations

from datetime import time

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.rules import latest_plan
from partnercontact.remembered import remembering
from tests.portal.conftest import Held


def _plan(until: int) -> contact.SafeContactPlanIn:
    return contact.SafeContactPlanIn(
        channels=["phone", "sms"],
        safe_days=["1", "2", "3", "4", "5"],
        safe_from=time(9),
        safe_until=time(until),
        sender_name="",
        opener="",
    )


def test_a_change_made_while_remembering_is_read_back_at_once(held: Held) -> None:
    treater = held.holder.user
    with remembering():
        before = latest_plan(held.case)
        assert before is not None and latest_plan(held.case) is before
        contact.save_safe_contact_plan(treater, held.case.id, _plan(until=15))
        after = latest_plan(held.case)
        assert after is not None and after.version == before.version + 1
        assert after.safe_until == time(15)
    db.session.rollback()


def test_outside_a_page_every_read_asks_the_database(held: Held) -> None:
    first = latest_plan(held.case)
    assert first is not None
    # Another session commits a newer plan: this one, outside remembering, sees it.
    other = db.session.session_factory()
    try:
        case = other.get(type(held.case), held.case.id)
        assert case is not None
        newer = type(first)(
            partner_case_id=case.id,
            data_key_id=case.data_key_id,
            version=first.version + 1,
            phone_allowed=True,
            sms_allowed=False,
            letter_allowed=False,
            safe_days=first.safe_days,
            safe_from=first.safe_from,
            safe_until=first.safe_until,
            recorded_by_id=held.holder.user.id,
            recorded_at=first.recorded_at,
        )
        other.add(newer)
        other.commit()
    finally:
        other.close()
    seen = latest_plan(held.case)
    assert seen is not None and seen.version == first.version + 1
