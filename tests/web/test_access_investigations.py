"""What a manager can learn of one partner from the access log: who read or changed her case
and when, never what was done; the detailed trail only through an investigation with a stated
reason, which is audited and shown to the treater who holds the case."""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AccessInvestigation, AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.clinical import record_risk_assessment
from partnercontact.partner_side.service import partner_case_for, pick_up
from tests.factories import Account, Factory
from tests.helpers import case_view, log_in, submit, text_of
from tests.partners.conftest import handed_over_case
from tests.ratings import rated

LOG = "/management/access-log"
NEW = "/management/access-log/investigations/new"
_ENTRY = re.compile(
    r'<tr class="log-entry">\s*<td>[^<]*</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*'
    r"<td>(.*?)</td>\s*<td>(.*?)</td>",
    re.S,
)
# What the access log would say of her, were the partner side's tags shown.
STORY = (
    "Contact attempt recorded",
    "Partner's answer recorded",
    "Partner's consent recorded",
    "Safe ways of contact saved",
    "Threat warning recorded",
    "Risk assessment recorded",
    "Suitability decided",
    "Kontaktförsök registrerat",
    "Hotvarning registrerad",
)


def _plan() -> contact.SafeContactPlanIn:
    return contact.SafeContactPlanIn(
        channels=["phone"],
        safe_days=[str(day) for day in range(1, 8)],
        safe_from=time(8),
        safe_until=time(20),
        opener="Hej, det gäller din tid hos vårdcentralen.",
    )


def _reached(holder: Account, case_id: uuid.UUID, clock) -> None:
    contact.decide_suitability(holder.user, case_id, decision="contact")
    contact.save_safe_contact_plan(holder.user, case_id, _plan())
    # She called the clinic (the client's consent names letters and texts, not calls).
    contact.record_attempt(
        holder.user,
        case_id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now() - timedelta(minutes=30),
        called_in=True,
        safe_to_talk=True,
    )


def accepted(holder: Account, case_id: uuid.UUID, clock) -> None:
    """Reached and accepted, with her consent (six changes), and the case opened once more
    (so that the three stories have as many reads)."""
    _reached(holder, case_id, clock)
    partner_case_for(holder.user, case_id)
    contact.record_answer(
        holder.user,
        case_id,
        answer="accepted",
        answered_on=clock.now().date(),
        scopes=["contact_phone"],
    )


def declined(holder: Account, case_id: uuid.UUID, clock) -> None:
    """Reached, declined, and a threat warning recorded for her (six changes)."""
    _reached(holder, case_id, clock)
    contact.record_answer(holder.user, case_id, answer="declined", answered_on=clock.now().date())
    contact.record_threat_warning(holder.user, case_id, reason="Han har sagt att han ska leta.")


def never_contacted(holder: Account, case_id: uuid.UUID, clock) -> None:
    """Never contacted: decisions and risk assessments only (six changes)."""
    for _ in range(3):
        contact.decide_suitability(holder.user, case_id, decision="contact")
    for _ in range(2):
        record_risk_assessment(
            holder.user,
            case_id,
            instrument="freda_danger",
            ratings=rated("freda_danger"),
            assessed_on=clock.now().date(),
            level="moderate",
            next_review_on=clock.now().date() + timedelta(days=60),
            notes=None,
        )


def _case(factory: Factory, clock, holder: Account, story) -> uuid.UUID:
    case_id = handed_over_case(factory, clock).id
    pick_up(holder.user, case_id)
    story(holder, case_id, clock)
    partner_case_for(holder.user, case_id)  # one read
    db.session.commit()
    return case_id


def _rows(client: FlaskClient, case_id: uuid.UUID) -> list[tuple[str, ...]]:
    response = client.get(f"{LOG}?record_type=partner_case&record_id={case_id}")
    assert response.status_code == 200
    body = text_of(response)
    for words in STORY:
        assert words not in body
    return [tuple(_plain(cell) for cell in row) for row in _ENTRY.findall(body)]


