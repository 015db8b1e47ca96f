"""A partner-contact treater works a case end to end in the browser, in Swedish and English:
picks up a hand-over, assesses suitability, writes the safe-contact plan, records her answer,
a risk assessment, a child, a safety plan and a concern report."""

from __future__ import annotations

from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from partnercontact.config import PROJECT_ROOT
from tests.cases_built import PDF
from tests.e2e.conftest import Served, screenshot, verify_audit_log

pytestmark = pytest.mark.e2e

CATALOGUE = PROJECT_ROOT / "partnercontact/translations/sv/LC_MESSAGES/messages.po"


@cache
def _swedish() -> dict[str, str]:
    with CATALOGUE.open("rb") as po:
        return {message.id: message.string for message in read_po(po) if message.id}


def words(language: str):  # type: ignore[no-untyped-def]
    """The interface's words in ``language``: the English text, or its Swedish translation."""
    if language == "en":
        return lambda text: text
    return lambda text: _swedish()[text]


def _log_in(page: Page, served: Served, role: str, language: str) -> None:
    username, password = served.demo_logins[role]
    t = words(language)
    page.goto(served.url + "/login")
    if language == "en" and page.get_by_role("button", name="English").count():
        page.get_by_role("button", name="English").click()
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(password)
    page.get_by_role("button", name=t("Log in")).click()


def _hand_over_a_case(page: Page, served: Served, language: str, partner: str) -> None:
    """The client side's part, briefly: a client, a signed consent, the partner's details."""
    t = words(language)
    _log_in(page, served, "client_treater", language)
    page.get_by_role("link", name=t("Register a client")).click()
    page.get_by_label(t("Name"), exact=True).fill(f"Klient till {partner}")
    page.get_by_label(t("Phone")).fill("070-111 22 33")
    page.get_by_role("button", name=t("Register"), exact=True).click()
    page.get_by_role("link", name=t("Record consent")).click()
    page.get_by_label(t("Contact the partner by phone")).check()
    page.get_by_label(
        t("Tell the partner, if she wishes, when the client ends or drops out")
    ).check()
    page.get_by_label(t("Place")).fill("Lindvik")
    page.get_by_label(
        t("The client attests that he gave the partner's name, address and phone number")
    ).check()
    page.get_by_role("button", name=t("Record consent")).click()
    page.get_by_role("link", name=t("Attach the signed copy")).click()
    page.get_by_label(t("Signed copy (PDF, PNG or JPEG, at most 10 MB)")).set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name=t("Attach the signed copy")).click()
    page.get_by_role("link", name=t("Hand over the partner's details…")).click()
    page.get_by_label(t("Partner's name")).fill(partner)
    page.get_by_label(t("Phone")).fill("070-444 55 66")
    page.get_by_label(t("Address")).fill("Påhittevägen 9, Lindvik")
    page.get_by_label(t("Relation to the client")).select_option(label=t("Former partner"))
    page.get_by_label(t("Children in common")).select_option(label=t("Yes"))
    page.get_by_role("button", name=t("Hand over"), exact=True).click()
    page.get_by_role("button", name=t("Log out")).click()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_partner_treater_works_a_case(page: Page, served: Served, language: str) -> None:
    t = words(language)
    shot = f"partner-{language}"
    partner = f"Vera Påhittad {language}"
    _hand_over_a_case(page, served, language, partner)

    _log_in(page, served, "partner_treater", language)
    page.get_by_role("link", name=t("Partner contact"), exact=True).first.click()
    row = page.locator("tr", has_text=partner)
    screenshot(page, f"{shot}-1-inbox")
    row.get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    expect(page.get_by_text("Påhittevägen 9, Lindvik").first).to_be_visible()
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

    page.get_by_role("link", name=t("Record a risk assessment…")).click()
    page.get_by_label(t("Instrument")).select_option(label=t("FREDA danger assessment"))
    page.get_by_label(t("Risk level")).select_option(label=t("Moderate"))
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
