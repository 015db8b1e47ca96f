"""The case page loads what it shows in a fixed number of statements, whatever the number of
rows in each of its sections: a section that went back to a query per row fails here."""

from __future__ import annotations

import uuid
from datetime import timedelta

from partnercontact.auth.models import User
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.partner_side import (
    clinical,
    contact,
    portal_access,
    portal_messages,
    portal_requests,
    sending,
)
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import latest_note
from partnercontact.web.partner_side.sections import VIEWS
from tests.helpers import log_in, sql_statements, text_of
from tests.ratings import rated
from tests.web.canary import PORTAL_LOGINS, seed_case

CAP = 15


def test_each_view_of_the_case_page_costs_the_same_statements_with_twice_the_records(
    app, factory, clock
) -> None:
    holder = factory.partner_treater()
    case = seed_case(
        factory,
        clock,
        tag="Forsta",
        number=1,
        client_treater=factory.client_treater(),
        partner_treater=holder,
    )
    client = app.test_client()
    log_in(client, holder, clock)
    urls = {view.key: f"/partner/cases/{case.case_id}?view={view.key}" for view in VIEWS}

    def counted() -> tuple[dict[str, int], dict[str, str]]:
        counts, pages = {}, {}
        for key, url in urls.items():
            client.get(url)  # her unread messages are marked read by the first look
            with sql_statements() as sent:
                page = client.get(url)
            assert page.status_code == 200
            counts[key], pages[key] = len(sent), text_of(page)
        return counts, pages

    once, pages = counted()
    assert "KanarieForstaLamplighet" in pages["contact"]
    _more_of_everything(holder.user, case.case_id, clock)
    twice, pages = counted()

    assert "KanarieAndraBarn" in pages["safety"] and "KanarieAndraSvar" in pages["texts"]
    assert twice == once
    # The session with its user and the menu's count, the case, about one per kind of record
    # the view shows (a section that needs one of them too reads it from what the page read),
    # and the audit append: the lock with the chain's tail, one insert (on SQLite the lock is
    # a statement of its own). At most 15 (14 on PostgreSQL); the whole case on one page took
    # 37.
    assert max(once.values()) <= CAP, once


def _more_of_everything(holder: User, case_id: uuid.UUID, clock: FixedClock) -> None:
    """A second record of each kind the case page lists, recorded as its treater would."""
    clock.advance(minutes=5)
    now = clock.now()
    partner_case = db.session.get_one(PartnerCase, case_id)
    contact.decide_suitability(holder, case_id, decision="contact")
    contact.record_attempt(
        holder, case_id, channel="phone", outcome="reached", attempted_at=now,
        called_in=True, safe_to_talk=True,
    )  # fmt: skip
    contact.record_threat_warning(holder, case_id, reason="KanarieAndraHot")
    sending.record_send_decision(holder, case_id, "sms", "KanarieAndraUtskick")
    clinical.record_risk_assessment(
        holder, case_id, instrument="freda_danger", ratings=rated("freda_danger"),
        assessed_on=now.date(), level="low",
        next_review_on=now.date() + timedelta(days=30), notes="KanarieAndraRisk",
    )  # fmt: skip
    child = clinical.record_child(
        holder,
        case_id,
        clinical.ChildDetails(
            label="KanarieAndraBarn", age=4, lives_with_client=False,
            regular_contact_with_client=False,
        ),
    )  # fmt: skip
    clinical.save_safety_plan(holder, case_id, child_id=None, content="KanarieAndraPlan")
    clinical.save_safety_plan(holder, case_id, child_id=child.id, content="KanarieAndraBarnplan")
    clinical.record_concern_report(
        holder, case_id, reported_on=now.date(), board="KanarieAndraNamnd",
        reason="witnessing_violence", child_id=child.id,
    )  # fmt: skip
    receive_inbound(
        f"SM{uuid.uuid4().hex}", latest_note(partner_case).phone, "KanarieAndraSvar", now
    )
    portal_messages.write_to_her(holder, case_id, "KanarieAndraTillHenne")
    codename, passphrase = PORTAL_LOGINS[case_id]
    identity = portal_access.log_in(codename, passphrase, address="192.0.2.10")
    clock.advance(seconds=1)
    portal_messages.write_from_her(identity, "KanarieAndraFranHenne")
    portal_requests.report_new_violence(identity, "KanarieAndraVald")
    db.session.commit()