def _plain(cell: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


@pytest.fixture
def holder(factory: Factory) -> Account:
    return factory.partner_treater()


def test_accepted_declined_and_never_contacted_look_the_same_to_a_manager(
    app: Flask, factory: Factory, clock, holder: Account
) -> None:
    cases = [
        _case(factory, clock, holder, story) for story in (accepted, declined, never_contacted)
    ]
    manager = factory.manager()
    client = app.test_client()
    log_in(client, manager, clock)

    seen = [_rows(client, case_id) for case_id in cases]
    # Seven reads and six changes each: who, "read" or "changed", which case, no outcome.
    for rows, case_id in zip(seen, cases, strict=True):
        whats = [what for _, what, _, _ in rows]
        assert (whats.count("Läst"), whats.count("Ändrat")) == (7, 6), whats
        assert {record for _, _, record, _ in rows} == {f"Partnerärende {case_id.hex[:8]}"}
        assert {outcome for *_, outcome in rows} == {"–"}
    without_reference = [sorted((who, what) for who, what, _, _ in rows) for rows in seen]
    assert without_reference[0] == without_reference[1] == without_reference[2]

    # The whole log tells no story either, nor can it be filtered on one.
    whole = text_of(client.get(f"{LOG}"))
    for words in STORY:
        assert words not in whole
    response = client.get(f"{LOG}?action={AuditAction.THREAT_WARNING_RECORDED.value}")
    assert response.status_code == 400


def _open(client: FlaskClient, **form: str):
    return submit(client, NEW, form)


def _investigations() -> int:
    return db.session.scalar(select(func.count()).select_from(AccessInvestigation)) or 0


def _audited(action: AuditAction) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action.value)))


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"reason": "", "reference": "2026/17"}, "reason"),
        ({"reason": "because", "reference": "2026/17"}, "reason"),
        ({"reason": "complaint", "reference": ""}, "reference"),
        ({"reason": "complaint", "reference": "Maja ringde och var orolig!"}, "reference"),
        ({"reason": "complaint", "reference": "x" * 41}, "reference"),
        ({"case": "", "reason": "complaint", "reference": "2026/17"}, "case"),
        ({"case": "zzzz", "reason": "complaint", "reference": "2026/17"}, "case"),
        ({"case": "00000000", "reason": "complaint", "reference": "2026/17"}, "case"),
    ],
)
def test_an_investigation_needs_a_case_a_listed_reason_and_a_reference(
    app: Flask, factory: Factory, clock, holder: Account, form: dict[str, str], field: str
) -> None:
    case_id = _case(factory, clock, holder, declined)
    client = app.test_client()
    log_in(client, factory.manager(), clock)
    response = _open(client, **{"case": case_id.hex[:8], **form})
    assert response.status_code == 400
    body = text_of(response)
    assert f'id="{field}-error"' in body
    if form.get("reference"):
        assert form["reference"][:20] in body  # what was typed is kept
    assert _investigations() == 0
    assert _audited(AuditAction.ACCESS_INVESTIGATION_OPENED) == []


def test_another_clinics_case_cannot_be_investigated(
    app: Flask, factory: Factory, clock, holder: Account
) -> None:
    case_id = _case(factory, clock, holder, declined)
    stranger = factory.manager(clinic=factory.clinic())
    client = app.test_client()
    log_in(client, stranger, clock)
    for given in (case_id.hex[:8], str(case_id)):
        response = _open(client, case=given, reason="complaint", reference="2026/17")
        assert response.status_code == 400 and 'id="case-error"' in text_of(response)
    assert _investigations() == 0


def test_an_investigation_shows_the_trail_is_audited_and_the_holder_sees_it(
    app: Flask, factory: Factory, clock, holder: Account
) -> None:
    case_id = _case(factory, clock, holder, declined)
    manager = factory.manager()
    client = app.test_client()
    log_in(client, manager, clock)

    response = _open(client, case=case_id.hex[:8], reason="log_extract", reference="2026/17")
    assert response.status_code == 302
    trail = text_of(client.get(response.headers["Location"]))
    assert "Hotvarning registrerad" in trail
    assert "Kontaktförsök registrerat" in trail
    assert "2026/17" in trail

    (opened,) = _audited(AuditAction.ACCESS_INVESTIGATION_OPENED)
    assert opened.actor_id == manager.user.id and opened.resource_type == "access_investigation"
    assert len(_audited(AuditAction.ACCESS_INVESTIGATION_VIEWED)) == 1
    client.get(response.headers["Location"])
    assert len(_audited(AuditAction.ACCESS_INVESTIGATION_VIEWED)) == 2

    # The managers' list names it; the access log shows the investigation was opened.
    listed = text_of(client.get("/management/access-log/investigations"))
    assert case_id.hex[:8] in listed and "2026/17" in listed

    treater = app.test_client()
    log_in(treater, holder, clock)
    page = text_of(treater.get(case_view(case_id, "investigations")))
    (row,) = re.findall(r'<tr class="investigation">(.*?)</tr>', page, re.S)
    assert manager.user.display_name in row
    assert "2026/17" in row
    assert "Partnern har begärt att få veta vem som tagit del av hennes uppgifter" in row


def test_only_managers_open_investigations(app: Flask, factory: Factory, clock) -> None:
    for account in (factory.partner_treater(), factory.client_treater(), factory.admin()):
        client = app.test_client()
        log_in(client, account, clock)
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, data={"case": "00000000"}).status_code == 403
    assert _investigations() == 0
