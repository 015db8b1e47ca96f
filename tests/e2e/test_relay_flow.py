"""The relay in the browser: the client's treater records a missed session and then his
dropout; the partner-contact treater finds both waiting, records that she was informed, and
closes the contact after a closing session. The audit log holds each step and verifies."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import audit_actions, hand_over_a_case, log_in_as, take_the_safety_steps, words

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_dropout_reaches_the_partner_side_and_is_acted_on(
    page: Page, served: Served, language: str
) -> None:
    t = words(language)
    shot = f"relay-{language}"
    partner = f"Signe Påhittad {language}"
    hand_over_a_case(page, served, language, partner)

    log_in_as(page, served, "partner_treater", language)
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    case_url = page.url.split("#")[0]
    take_the_safety_steps(page, language)
    page.get_by_role("button", name=t("Log out")).click()

    # The client side: treatment starts, he misses a session, then drops out.
    log_in_as(page, served, "client_treater", language)
    page.goto(served.url + "/client/")
    page.get_by_role("link", name=f"Klient till {partner}").click()
    page.get_by_role("link", name=t("Start the treatment…")).click()
    page.get_by_role("button", name=t("Start the treatment")).click()
    page.get_by_role("link", name=t("Record a session…")).click()
    page.get_by_label(t("Attendance")).select_option(label=t("Missed (no-show)"))
    page.get_by_role("button", name=t("Record the session")).click()
    page.get_by_role("link", name=t("End the episode…")).click()
    page.get_by_label(t("How the treatment ended")).select_option(label=t("Ended early (dropout)"))
    screenshot(page, f"{shot}-1-client-side-dropout")
    page.get_by_role("button", name=t("Yes, end the episode")).click()
    expect(page.get_by_text(t("Ended early (dropout)")).first).to_be_visible()
    page.get_by_role("button", name=t("Log out")).click()

    # The partner side: both events wait, with the closing of the contact.
    log_in_as(page, served, "partner_treater", language)
    page.goto(served.url + "/partner/")
    tasks = page.locator("#worklist")
    expect(tasks).to_contain_text(t("Session missed"))
    expect(tasks).to_contain_text(t("Dropped out of treatment"))
    expect(tasks).to_contain_text(
        t("The client's treatment has ended: offer a closing session and close the contact")
    )
    screenshot(page, f"{shot}-2-partner-inbox")

    page.goto(case_url)
    events = page.locator("#relay-events")
    dropout = events.locator("tr", has_text=t("Dropped out of treatment"))
    dropout.get_by_role("link", name=t("Record what came of it")).click()
    page.get_by_label(t("What came of it")).select_option(label=t("Informed by phone"))
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("What came of the event was recorded."))).to_be_visible()
    expect(dropout).to_contain_text(t("Informed by phone"))
    missed = events.locator("tr", has_text=t("Session missed"))
    missed.get_by_role("link", name=t("Record what came of it")).click()
    page.get_by_label(t("What came of it")).select_option(label=t("She did not want to be told"))
    page.get_by_role("button", name=t("Save")).click()
    screenshot(page, f"{shot}-3-outcomes-recorded")

    page.get_by_role("link", name=t("Close the contact…")).click()
    page.get_by_label(t("How the closing went")).select_option(
        label=t("A closing session was held")
    )
    page.get_by_role("button", name=t("Yes, close the contact")).click()
    expect(page.get_by_text(t("The partner contact was closed."))).to_be_visible()
    screenshot(page, f"{shot}-4-contact-closed")
    page.goto(served.url + "/partner/")
    expect(page.get_by_role("heading", name=t("To do"))).to_be_visible()
    # Nothing from the client side is left on her worklist.
    expect(page.locator('[id^="work-relay-"], [id^="work-closing-"]')).to_have_count(0)

    actions = audit_actions(served)
    for tag in (
        "episode.started",
        "episode.session_recorded",
        "episode.ended",
        "relay.event_created",
        "partner.contact_closing",
        "relay.events_viewed",
        "relay.outcome_recorded",
        "partner.contact_closed",
    ):
        assert tag in actions, f"{tag} is missing from the audit log"
    assert actions.count("relay.event_created") >= 2  # the missed session and the dropout
    verify_audit_log(served)
