"""The safety steps of a new case, in the browser and in order: nothing goes to her before the
suitability decision (the refusal links to it), then the neutral first letter, then the first
call that reached her after asking whether it was safe to talk, then nothing until her plan is
recorded, then the next contact, which fits the plan."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import (
    hand_over_a_case,
    last_weekday_morning,
    log_in_as,
    open_case_part,
    words,
)

pytestmark = pytest.mark.e2e


def _preview(page: Page, t, purpose: str) -> None:  # type: ignore[no-untyped-def]
    open_case_part(page, "sv", "Texts and letters")
    page.get_by_role("link", name=t("Write a letter…")).click()
    page.get_by_label(t("Letter"), exact=True).select_option(label=t(purpose))
    page.get_by_role("button", name=t("Show the letter")).click()


def _send(page: Page, t) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label(t("I have checked the letter and the address")).check()
    page.get_by_role("button", name=t("Send the letter")).click()
    expect(
        page.get_by_text(t("The letter was saved as sent. Print it from the list of letters."))
    ).to_be_visible()


def test_a_new_case_takes_the_safety_steps_in_order(page: Page, served: Served) -> None:
    t = words("sv")
    partner = "Ebba Påhittad steg"
    hand_over_a_case(page, served, "sv", partner, letters=True)

    log_in_as(page, served, "partner_treater", "sv")
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    steps = page.locator("#safety-step-list")
    expect(steps.locator("li.next")).to_have_attribute("data-step", "suitability")
    screenshot(page, "safety-1-new-case")

    # Nothing goes out before the suitability decision: the preview says so and links to it.
    _preview(page, t, "Information letter: what partner contact offers")
    expect(page.locator("#send-refusal")).to_contain_text(
        t(
            "No one has decided yet whether contact with her is suitable: record the "
            "suitability decision first."
        )
    )
    screenshot(page, "safety-2-refused-before-suitability")
    page.locator("#missing-step").get_by_role(
        "link", name=t("Record the suitability decision")
    ).click()

    # 1. The suitability decision.
    page.get_by_label(t("Decision")).select_option(label=t("Contact the partner"))
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The assessment was recorded."))).to_be_visible()
    open_case_part(page, "sv", "Current")
    expect(steps.locator("li.next")).to_have_attribute("data-step", "first_contact")

    # 2. The neutral first letter.
    _preview(page, t, "Information letter: what partner contact offers")
    expect(page.locator("#send-allowed")).to_be_visible()
    _send(page, t)

    # 3. The first call: reached, and only after she said it was safe to talk.
    open_case_part(page, "sv", "Contact")
    page.get_by_role("link", name=t("Record a contact attempt")).click()
    page.get_by_label(t("Way of contact")).select_option(label=t("Phone"))
    page.get_by_label(t("Outcome")).select_option(label=t("Reached"))
    page.get_by_label(t("When")).fill(last_weekday_morning())
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator("#safe_to_talk-error")).to_be_visible()
    page.get_by_label(t("I asked first whether it was safe to talk, and she said it was")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The attempt was recorded."))).to_be_visible()
    open_case_part(page, "sv", "Current")
    expect(steps.locator("li.next")).to_have_attribute("data-step", "plan")

    # Reached: nothing more goes out until her plan is recorded.
    _preview(page, t, "Letter announcing a phone call in a few days")
    expect(page.locator("#send-refusal")).to_contain_text(
        t("She has been reached: record her safe-contact plan with her before the next contact.")
    )
    screenshot(page, "safety-3-refused-until-her-plan")
    page.locator("#missing-step").get_by_role(
        "link", name=t("Record her safe-contact plan")
    ).click()

    # 4. Her plan: letters to her address, phone on weekdays.
    page.get_by_label(t("Phone"), exact=True).check()
    page.get_by_label(t("Letter"), exact=True).check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(t(day), exact=True).check()
    page.get_by_label(t("Safe from")).fill("09:00")
    page.get_by_label(t("Safe until")).fill("17:00")
    page.get_by_label(t("Letters are safe at her address")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The safe-contact plan was saved."))).to_be_visible()
    open_case_part(page, "sv", "Current")
    expect(page.locator("#safety-steps-done")).to_be_visible()

    # 5. The next contact fits her plan, and goes.
    _preview(page, t, "Letter announcing a phone call in a few days")
    expect(page.locator("#send-allowed")).to_be_visible()
    _send(page, t)
    expect(page.locator("#sent-letters tbody tr")).to_have_count(2)
    screenshot(page, "safety-4-steps-taken")
    verify_audit_log(served)
