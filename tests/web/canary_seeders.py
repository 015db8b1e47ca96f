"""What the partner side can record, each text field holding a canary. Registered into
:data:`tests.web.canary.SEEDERS` on import."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import time, timedelta

from partnercontact.auth.models import User
from partnercontact.clock import FixedClock
from partnercontact.partner_side import (
    clinical,
    contact,
    own_details,
    portal_access,
    portal_messages,
    portal_notices,
    portal_requests,
    sending,
)
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import sessions
from partnercontact.partner_side.service import latest_note, mark_protected
from partnercontact.runtime import current_runtime
from tests.ratings import rated
from tests.web.canary import ESCALATION, HER, PARTNER, PORTAL_LOGINS, SEEDERS

Marker = Callable[[str], str]


def contact_work(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    clock = current_runtime().clock
    now = clock.now()
    case_id = partner_case.id
    contact.decide_suitability(
        holder, case_id, decision="no_contact", reason="other", note=marker("Lamplighet")
    )
    # The newest decision counts: the second one is recorded a moment later, not at the same
    # instant of the test's fixed clock.
    assert isinstance(clock, FixedClock)
    clock.advance(seconds=1)
    contact.decide_suitability(holder, case_id, decision="contact")
    contact.save_safe_contact_plan(
        holder,
        case_id,
        contact.SafeContactPlanIn(
            channels=["phone", "sms"],
            safe_days=["1", "2", "3", "4", "5"],
            safe_from=time(8),
            safe_until=time(20),
            sender_name=marker("Avsandare"),
            opener=marker("Oppningsfras"),
        ),
    )
    # She called the clinic (the client's consent names letters and texts, not calls).
    contact.record_attempt(
        holder,
        case_id,
        channel="phone",
        outcome="reached",
        attempted_at=now - timedelta(hours=1),
        called_in=True,
        safe_to_talk=True,
    )
    contact.record_answer(
        holder,
        case_id,
        answer="accepted",
        answered_on=now.date(),
        scopes=["contact_phone", "told_when_ended"],
    )
    # Before she ends the contact, which cancels what is still planned.
    markers = contact_sessions(holder, partner_case, marker)
    markers |= portal_work(holder, partner_case, marker)
    contact.end_contact(holder, case_id, ended_on=now.date())
    contact.record_threat_warning(holder, case_id, reason=marker("Hot"))
    mark_protected(holder, case_id)
    sending.record_send_decision(holder, case_id, "sms", marker("Utskicksbeslut"))
    return {
        **markers,
        marker("Lamplighet"): PARTNER,
        # Agreed with her and in every text she gets: hers to read in her portal's plan too.
        marker("Avsandare"): HER,
        marker("Oppningsfras"): HER,
        marker("Utskicksbeslut"): PARTNER,
        # A manager reads the reason to confirm the warning; the client side never does.
        marker("Hot"): ESCALATION,
    }


PORTAL_PASSPHRASE = "kanariefågeln sjunger i gruvan"


def portal_work(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    """Her portal in use: her treater invites her (a call, which her plan allows), she redeems
    the code, they write to each other, she chooses the words of her notices, reports new
    violence in words of her own, and gives a safer number and address of her own (which her
    portal shows only by their last digits)."""
    invitation = portal_access.invite(holder, partner_case.id)
    address = "192.0.2.10"
    codename = portal_access.redeem(invitation.code, PORTAL_PASSPHRASE, address=address)
    identity = portal_access.log_in(codename, PORTAL_PASSPHRASE, address=address)
    PORTAL_LOGINS[partner_case.id] = (codename, PORTAL_PASSPHRASE)
    portal_messages.write_to_her(holder, partner_case.id, marker("TillHenne"))
    current_runtime().clock.advance(seconds=1)  # type: ignore[attr-defined]
    portal_messages.write_from_her(identity, marker("FranHenne"))
    portal_notices.save_notice_settings(identity, enabled=True, words=marker("Aviseringsord"))
    own_number = f"072555{len(PORTAL_LOGINS):04d}"
    own_details.give_own_details(identity, phone=own_number, address=marker("EgenAdress"))
    return {
        marker("TillHenne"): HER,
        marker("FranHenne"): HER,
        marker("Aviseringsord"): HER,
        # Hers, but her portal does not show them back: her treater's to read.
        marker("EgenAdress"): PARTNER,
        own_number[1:]: PARTNER,
    }


def violence_reported(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    """She reports new violence in her portal, in words of her own (after the clinical work,
    whose handling of the urgent tasks would otherwise see her report to as well)."""
    codename, passphrase = PORTAL_LOGINS[partner_case.id]
    identity = portal_access.log_in(codename, passphrase, address="192.0.2.10")
    portal_requests.report_new_violence(identity, marker("NyttVald"))
    # Hers, but her portal does not show them back: her treater's to read.
    return {marker("NyttVald"): PARTNER}


def clinical_work(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    today = current_runtime().clock.now().date()
    case_id = partner_case.id
    clinical.record_risk_assessment(
        holder,
        case_id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=today,
        level="high",
        next_review_on=today + timedelta(days=30),
        notes=marker("Riskanteckning"),
    )
    for task in clinical.urgent_tasks_of_case(holder, partner_case):
        if task.for_role == "partner_treater":
            clinical.handle_urgent_task(holder, case_id, task.id, handling=marker("Hantering"))
    child = clinical.record_child(
        holder,
        case_id,
        clinical.ChildDetails(
            label=marker("Barn"), age=7, lives_with_client=False, regular_contact_with_client=True
        ),
    )
    clinical.save_safety_plan(holder, case_id, child_id=None, content=marker("Sakerhetsplan"))
    clinical.save_safety_plan(holder, case_id, child_id=child.id, content=marker("Barnplan"))
    clinical.record_concern_report(
        holder,
        case_id,
        reported_on=today,
        board=marker("Namnd"),
        reason="witnessing_violence",
        child_id=child.id,
    )
    return {
        marker(what): PARTNER
        for what in ("Riskanteckning", "Hantering", "Barn", "Sakerhetsplan", "Barnplan", "Namnd")
    }


def replies(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    """A text message from her, matched to her case by the number handed over."""
    note = latest_note(partner_case)
    receive_inbound(
        f"SM{uuid.uuid4().hex}",
        note.phone,
        marker("Svarsmeddelande"),
        current_runtime().clock.now(),
    )
    return {marker("Svarsmeddelande"): PARTNER}


def contact_sessions(holder: User, partner_case: PartnerCase, marker: Marker) -> dict[str, str]:
    """A session of the contact plan (planned when she accepted, in :func:`contact_work`),
    recorded with a note."""
    planned = [s for s in sessions.sessions_of(holder, partner_case) if s.state == "to_book"]
    assert planned, "contact_work's acceptance plans the sessions"
    sessions.record_session(
        holder,
        partner_case.id,
        planned[0].id,
        outcome="cancelled",
        note=marker("Sessionsanteckning"),
    )
    return {marker("Sessionsanteckning"): PARTNER}


SEEDERS.extend([contact_work, clinical_work, violence_reported, replies])
