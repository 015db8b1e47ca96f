"""A manager's decision on a threat warning, both ways: confirmed (she may be warned for a
week) or rejected with a reason from a closed list (it never takes effect). Through the real
services, pages and API on the real databases: only a waiting warning can be decided, once,
even when two managers decide at the same moment; the treater holding the case sees the
decision; every manager's page says while warnings wait; the letter and text that warn her
say nothing a stranger reading them could understand."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.partner_side import contact
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.messaging import letters, sms
from partnercontact.partner_side.messaging.templates import (
    LANGUAGES,
    LETTER_PURPOSES,
    SMS_PURPOSES,
    THREAT_WARNING_PURPOSE,
    letter_version,
    sms_version,
)
from partnercontact.partner_side.models import PartnerCase, ThreatWarning
from partnercontact.partner_side.rules import ContactNotAllowed, check_contact_allowed
from partnercontact.partner_side.service import pick_up
from partnercontact.partner_side.vocabulary import THREAT_WARNING_REJECTIONS
from tests.factories import Account, Factory
from tests.helpers import api_token, case_view, csrf_token, log_in, submit, text_of
from tests.partners.conftest import HandedOver

THREATS = "/management/threats"
REASON = "Han har sagt att han ska leta upp henne"
DECISIONS = (AuditAction.THREAT_WARNING_CONFIRMED, AuditAction.THREAT_WARNING_REJECTED)


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    """A picked-up case whose partner declined the offer: a threat warning may be recorded."""
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    contact.record_answer(
        handed_over.partner_treater.user,
        handed_over.case.id,
        answer="declined",
        answered_on=date(2026, 1, 15),
    )
    db.session.commit()
    return handed_over


def warn(held: HandedOver, reason: str = REASON) -> ThreatWarning:
    warning = contact.record_threat_warning(held.partner_treater.user, held.case.id, reason=reason)
    db.session.commit()
    return warning


def stored(warning: ThreatWarning) -> ThreatWarning:
    """The warning as the database now holds it."""
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(ThreatWarning, warning.id)
    assert row is not None
    return row


def decisions(partner_case: PartnerCase) -> list[str]:
    """The decision entries in the audit log of the case, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.resource_type == "partner_case",
                AuditEvent.resource_id == str(partner_case.id),
                AuditEvent.action.in_(DECISIONS),
            )
            .order_by(AuditEvent.seq)
        )
    )


def undecided(warning: ThreatWarning) -> bool:
    row = stored(warning)
    return row.confirmed_at is None and row.rejected_at is None


def confirm_url(warning: ThreatWarning) -> str:
    return f"{THREATS}/{warning.id}/confirm"


def reject_url(warning: ThreatWarning) -> str:
    return f"{THREATS}/{warning.id}/reject"


def _logged_in(app: Flask, account: Account, clock) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


# --- the services ----------------------------------------------------------------------------


def test_a_rejected_warning_never_takes_effect_and_leaves_the_managers_list(
    factory: Factory, held: HandedOver, clock
) -> None:
    warning = warn(held)
    manager = factory.manager().user
    assert contact.unconfirmed_threat_warning_count(manager) == 1

    clock.advance(hours=1)
    contact.reject_threat_warning(manager, warning.id, reason="reached_otherwise")
    db.session.commit()

    row = stored(warning)
    assert (row.rejected_by_id, row.rejected_at) == (manager.id, clock.now())
    assert row.rejection_reason == "reached_otherwise"
    assert row.confirmed_at is None and row.confirmed_by_id is None
    assert decisions(held.case) == [AuditAction.THREAT_WARNING_REJECTED]
    assert contact.unconfirmed_threat_warnings(manager) == []
    assert contact.unconfirmed_threat_warning_count(manager) == 0
    # She declined, and nothing lets the clinic contact her: not now, not later in the week.
    for later in (timedelta(0), timedelta(days=3)):
        with pytest.raises(ContactNotAllowed):
            check_contact_allowed(held.case, "sms", clock.now() + later)

    # Decided once, for good: neither a confirmation nor a second rejection gets through.
    for decide in (
        lambda: contact.confirm_threat_warning(manager, warning.id),
        lambda: contact.reject_threat_warning(manager, warning.id, reason="not_imminent"),
        lambda: contact.threat_warning_for_manager(manager, warning.id),
    ):
        with pytest.raises(Conflict) as refused:
            decide()
        assert refused.value.field == "warning"
        db.session.rollback()
    row = stored(warning)
    assert row.confirmed_at is None and row.rejection_reason == "reached_otherwise"
    assert decisions(held.case) == [AuditAction.THREAT_WARNING_REJECTED]
    # The audit entry carries the tag and the case, never the reason or the threat.
    for event in db.session.scalars(select(AuditEvent)):
        assert "reached_otherwise" not in repr(vars(event)) and REASON not in repr(vars(event))


