"""A raised risk in the browser: the client's treater records a SARA assessment rated high,
which signals the partner side by itself (a reason and an urgency, nothing of the ratings);
the partner-contact treater finds the urgent signal on the case and asks for a talk; left
unanswered past its time, it reaches the managers as an escalation that names no detail; the
talk is recorded as held on the client's side."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from partnercontact.app import create_app
from partnercontact.config import load_config
from partnercontact.db import db
from partnercontact.partner_side.scheduling.kinds import RELAY_DEADLINE
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import dispatch_due
from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import audit_actions, hand_over_a_case, log_in_as, rate_every_item, words

pytestmark = pytest.mark.e2e

# What he told his treater: a weapon at hand, and a separation under way.
PRESENT = frozenset({"weapons_or_death_threats", "relationship_problems", "escalation"})


def _the_deadline_passes(served: Served) -> None:
    """The worker's run after the signal's time to act: its deadline task, made due now."""
    app: Flask = create_app(load_config(environ=served.env))
    with app.app_context():
        db.session.execute(
            update(ScheduledTask)
            .where(ScheduledTask.kind == RELAY_DEADLINE)
            .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
        # The served instance's own worker may take it first, or hold SQLite's one writer
        # lock for a moment: run until the task is done, by whichever worker.
        for _ in range(10):
            dispatch_due()
            db.session.rollback()
            waiting = db.session.scalar(
                select(ScheduledTask.id).where(
                    ScheduledTask.kind == RELAY_DEADLINE, ScheduledTask.state == "pending"
                )
            )
            if waiting is None:
                return
            time.sleep(0.5)
        pytest.fail("the deadline task did not run")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_raised_risk_reaches_the_partner_side_and_an_unanswered_one_the_managers(
    page: Page, served: Served, language: str
) -> None:
    t = words(language)
    shot = f"risk-signal-{language}"
    partner = f"Vilma Påhittad {language}"
    client = f"Klient till {partner}"
    hand_over_a_case(page, served, language, partner)

    log_in_as(page, served, "partner_treater", language)
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    case_url = page.url.split("#")[0].split("?")[0]
    page.get_by_role("button", name=t("Log out")).click()

    # The client's treater assesses him with SARA, item by item, and rates the risk high.
    log_in_as(page, served, "client_treater", language)
    page.goto(served.url + "/client/")
    page.get_by_role("link", name=client).click()
    page.get_by_role("link", name=t("Record a risk assessment…")).click()
    page.get_by_label(t("Instrument")).select_option("sara")
    page.get_by_role("button", name=t("Continue")).click()
    page.get_by_role("button", name=t("Save")).click()  # nothing rated yet
    expect(page.locator("#item_family_violence_before-error")).to_contain_text(
        t("Has been violent towards family members before")
    )
    page.get_by_role("link", name=t("Another instrument")).click()
    rate_every_item(page, language, "sara", present=PRESENT)
    page.locator("#level").get_by_label(t("High"), exact=True).check()
    screenshot(page, f"{shot}-1-client-side")
    page.get_by_role("button", name=t("Save")).click()
    expect(
        page.get_by_text(
            t(
                "The risk assessment was recorded. Its high risk went to the partner-contact "
                "treater as an urgent risk signal: talk to them today."
            )
        )
    ).to_be_visible()
    page.get_by_role("button", name=t("Log out")).click()

    # Her treater finds it on the case, urgent, and asks the client's treater for a talk.
    log_in_as(page, served, "partner_treater", language)
    page.goto(case_url)
    events = page.locator("#relay-events")
    signal = events.locator("tr", has_text=t("Risk signal from the client's treater"))
    expect(signal).to_contain_text(t("A risk assessment of the client came out high"))
    expect(signal).to_contain_text(t("Urgent: act within hours"))
    page.get_by_role("link", name=t("Ask the client's treater for a talk…")).click()
    page.get_by_label(t("Talk through the risk")).check()
    page.get_by_role("button", name=t("Ask for a talk")).click()
    expect(page.get_by_text(t("The client's treater was asked for a talk."))).to_be_visible()
    screenshot(page, f"{shot}-2-partner-side")
    page.get_by_role("button", name=t("Log out")).click()

    # Nothing is recorded as done with the signal by its time: the managers are told.
    _the_deadline_passes(served)
    log_in_as(page, served, "manager", language)
    page.goto(served.url + "/management/tasks")
    tasks = page.locator("#manager-tasks")
    expect(tasks).to_contain_text(
        t("A risk signal from the client's treater was not acted on in time")
    )
    content = page.content()
    for detail in (
        partner,
        client,
        "070-444 55 66",
        "Påhittevägen 9",
        t("A risk assessment of the client came out high"),
    ):
        assert detail not in content, detail
    screenshot(page, f"{shot}-3-manager")
    page.get_by_role("button", name=t("Log out")).click()

    # The client's treater sees the talk asked for, and records it as held.
    log_in_as(page, served, "client_treater", language)
    page.goto(served.url + "/client/")
    # On his treater's worklist, linked to the talks on the client's page.
    to_do = page.get_by_role("list", name=t("To do"))
    expect(to_do.get_by_role("listitem").filter(has_text=client)).to_contain_text(
        t("the partner-contact treater asks for a talk")
    )
    to_do.get_by_role("link", name=client).click()
    page.get_by_role("link", name=t("Record the talk as held…")).click()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The talk was recorded as held."))).to_be_visible()
    screenshot(page, f"{shot}-4-talk-held")

    actions = audit_actions(served)
    for tag in (
        "client.risk_assessment_recorded",
        "relay.event_created",
        "relay.consultation_asked",
        "partner.escalation_raised",
        "relay.consultation_held",
    ):
        assert tag in actions, f"{tag} is missing from the audit log"
    verify_audit_log(served)
