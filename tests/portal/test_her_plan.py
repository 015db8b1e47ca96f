"""Her safe-contact plan in her hands: she sees it in plain words; less contact counts at once
(a text outside her new hours is refused by the safety gate), more contact waits for her
treater, who confirms or declines it; a newer act of hers replaces a proposal still open; and
of two decisions at once, one wins."""

from __future__ import annotations

import threading
from datetime import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.partner_side import contact, her_plan, portal_access, portal_tasks
from partnercontact.partner_side.her_own_models import PlanProposal
from partnercontact.partner_side.her_plan import NARROWER, SAME, WIDER, PlanTerms, change_between
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.rules import MessageRefused, latest_plan
from tests.factories import Factory
from tests.helpers import case_view, csrf_token, log_in, text_of
from tests.messaging.sending import Held, held_for_sms, queue
from tests.portal.test_portal_app import _invited, _post, _redeemed

EVERY_DAY = [str(day) for day in range(1, 8)]
# The plan first_steps_taken records: every way, every day, 08 to 20, letters safe.
PLAN_NOW = {
    "channels": ["phone", "sms", "letter"],
    "safe_days": EVERY_DAY,
    "safe_from": "08:00",
    "safe_until": "20:00",
    "letters_safe_at_address": "y",
}


def _form(**changes: Any) -> dict[str, Any]:
    return {**PLAN_NOW, **changes}


def _send_text(held: Held):
    return queue(held, "call_announcement", confirm_duplicate=True)


def _refused_text(held: Held) -> MessageRefused:
    with pytest.raises(MessageRefused) as refused:
        _send_text(held)
    db.session.rollback()
    return refused.value


def _identity(held: Held) -> PortalIdentity:
    invitation = portal_access.invite(held.holder.user, held.case.id)
    codename = portal_access.redeem(invitation.code, "en lång lösenfras här", address="192.0.2.9")
    identity = portal_access.log_in(codename, "en lång lösenfras här", address="192.0.2.9")
    db.session.commit()
    return identity


def _tasks(kind: str) -> list[PortalTask]:
    db.session.rollback()
    return list(db.session.scalars(select(PortalTask).where(PortalTask.kind == kind)))


# --- the one comparison -------------------------------------------------------------------------

BASE = PlanTerms(
    channels=frozenset({"phone", "sms"}),
    safe_days=frozenset({"1", "2", "3"}),
    safe_from=time(9),
    safe_until=time(17),
    voicemail_allowed=True,
    letters_safe_at_address=True,
    sender_name="Anna",
    opener="Hej, passar det?",
)


def _with(**changes: Any) -> PlanTerms:
    return PlanTerms(**{**BASE.__dict__, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Every field narrower on its own.
        ({"channels": frozenset({"sms"})}, NARROWER),
        ({"channels": frozenset()}, NARROWER),
        ({"safe_days": frozenset({"2"})}, NARROWER),
        ({"safe_from": time(10)}, NARROWER),
        ({"safe_until": time(12)}, NARROWER),
        ({"safe_from": time(10), "safe_until": time(12)}, NARROWER),
        ({"voicemail_allowed": False}, NARROWER),
        ({"letters_safe_at_address": False}, NARROWER),
        # All of them together.
        (
            {
                "channels": frozenset({"phone"}),
                "safe_days": frozenset({"1"}),
                "safe_from": time(12),
                "safe_until": time(13),
                "voicemail_allowed": False,
                "letters_safe_at_address": False,
            },
            NARROWER,
        ),
        # Every field wider on its own.
        ({"channels": frozenset({"phone", "sms", "letter"})}, WIDER),
        ({"channels": frozenset({"letter"})}, WIDER),  # one less and one more
        ({"safe_days": frozenset({"1", "2", "3", "6"})}, WIDER),
        ({"safe_days": frozenset({"4"})}, WIDER),
        ({"safe_from": time(8)}, WIDER),
        ({"safe_until": time(18)}, WIDER),
        ({"safe_from": time(8), "safe_until": time(12)}, WIDER),  # shifted, not within
        ({"safe_from": None, "safe_until": None}, WIDER),  # no window: any hour
        # Other changes are no safer by themselves: they wait.
        ({"sender_name": "Bodil"}, WIDER),
        ({"sender_name": None}, WIDER),
        ({"opener": "Hallå"}, WIDER),
        # Mixed: one field narrower, another wider.
        ({"channels": frozenset({"sms"}), "safe_days": frozenset({"1", "2", "3", "4"})}, WIDER),
        ({"voicemail_allowed": False, "safe_until": time(18)}, WIDER),
        ({"safe_days": frozenset({"1"}), "opener": "Hallå"}, WIDER),
        # Nothing changed.
        ({}, SAME),
    ],
)
def test_a_change_is_narrower_only_when_every_field_is_equal_or_narrower(
    changes: dict[str, object], expected: str
) -> None:
    assert change_between(BASE, _with(**changes)) == expected


