"""A client treater registers a client and records and withdraws consent, in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot

pytestmark = pytest.mark.e2e


def test_register_a_client_and_record_then_withdraw_consent(page: Page, served: Served) -> None:
    username, password = served.demo_logins["client_treater"]
    page.goto(served.url + "/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()

    page.get_by_role("link", name="Registrera en klient").click()
    page.get_by_label("Namn").fill("Bertil Provsson")
    page.get_by_label("Personnummer (frivilligt)").fill("19811218-9877")
    page.get_by_label("Telefon").fill("070-765 43 21")
    page.get_by_role("button", name="Registrera").click()
    # A typo in the last digit is named as such.
    expect(page.locator("#personal_id-error")).to_contain_text("sista siffra stämmer inte")
    expect(page.get_by_label("Namn")).to_have_value("Bertil Provsson")
    screenshot(page, "client-register-error")
    page.get_by_label("Personnummer (frivilligt)").fill("19811218-9876")
    page.get_by_role("button", name="Registrera").click()
    expect(page.get_by_role("heading", name="Bertil Provsson")).to_be_visible()

    page.get_by_role("link", name="Registrera samtycke").click()
    page.get_by_label("Kontakta partnern med brev").check()
    page.get_by_label(
        "Berätta för partnern, om hon vill, när klienten avslutar eller avbryter"
    ).check()
    page.get_by_label("Ort").fill("Lindvik")
    page.get_by_label("Klienten intygar").check()
    screenshot(page, "consent-form")
    page.get_by_role("button", name="Registrera samtycke").click()
    expect(page.get_by_text("Underskrift saknas")).to_be_visible()
    screenshot(page, "client-with-consent")

    page.get_by_role("link", name="Återkalla …").click()
    expect(page.get_by_role("heading", name="Återkalla samtycket?")).to_be_visible()
    page.get_by_role("button", name="Ja, återkalla samtycket").click()
    expect(page.get_by_text("Samtycket återkallades.")).to_be_visible()
    expect(page.get_by_role("link", name="Registrera samtycke")).to_be_visible()
    screenshot(page, "client-consent-withdrawn")
