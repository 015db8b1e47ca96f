"""A partner-contact treater works a case end to end in the browser, in Swedish and English:
picks up a hand-over, assesses suitability, writes the safe-contact plan, records her answer,
a risk assessment, a child, a safety plan and a concern report."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import hand_over_a_case, log_in_as, open_case_part, rate_every_item, words

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_partner_treater_works_a_case(page: Page, served: Served, language: str) -> None:
    t = words(language)
    shot = f"partner-{language}"
    partner = f"Vera Påhittad {language}"
    hand_over_a_case(page, served, language, partner)

    log_in_as(page, served, "partner_treater", language)
    page.get_by_role("link", name=t("Partner contact"), exact=True).first.click()
    row = page.locator("tr", has_text=partner)
    screenshot(page, f"{shot}-1-inbox")
    row.get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    open_case_part(page, language, "About her")
    expect(page.get_by_text("Påhittevägen 9, Lindvik").first).to_be_visible()
    open_case_part(page, language, "Contact")
    expect(
        page.get_by_text(t("No safe-contact plan: check with her before any contact."))
    ).to_be_visible()

    page.get_by_role("link", name=t("Assess suitability")).click()
    page.get_by_label(t("Decision")).select_option(label=t("Contact the partner"))
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The assessment was recorded."))).to_be_visible()

    page.get_by_role("link", name=t("Write the safe-contact plan")).click()
    page.get_by_label(t("Phone"), exact=True).check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(t(day), exact=True).check()
    page.get_by_label(t("Safe from")).fill("09:00")
    page.get_by_label(t("Safe until")).fill("17:00")
    page.get_by_label(t("Agreed opening phrase")).fill("Passar det att prata en stund?")
    screenshot(page, f"{shot}-2-safe-contact-plan")
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The safe-contact plan was saved."))).to_be_visible()

    page.get_by_role("link", name=t("Record her answer")).click()
    page.get_by_label(t("Her answer"), exact=True).select_option(label=t("Accepted"))
    page.get_by_label(t("Contact by phone")).check()
    page.get_by_label(t("Be told when he ends treatment")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("Her answer was recorded."))).to_be_visible()

    open_case_part(page, language, "Risk and safety")
    page.get_by_role("link", name=t("Record a risk assessment…")).click()
    rate_every_item(page, language, "freda_danger", present=frozenset({"follows_her"}))
    page.locator("#level").get_by_label(t("Moderate"), exact=True).check()
    page.get_by_label(t("Notes")).fill("Bedömd tillsammans med partnern.")
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The risk assessment was recorded."))).to_be_visible()

    page.get_by_role("link", name=t("Add a child…")).click()
    page.get_by_label(t("Initials or first name")).fill("A. B.")
    page.get_by_label(t("Age")).fill("6")
    page.get_by_label(t("Has regular contact with the client")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The child was recorded."))).to_be_visible()

    page.get_by_role("link", name=t("Write a plan…")).first.click()
    page.get_by_label(t("Safety plan")).fill("Ring 112 vid fara. Väska packad hos syster.")
    page.get_by_role("button", name=t("Save as a new version")).click()
    expect(page.get_by_text(t("A new version of the safety plan was saved."))).to_be_visible()

    page.get_by_role("link", name=t("Record a concern report…")).click()
    page.get_by_label(t("Social welfare board")).fill("Socialnämnden i Lindvik")
    page.get_by_label(t("Reason"), exact=True).select_option(
        label=t("The child witnesses violence")
    )
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("The concern report was recorded."))).to_be_visible()
    screenshot(page, f"{shot}-3-case-worked")

    verify_audit_log(served)