def test_turning_voicemail_or_letters_on_widens() -> None:
    closed = _with(voicemail_allowed=False, letters_safe_at_address=False)
    assert change_between(closed, _with(letters_safe_at_address=False)) == WIDER
    assert change_between(closed, _with(voicemail_allowed=False)) == WIDER
    assert change_between(closed, closed) == SAME


def test_a_window_within_no_window_is_narrower() -> None:
    open_hours = _with(safe_from=None, safe_until=None)
    assert change_between(open_hours, BASE) == NARROWER
    assert change_between(open_hours, open_hours) == SAME


def test_without_a_plan_every_plan_widens_contact() -> None:
    assert change_between(None, _with(channels=frozenset())) == WIDER


# --- narrowing: in effect at once --------------------------------------------------------------


def test_she_sees_her_plan_in_plain_words(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    assert "/plan" in her.get("/start").text
    page = her.get("/plan")
    assert page.status_code == 200
    words = page.text
    assert "Telefonsamtal, Sms, Brev" in words
    assert "Från 08:00 till 20:00" in words
    assert "Vi lämnar aldrig röstmeddelanden" in words
    # The form starts from her plan as it is.
    assert 'value="08:00"' in words and 'value="20:00"' in words


def test_narrowing_takes_effect_at_once_and_tells_her_treater(
    her: FlaskClient, held: Held, clock
) -> None:
    _send_text(held)  # 10:00 in Stockholm, within 08 to 20: allowed
    _redeemed(her, _invited(held))
    answer = _post(her, "/plan", _form(safe_from="12:00", safe_until="16:00"))
    assert answer.status_code == 302, answer.text
    page = her.get("/plan").text
    assert "Din plan är ändrad. Den gäller från nu." in page
    assert "Från 12:00 till 16:00" in page

    plan = latest_plan(held.case)
    assert plan is not None and plan.version == 2 and plan.recorded_by_id is None
    assert (plan.safe_from, plan.safe_until) == (time(12), time(16))
    refused = _refused_text(held)
    assert refused.rule == "plan_fit" and refused.field == "at"
    [task] = _tasks(portal_tasks.PLAN_NARROWED)
    assert task.subject_id == plan.id and task.handled_at is None
    # At two o'clock the gate lets a text through again.
    clock.advance(hours=4)
    _send_text(held)


def test_turning_text_messages_off_refuses_every_text_at_once(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    answer = _post(her, "/plan", _form(channels=["phone", "letter"]))
    assert answer.status_code == 302
    refused = _refused_text(held)
    assert refused.rule == "plan_fit" and refused.field == "channel"


# --- a wider proposal waits for her treater ------------------------------------------------------


def _narrowed_to_afternoons(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    assert _post(her, "/plan", _form(safe_from="12:00", safe_until="16:00")).status_code == 302


def _decide(client: FlaskClient, held: Held, decision: str, proposal_id: object):
    page = f"/partner/cases/{held.case.id}/safe-contact/proposal"
    token = csrf_token(client, page)
    return client.post(
        page, data={"csrf_token": token, "proposal_id": str(proposal_id), "decision": decision}
    )


def test_a_wider_proposal_waits_until_her_treater_confirms_it(
    her: FlaskClient, client: FlaskClient, held: Held, clock
) -> None:
    _narrowed_to_afternoons(her, held)
    answer = _post(her, "/plan", _form(safe_from="09:00", safe_until="16:00"))
    assert answer.status_code == 302
    page = her.get("/plan").text
    assert "väntar på din kontakt på mottagningen" in page
    assert "Från 12:00 till 16:00" in page  # the plan is still as it was

    # The gate still refuses a text at ten.
    assert _refused_text(held).rule == "plan_fit"
    [task] = _tasks(portal_tasks.PLAN_PROPOSED)
    proposal = db.session.get(PlanProposal, task.subject_id)
    assert proposal is not None and proposal.state == "open" and proposal.recorded_by_id is None
    assert latest_plan(held.case).version == 2  # type: ignore[union-attr]

    # Her treater sees it on the case page and confirms it on its own page.
    log_in(client, held.holder, clock)
    case_page = text_of(client.get(case_view(held.case.id, "plan-proposed")))
    assert 'id="plan-proposed"' in case_page and 'id="plan-narrowed-by-her"' in case_page
    review = text_of(client.get(f"/partner/cases/{held.case.id}/safe-contact/proposal"))
    assert 'id="proposal-terms"' in review and "<strong>09:00–16:00</strong>" in review
    assert _decide(client, held, "confirm", proposal.id).status_code == 302

    plan = latest_plan(held.case)
    assert plan is not None and plan.version == 3 and plan.recorded_by_id == held.holder.user.id
    assert plan.safe_from == time(9)
    _send_text(held)  # the gate allows it now
    assert "din kontakt på mottagningen bekräftade" in her.get("/plan").text.lower()
    db.session.rollback()
    assert db.session.get(PlanProposal, proposal.id).plan_id == plan.id  # type: ignore[union-attr]
    assert _tasks(portal_tasks.PLAN_PROPOSED)[0].handled_at is not None
    assert db.session.scalar(
        select(AuditEvent.seq).where(AuditEvent.action == "partner.plan_proposal_confirmed")
    )


def test_a_declined_proposal_changes_nothing_and_she_sees_it(
    her: FlaskClient, client: FlaskClient, held: Held, clock
) -> None:
    _narrowed_to_afternoons(her, held)
    _post(her, "/plan", _form(safe_from="09:00", safe_until="16:00"))
    proposal = her_plan.open_proposal_of(held.case)
    assert proposal is not None
    log_in(client, held.holder, clock)
    assert _decide(client, held, "decline", proposal.id).status_code == 302
    assert latest_plan(held.case).version == 2  # type: ignore[union-attr]
    assert _refused_text(held).rule == "plan_fit"
    assert "bekräftade inte" in her.get("/plan").text
    # Deciding again is refused on the page, never a server error.
    again = _decide(client, held, "confirm", proposal.id)
    assert again.status_code == 409 and 'id="proposal_id-error"' not in again.text
    assert "inte längre öppet" in text_of(again)


def test_a_newer_proposal_replaces_the_open_one(
    her: FlaskClient, client: FlaskClient, held: Held, clock
) -> None:
    _narrowed_to_afternoons(her, held)
    _post(her, "/plan", _form(safe_from="09:00", safe_until="16:00"))
    first = her_plan.open_proposal_of(held.case)
    _post(her, "/plan", _form(safe_from="11:00", safe_until="16:00"))
    assert "ersätter förslaget du skickade tidigare" in her.get("/plan").text
    db.session.rollback()
    second = her_plan.open_proposal_of(held.case)
    assert first is not None and second is not None and second.id != first.id
    assert db.session.get(PlanProposal, first.id, populate_existing=True).state == "replaced"  # type: ignore[union-attr]
    log_in(client, held.holder, clock)
    assert _decide(client, held, "confirm", first.id).status_code == 409
    assert _decide(client, held, "confirm", second.id).status_code == 302
    assert latest_plan(held.case).safe_from == time(11)  # type: ignore[union-attr]


def test_narrowing_after_a_proposal_replaces_it_so_it_cannot_undo_the_narrowing(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    _post(her, "/plan", _form(safe_from="07:00"))  # wider: a proposal
    proposal = her_plan.open_proposal_of(held.case)
    assert proposal is not None
    _post(her, "/plan", _form(channels=["phone", "letter"]))  # narrower: no more texts
    db.session.rollback()
    assert her_plan.open_proposal_of(held.case) is None
    with pytest.raises(her_plan.ProposalGone):
        her_plan.confirm_proposal(held.holder.user, held.case.id, proposal.id)
    db.session.rollback()
    assert latest_plan(held.case).sms_allowed is False  # type: ignore[union-attr]


def test_a_proposal_is_not_confirmed_over_a_plan_changed_since(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    _post(her, "/plan", _form(safe_from="07:00"))
    proposal = her_plan.open_proposal_of(held.case)
    assert proposal is not None
    contact.save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        contact.SafeContactPlanIn(
            channels=["phone"], safe_days=["1"], safe_from=time(9), safe_until=time(10)
        ),
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        her_plan.confirm_proposal(held.holder.user, held.case.id, proposal.id)
    db.session.rollback()
    assert refused.value.field == "proposal_id"
    assert latest_plan(held.case).phone_allowed and not latest_plan(held.case).sms_allowed  # type: ignore[union-attr]
    assert db.session.get(PlanProposal, proposal.id).state == "open"  # type: ignore[union-attr]


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_is_refused_on_its_field_with_what_she_typed_kept(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    bad_time = _post(her, "/plan", _form(safe_from="kl tolv"))
    assert bad_time.status_code == 400
    assert 'id="safe_from-error"' in bad_time.text and 'value="kl tolv"' in bad_time.text
    no_days = _post(her, "/plan", _form(safe_days=[]))
    assert no_days.status_code == 400 and 'id="safe_days-error"' in no_days.text
    backwards = _post(her, "/plan", _form(safe_from="16:00", safe_until="12:00"))
    assert backwards.status_code == 400 and 'id="safe_until-error"' in backwards.text
    assert 'value="16:00"' in backwards.text
    letters = _post(her, "/plan", _form(letters_safe_at_address=""))
    assert letters.status_code == 400 and 'id="letters_safe_at_address-error"' in letters.text
    unchanged = _post(her, "/plan", _form())
    assert unchanged.status_code == 400 and "Inget ändrades" in unchanged.text
    db.session.rollback()
    assert latest_plan(held.case).version == 1  # type: ignore[union-attr]
    assert her_plan.open_proposal_of(held.case) is None


def test_only_her_treater_decides_and_another_case_answers_not_found(
    factory: Factory, her: FlaskClient, client: FlaskClient, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    _post(her, "/plan", _form(safe_from="07:00"))
    proposal = her_plan.open_proposal_of(held.case)
    assert proposal is not None
    other = held_for_sms(factory, clock)
    log_in(client, other.holder, clock)
    page = f"/partner/cases/{other.case.id}/safe-contact/proposal"
    token = csrf_token(client, page)
    wrong_case = client.post(
        page, data={"csrf_token": token, "proposal_id": str(proposal.id), "decision": "confirm"}
    )
    assert wrong_case.status_code == 404
    assert client.get(f"/partner/cases/{held.case.id}/safe-contact/proposal").status_code == 404
    db.session.rollback()
    assert db.session.get(PlanProposal, proposal.id).state == "open"  # type: ignore[union-attr]


# --- at the same moment -------------------------------------------------------------------------


def _earlier(minutes_past_five: int) -> PlanTerms:
    """Every way, every day, from 05:xx (earlier each round: always wider) until 20."""
    return PlanTerms.given(
        channels=["phone", "sms", "letter"],
        safe_days=EVERY_DAY,
        safe_from=time(5, minutes_past_five),
        safe_until=time(20),
        voicemail_allowed=False,
        letters_safe_at_address=True,
    )


def _race(
    app, identity: PortalIdentity, holder_id: int, proposal_id, newer: PlanTerms
) -> list[str]:
    """Two confirmations of ``proposal_id`` by her treater and her ``newer`` plan, released at
    the same instant, each in its own session as in a web request; what each ended in."""
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def confirm() -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit.
            defer_appends_until_commit()
            actor = db.session.get(User, holder_id)
            barrier.wait()
            try:
                her_plan.confirm_proposal(actor, identity.partner_case_id, proposal_id)
                db.session.commit()
                outcomes.append("confirmed")
            except Conflict:
                outcomes.append("refused")
            finally:
                db.session.rollback()
                db.session.remove()

    def replace() -> None:
        with app.app_context():
            defer_appends_until_commit()
            barrier.wait()
            try:
                her_plan.change_plan_by_her(identity, newer)
                db.session.commit()
                outcomes.append("proposed")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=target) for target in (confirm, confirm, replace)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_confirmation_and_her_new_proposal_at_once_make_one_outcome(app, held: Held) -> None:
    """Her treater confirms her proposal while she replaces it, and two confirmations race:
    each proposal ends in exactly one state, the plan gets a new version only if a confirmation
    won, and her newer proposal is never lost. Several rounds, so the requests really overlap."""
    identity = _identity(held)
    holder_id, case_id = held.holder.user.id, held.case.id
    for number in range(4):
        partner_case = db.session.get(PartnerCase, case_id)
        assert partner_case is not None
        her_plan.change_plan_by_her(identity, _earlier(50 - 10 * number))
        db.session.commit()
        proposal_id = her_plan.open_proposal_of(partner_case).id  # type: ignore[union-attr]
        version_before = latest_plan(partner_case).version  # type: ignore[union-attr]
        db.session.remove()

        outcomes = _race(app, identity, holder_id, proposal_id, _earlier(45 - 10 * number))

        assert len(outcomes) == 3 and outcomes.count("proposed") == 1, outcomes
        assert outcomes.count("confirmed") <= 1, outcomes
        partner_case = db.session.get(PartnerCase, case_id)
        assert partner_case is not None
        row = db.session.get(PlanProposal, proposal_id, populate_existing=True)
        assert row is not None
        expected = "confirmed" if "confirmed" in outcomes else "replaced"
        assert row.state == expected
        plan = latest_plan(partner_case)
        assert plan is not None
        assert plan.version == version_before + (1 if expected == "confirmed" else 0)
        open_now = her_plan.open_proposal_of(partner_case)
        assert open_now is not None and open_now.id != proposal_id
        # The next round starts afresh: her treater declines what is left open.
        her_plan.decline_proposal(db.session.get(User, holder_id), case_id, open_now.id)  # type: ignore[arg-type]
        db.session.commit()