def test_a_confirmed_warning_cannot_be_rejected(factory: Factory, held: HandedOver, clock) -> None:
    warning = warn(held)
    manager = factory.manager().user
    contact.confirm_threat_warning(manager, warning.id)
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        contact.reject_threat_warning(manager, warning.id, reason="already_warned")
    assert refused.value.field == "warning"
    row = stored(warning)
    assert row.rejected_at is None and row.rejection_reason is None
    assert decisions(held.case) == [AuditAction.THREAT_WARNING_CONFIRMED]
    check_contact_allowed(held.case, "sms", clock.now())  # still in effect


@pytest.mark.parametrize(
    "reason", [None, "", "other", "Not imminent", THREAT_WARNING_REJECTIONS["already_warned"]]
)
def test_a_rejection_needs_a_reason_from_the_closed_list(
    factory: Factory, held: HandedOver, reason: object
) -> None:
    warning = warn(held)
    manager = factory.manager().user
    with pytest.raises(ContactInvalid) as refused:
        contact.reject_threat_warning(manager, warning.id, reason=reason)  # type: ignore[arg-type]
    assert refused.value.field == "reason"
    assert undecided(warning)
    assert decisions(held.case) == []
    assert [listed.id for listed in contact.unconfirmed_threat_warnings(manager)] == [warning.id]


def test_only_a_manager_of_the_cases_clinic_may_reject(factory: Factory, held: HandedOver) -> None:
    warning = warn(held)
    outsiders = (
        factory.manager(clinic=factory.clinic()).user,
        held.partner_treater.user,
        held.client_treater.user,
        factory.admin().user,
    )
    for outsider in outsiders:
        with pytest.raises(NotFound) as refused:
            contact.reject_threat_warning(outsider, warning.id, reason="not_imminent")
        assert refused.value.field == "warning"
        db.session.rollback()
    assert undecided(warning)
    assert decisions(held.case) == []


def test_the_waiting_list_and_count_hold_only_warnings_nobody_decided(
    factory: Factory, held: HandedOver, clock
) -> None:
    manager = factory.manager().user
    confirmed = warn(held, "Första")
    clock.advance(minutes=5)
    rejected = warn(held, "Andra")
    clock.advance(minutes=5)
    waiting = warn(held, "Tredje")
    contact.confirm_threat_warning(manager, confirmed.id)
    contact.reject_threat_warning(manager, rejected.id, reason="contact_raises_risk")
    db.session.commit()

    assert [listed.id for listed in contact.unconfirmed_threat_warnings(manager)] == [waiting.id]
    assert contact.unconfirmed_threat_warning_count(manager) == 1
    # A new warning after a rejection waits like any other.
    clock.advance(minutes=5)
    again = warn(held, "Fjärde")
    assert [listed.id for listed in contact.unconfirmed_threat_warnings(manager)] == [
        waiting.id,
        again.id,
    ]
    assert contact.unconfirmed_threat_warning_count(manager) == 2


