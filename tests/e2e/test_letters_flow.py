"""Letters in the browser: the partner-contact treater previews the information letter in
Swedish and in English (both previews are saved as screenshots), sends it, finds it listed on
the case page and downloads its PDF. The audit log holds each step and verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import audit_actions, hand_over_a_case, log_in_as, open_case_part, words

pytestmark = pytest.mark.e2e


def test_a_letter_is_previewed_in_both_languages_sent_and_listed(
    page: Page, served: Served
) -> None:
    t = words("sv")
    partner = "Lova Påhittad brev"
    hand_over_a_case(page, served, "sv", partner)

    log_in_as(page, served, "partner_treater", "sv")
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    open_case_part(page, "sv", "Contact")
    page.get_by_role("link", name=t("Assess suitability")).click()
    page.get_by_label(t("Decision")).select_option(label=t("Contact the partner"))
    page.get_by_role("button", name=t("Save")).click()
    # Her own consent names letters: the client's consent covered a first call only.
    page.get_by_role("link", name=t("Record her answer")).click()
    page.get_by_label(t("Her answer"), exact=True).select_option(label=t("Accepted"))
    page.get_by_label(t("Contact by letter")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("Her answer was recorded."))).to_be_visible()

    open_case_part(page, "sv", "Texts and letters")
    page.get_by_role("link", name=t("Write a letter…")).click()
    page.get_by_label(t("Letter"), exact=True).select_option(
        label=t("Information letter: what partner contact offers")
    )
    preview = page.frame_locator("#letter-preview iframe")
    for language, words_of_letter, shot in (
        ("Swedish", "Partnerkontakten handlar om din och eventuella barns säkerhet", "1-sv"),
        ("English", "Partner contact is about your safety", "2-en"),
    ):
        page.get_by_label(t("Language of the letter")).select_option(label=t(language))
        page.get_by_role("button", name=t("Show the letter")).click()
        expect(preview.locator("#letter")).to_contain_text(words_of_letter)
        envelope = preview.locator("#envelope")
        expect(envelope).to_contain_text(partner)
        expect(envelope).to_contain_text("Påhittevägen 9")
        expect(envelope).to_contain_text("Lindvik samtal")
        expect(envelope).not_to_contain_text("Mottagningen")
        # The preview is styled by the letters' stylesheet: the envelope area is 95 mm tall.
        height = envelope.evaluate("element => element.getBoundingClientRect().height")
        assert abs(height - 95 * 96 / 25.4) < 2
        screenshot(page, f"letters-{shot}-preview")

    page.get_by_label(t("I have checked the letter and the address")).check()
    page.get_by_role("button", name=t("Send the letter")).click()
    expect(
        page.get_by_text(t("The letter was saved as sent. Print it from the list of letters."))
    ).to_be_visible()
    listed = page.locator("#sent-letters")
    expect(listed).to_contain_text(t("Information letter: what partner contact offers"))
    expect(listed).to_contain_text(t("English"))
    screenshot(page, "letters-3-case-lists-the-letter")

    with page.expect_download() as download:
        listed.get_by_role("link", name=t("PDF for printing")).click()
    assert download.value.suggested_filename == "brev.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    actions = audit_actions(served)
    for tag in ("message.letter_previewed", "message.letter_sent", "message.letter_opened"):
        assert tag in actions, f"{tag} is missing from the audit log"
    verify_audit_log(served)
