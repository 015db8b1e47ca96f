"""The whole client-side flow in the browser, in Swedish and in English: register a client,
print the consent form, record a consent and attach the signed copy, hand over the partner's
details, withdraw the consent, end the episode; then a manager finds the consent in the
register. The audit log must hold every step and verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.cases_built import PDF
from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import audit_actions

pytestmark = pytest.mark.e2e

WORDS = {
    "sv": {
        "username": "Användarnamn",
        "password": "Lösenord",
        "log in": "Logga in",
        "register a client": "Registrera en klient",
        "name": "Namn",
        "phone": "Telefon",
        "register": "Registrera",
        "record consent": "Registrera samtycke",
        "print": "Skriv ut samtyckesblanketten på svenska (PDF)",
        "by letter": "Kontakta partnern med brev",
        "by sms": "Kontakta partnern med sms",
        "place": "Ort",
        "attests": "Klienten intygar",
        "signature pending": "Underskrift saknas",
        "attach": "Bifoga den undertecknade kopian",
        "signed copy": "Undertecknad kopia",
        "open copy": "Öppna den undertecknade kopian",
        "hand over…": "Lämna över partnerns uppgifter …",
        "partner's name": "Partnerns namn",
        "address": "Adress",
        "relation": "Relation till klienten",
        "former": "Före detta partner",
        "children": "Gemensamma barn",
        "no": "Nej",
        "hand over": "Lämna över",
        "handed over": "Överlämnat",
        "withdraw…": "Återkalla …",
        "yes, withdraw": "Ja, återkalla samtycket",
        "withdrawn": "Återkallat",
        "end…": "Avsluta behandlingsperioden …",
        "how it ended": "Hur behandlingen avslutades",
        "ending": "Avbrott i förtid",
        "yes, end": "Ja, avsluta behandlingsperioden",
        "destroyed": "Undertecknad kopia förstörd",
        "log out": "Logga ut",
        "register page": "Samtyckesregister",
        "state": "Läge",
        "withdrawn state": "Återkallat",
        "filter": "Filtrera",
        "audit trail": "Granskningsspår",
    },
    "en": {
        "username": "Username",
        "password": "Password",
        "log in": "Log in",
        "register a client": "Register a client",
        "name": "Name",
        "phone": "Phone",
        "register": "Register",
        "record consent": "Record consent",
        "print": "Print the consent form in English (PDF)",
        "by letter": "Contact the partner by letter",
        "by sms": "Contact the partner by text message",
        "place": "Place",
        "attests": "The client attests",
        "signature pending": "Signature pending",
        "attach": "Attach the signed copy",
        "signed copy": "Signed copy",
        "open copy": "Open the signed copy",
        "hand over…": "Hand over the partner's details…",
        "partner's name": "Partner's name",
        "address": "Address",
        "relation": "Relation to the client",
        "former": "Former partner",
        "children": "Children in common",
        "no": "No",
        "hand over": "Hand over",
        "handed over": "Handed over on",
        "withdraw…": "Withdraw…",
        "yes, withdraw": "Yes, withdraw the consent",
        "withdrawn": "Withdrawn",
        "end…": "End the episode…",
        "how it ended": "How the treatment ended",
        "ending": "Ended early (dropout)",
        "yes, end": "Yes, end the episode",
        "destroyed": "Signed copy destroyed",
        "log out": "Log out",
        "register page": "Consent register",
        "state": "State",
        "withdrawn state": "Withdrawn",
        "filter": "Filter",
        "audit trail": "Audit trail",
    },
}
PARTNER = {"name": "Siri Uppdiktad", "phone": "070-555 12 34", "address": "Hittepåvägen 3"}


def _log_in(
    page: Page, served: Served, words: dict[str, str], language: str, role: str = "client_treater"
) -> None:
    username, password = served.demo_logins[role]
    page.goto(served.url + "/login")
    if language == "en":
        page.get_by_role("button", name="English").click()
    page.get_by_label(words["username"]).fill(username)
    page.get_by_label(words["password"]).fill(password)
    page.get_by_role("button", name=words["log in"]).click()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_whole_consent_flow(page: Page, served: Served, language: str) -> None:
    words = WORDS[language]
    shot = f"flow-{language}"
    _log_in(page, served, words, language)

    page.get_by_role("link", name=words["register a client"]).click()
    page.get_by_label(words["name"], exact=True).fill(f"Flödes Klientsson {language}")
    page.get_by_label(words["phone"]).fill("070-765 43 21")
    page.get_by_role("button", name=words["register"], exact=True).click()
    expect(page.get_by_role("heading", name=f"Flödes Klientsson {language}")).to_be_visible()
    screenshot(page, f"{shot}-1-registered")

    page.get_by_role("link", name=words["record consent"]).click()
    with page.expect_download() as printed:
        page.get_by_role("link", name=words["print"]).click()
    assert printed.value.suggested_filename == "samtycke.pdf"
    form = Path(printed.value.path()).read_bytes()
    assert form.startswith(b"%PDF-") and len(form) > 5000
    screenshot(page, f"{shot}-2-print-and-record")
    page.get_by_label(words["by letter"]).check()
    page.get_by_label(words["by sms"]).check()
    page.get_by_label(words["place"]).fill("Lindvik")
    page.get_by_label(words["attests"]).check()
    page.get_by_role("button", name=words["record consent"]).click()
    expect(page.get_by_text(words["signature pending"])).to_be_visible()
    expect(page.get_by_role("link", name=words["hand over…"])).to_have_count(0)
    screenshot(page, f"{shot}-3-signature-pending")

    page.get_by_role("link", name=words["attach"]).click()
    page.get_by_label(words["signed copy"]).set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    screenshot(page, f"{shot}-4-upload")
    page.get_by_role("button", name=words["attach"]).click()
    expect(page.get_by_role("link", name=words["open copy"])).to_be_visible()
    expect(page.get_by_text(words["signature pending"])).to_have_count(0)

    page.get_by_role("link", name=words["hand over…"]).click()
    page.get_by_label(words["partner's name"]).fill(PARTNER["name"])
    page.get_by_label(words["phone"]).fill(PARTNER["phone"])
    page.get_by_label(words["address"]).fill(PARTNER["address"])
    page.get_by_label(words["relation"]).select_option(label=words["former"])
    page.get_by_label(words["children"]).select_option(label=words["no"])
    screenshot(page, f"{shot}-5-handover")
    page.get_by_role("button", name=words["hand over"], exact=True).click()
    expect(page.get_by_text(words["handed over"])).to_be_visible()
    content = page.content()
    for detail in PARTNER.values():
        assert detail not in content
    screenshot(page, f"{shot}-6-handed-over")

    page.get_by_role("link", name=words["withdraw…"]).click()
    page.get_by_role("button", name=words["yes, withdraw"]).click()
    expect(page.get_by_text(words["withdrawn"], exact=False).first).to_be_visible()

    page.get_by_role("link", name=words["end…"]).click()
    page.get_by_label(words["how it ended"]).select_option(label=words["ending"])
    screenshot(page, f"{shot}-7-end-episode")
    page.get_by_role("button", name=words["yes, end"]).click()
    expect(page.get_by_text(words["destroyed"])).to_be_visible()
    expect(page.get_by_role("link", name=words["open copy"])).to_have_count(0)
    screenshot(page, f"{shot}-8-ended")

    # The manager still finds the consent's metadata, and the proof of destruction, in the
    # register; never the client's name.
    page.get_by_role("button", name=words["log out"]).click()
    _log_in(page, served, words, language, role="manager")
    page.get_by_role("link", name=words["register page"]).first.click()
    page.get_by_label(words["state"]).select_option(label=words["withdrawn state"])
    page.get_by_role("button", name=words["filter"]).click()
    expect(page.get_by_text(words["destroyed"]).first).to_be_visible()
    assert "Flödes Klientsson" not in page.content()
    screenshot(page, f"{shot}-9-register")
    page.locator("table tbody tr").last.get_by_role("link").click()
    expect(page.get_by_role("heading", name=words["audit trail"])).to_be_visible()
    assert "Flödes Klientsson" not in page.content()
    screenshot(page, f"{shot}-10-register-detail")

    actions = audit_actions(served)
    for tag in (
        "client.registered",
        "episode.opened",
        "consent.recorded",
        "consent.document_attached",
        "partner.handed_over",
        "consent.withdrawn",
        "episode.ended",
        "datakey.shredded",
        "consent.document_destroyed",
    ):
        assert tag in actions, f"{tag} is missing from the audit log"
    verify_audit_log(served)