# --- the manager's decision page -------------------------------------------------------------


def test_the_decision_page_rejects_with_a_reason_and_bad_input_changes_nothing(
    client: FlaskClient, factory: Factory, held: HandedOver, clock
) -> None:
    warning = warn(held)
    log_in(client, factory.manager(), clock)
    page = text_of(client.get(confirm_url(warning)))
    assert f'action="{reject_url(warning)}"' in page
    for key in THREAT_WARNING_REJECTIONS:
        assert re.search(rf'type="radio" value="{key}"|value="{key}"[^>]*type="radio"', page), key
    assert "Ett avslag kan inte ångras" in page

    for form in ({}, {"reason": ""}, {"reason": "changed_my_mind"}):
        response = submit(client, confirm_url(warning), form, reject_url(warning))
        assert response.status_code == 400, form
        body = text_of(response)
        assert 'id="reason-error"' in body and "Välj varför hotvarningen avslås." in body
        assert REASON in body  # the page again, with the threat to decide on
        assert undecided(warning)
    assert decisions(held.case) == []

    response = submit(
        client, confirm_url(warning), {"reason": "already_warned"}, reject_url(warning)
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(THREATS)
    listing = text_of(client.get(THREATS))
    assert "Hotvarningen är avslagen." in listing
    assert held.case.id.hex[:8] not in listing
    row = stored(warning)
    assert row.rejection_reason == "already_warned" and row.confirmed_at is None

    # Decided: the page and both forms answer that it was, and nothing changes.
    assert client.get(confirm_url(warning)).status_code == 409
    token = csrf_token(client, THREATS)
    assert client.post(confirm_url(warning), data={"csrf_token": token}).status_code == 409
    rejected_again = client.post(
        reject_url(warning), data={"csrf_token": token, "reason": "not_imminent"}
    )
    assert rejected_again.status_code == 409
    row = stored(warning)
    assert row.confirmed_at is None and row.rejection_reason == "already_warned"
    assert decisions(held.case) == [AuditAction.THREAT_WARNING_REJECTED]


def test_another_clinics_manager_cannot_reject(
    client: FlaskClient, factory: Factory, held: HandedOver, clock
) -> None:
    warning = warn(held)
    log_in(client, factory.manager(clinic=factory.clinic()), clock)
    token = csrf_token(client, THREATS)
    response = client.post(
        reject_url(warning), data={"csrf_token": token, "reason": "not_imminent"}
    )
    assert response.status_code == 404
    assert undecided(warning)


# --- two managers deciding at the same moment ------------------------------------------------


def _at_once(posts: list[tuple[FlaskClient, str, dict[str, str]]]) -> Counter:
    """POST each form from its browser, all released at the same instant; their statuses."""
    start = threading.Barrier(len(posts))
    statuses: list[int] = []

    def post(browser: FlaskClient, url: str, form: dict[str, str]) -> None:
        start.wait()
        statuses.append(browser.post(url, data=form).status_code)

    threads = [threading.Thread(target=post, args=args) for args in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def test_a_confirmation_and_a_rejection_at_the_same_moment_make_one_decision(
    app: Flask, factory: Factory, held: HandedOver, clock
) -> None:
    """Two managers of the clinic open the same warning; one confirms while the other rejects,
    released at the same instant. Exactly one decision is written, once, and the other manager
    is told it was already decided (409), never a server error. Several rounds, so that the
    requests really overlap."""
    confirming = _logged_in(app, factory.manager(), clock)
    rejecting = _logged_in(app, factory.manager(), clock)
    rounds = 4
    for number in range(rounds):
        warning = warn(held, f"Hot {number}")
        statuses = _at_once(
            [
                (
                    confirming,
                    confirm_url(warning),
                    {"csrf_token": csrf_token(confirming, confirm_url(warning))},
                ),
                (
                    rejecting,
                    reject_url(warning),
                    {
                        "csrf_token": csrf_token(rejecting, confirm_url(warning)),
                        "reason": "not_imminent",
                    },
                ),
            ]
        )
        assert statuses == Counter({302: 1, 409: 1}), statuses
        row = stored(warning)
        assert (row.confirmed_at is None) != (row.rejected_at is None)
        assert (row.rejection_reason is None) == (row.rejected_at is None)
    assert len(decisions(held.case)) == rounds
    assert contact.unconfirmed_threat_warning_count(factory.manager().user) == 0


# --- what the treater sees -------------------------------------------------------------------


def _row_of(page: str, warning: ThreatWarning) -> str:
    found = re.search(rf'<tr id="threat-warning-{warning.id}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert found, f"no row for warning {warning.id}"
    return " ".join(found.group(1).split())


def test_the_treater_sees_each_decision_on_her_case_page(
    client: FlaskClient, factory: Factory, held: HandedOver, clock
) -> None:
    manager = factory.manager().user
    # The clock starts on Thursday 15 January 2026 at 10:00 in Stockholm.
    rejected = warn(held, "Första hotet")
    clock.advance(hours=1)
    contact.reject_threat_warning(manager, rejected.id, reason="contact_raises_risk")
    clock.advance(hours=1)
    confirmed = warn(held, "Andra hotet")
    clock.advance(hours=1)
    contact.confirm_threat_warning(manager, confirmed.id)
    clock.advance(hours=1)
    waiting = warn(held, "Tredje hotet")
    db.session.commit()

    log_in(client, held.partner_treater, clock)
    threat_view = case_view(held.case.id, "threat")
    page = text_of(client.get(threat_view))
    row = _row_of(page, rejected)
    assert "Avslagen av verksamhetschef 2026-01-15 11:00" in row
    assert "Kontakt från mottagningen kan öka risken för henne" in row
    assert "Gäller till" not in row
    row = _row_of(page, confirmed)
    assert "Bekräftad av verksamhetschef 2026-01-15 13:00" in row
    assert "Gäller till 2026-01-22 13:00" in row
    row = _row_of(page, waiting)
    assert "Väntar på beslut av verksamhetschef" in row
    assert "Bekräftad" not in row and "Avslagen" not in row

    # A week after the confirmation, the page says it no longer lets her be contacted.
    clock.advance(days=8)
    log_in(client, held.partner_treater, clock)
    row = _row_of(text_of(client.get(threat_view)), confirmed)
    assert "Den gällde till 2026-01-22 13:00" in row and "Gäller till" not in row


def test_the_api_shows_the_treater_each_decision(
    app: Flask, factory: Factory, held: HandedOver, clock
) -> None:
    manager = factory.manager().user
    rejected = warn(held)
    contact.reject_threat_warning(manager, rejected.id, reason="not_imminent")
    confirmed = warn(held)
    contact.confirm_threat_warning(manager, confirmed.id)
    db.session.commit()

    headers = {"Authorization": f"Bearer {api_token(held.partner_treater)}"}
    answer = app.test_client().get(f"/api/v1/partner-cases/{held.case.id}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    shown = {item["id"]: item for item in answer.get_json()["threat_warnings"]["items"]}
    now = clock.now().isoformat()
    assert shown[str(rejected.id)]["rejected_at"] == now
    assert shown[str(rejected.id)]["rejection_reason"] == "not_imminent"
    assert shown[str(rejected.id)]["confirmed_at"] is None
    assert shown[str(rejected.id)]["in_effect_until"] is None
    assert shown[str(confirmed.id)]["confirmed_at"] == now
    assert (
        shown[str(confirmed.id)]["in_effect_until"] == (clock.now() + timedelta(days=7)).isoformat()
    )
    assert shown[str(confirmed.id)]["rejected_at"] is None


# --- every manager's page says while warnings wait -------------------------------------------


def _header(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    page = text_of(response)
    return page[page.index("<header") : page.index("</header>")]


MANAGER_PAGES = ("/management/", "/management/access-log", "/account/")


def test_waiting_warnings_are_in_every_managers_page_header_until_decided(
    app: Flask, factory: Factory, held: HandedOver, clock
) -> None:
    first, second = warn(held, "Första"), warn(held, "Andra")
    manager = factory.manager()
    browser = _logged_in(app, manager, clock)
    for path in MANAGER_PAGES:
        header = _header(browser, path)
        assert 'id="waiting-threat-warnings"' in header, path
        assert f'href="{THREATS}"' in header, path
        assert "Hotvarningar som väntar på beslut: 2" in header, path
    # The link leads to the list, where the manager decides.
    assert held.case.id.hex[:8] in text_of(browser.get(THREATS))

    # Nobody else is told: not another clinic's manager, not the treater who recorded them.
    for other in (factory.manager(clinic=factory.clinic()), held.partner_treater):
        other_browser = _logged_in(app, other, clock)
        landing = other_browser.get("/", follow_redirects=True)
        assert 'id="waiting-threat-warnings"' not in text_of(landing)
        assert 'id="waiting-threat-warnings"' not in _header(other_browser, "/account/")

    contact.confirm_threat_warning(manager.user, first.id)
    db.session.commit()
    assert "Hotvarningar som väntar på beslut: 1" in _header(browser, "/management/access-log")
    contact.reject_threat_warning(manager.user, second.id, reason="already_warned")
    db.session.commit()
    for path in MANAGER_PAGES:
        assert 'id="waiting-threat-warnings"' not in _header(browser, path), path


# --- the letter and the text that warn her ---------------------------------------------------

# Words that would tell someone else reading her post or her phone what this is about.
REVEALING = re.compile(
    r"\b(våld\w*|hot\w*|behandl\w*|säker\w*|fara|polis\w*|violen\w*|threat\w*|treat\w*|"
    r"safe\w*|danger\w*|police)\b",
    re.IGNORECASE,
)


def test_the_threat_warning_letter_and_text_are_registered_in_both_languages() -> None:
    assert THREAT_WARNING_PURPOSE == "threat_warning"
    assert THREAT_WARNING_PURPOSE in LETTER_PURPOSES and THREAT_WARNING_PURPOSE in SMS_PURPOSES
    for language in LANGUAGES:
        # Each version is read from its file: a missing template fails here.
        assert letter_version(THREAT_WARNING_PURPOSE, language)
        assert sms_version(THREAT_WARNING_PURPOSE, language)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_threat_warning_letter_asks_her_to_call_and_says_nothing_more(
    held: HandedOver, language: str
) -> None:
    page = letters.preview_letter(
        held.partner_treater.user, held.case.id, THREAT_WARNING_PURPOSE, language
    )
    subject_and_body = page[page.index("<h1>") : page.index('<div class="signature">')]
    text = re.sub(r"<[^>]+>", " ", subject_and_body)
    assert "Maja Påhittad" in text
    assert "010-555 12 34" in text  # the clinic's number, to call
    assert REVEALING.search(text) is None, REVEALING.search(text)
    assert REASON not in page
    # The envelope area shows the neutral sender, not the clinic.
    envelope = page[page.index('id="envelope"') : page.index('id="letter"')]
    assert "Norrbacka samtal" in envelope and "Testmottagningen" not in envelope


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_threat_warning_text_asks_her_to_call_and_says_nothing_more(
    held: HandedOver, language: str
) -> None:
    draft = sms.draft_sms(held.partner_treater.user, held.case.id, THREAT_WARNING_PURPOSE, language)
    assert "Norrbacka samtal" in draft.body and "010-555 12 34" in draft.body
    assert REVEALING.search(draft.body) is None, REVEALING.search(draft.body)
    assert "Testmottagningen" not in draft.body and REASON not in draft.body
    assert len(draft.body) <= sms.BODY_MAX
    assert draft.template_version == sms_version(THREAT_WARNING_PURPOSE, language)
