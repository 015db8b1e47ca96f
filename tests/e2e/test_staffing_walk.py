"""Staff turnover in the browser: a partner-contact treater leaves and her account is
disabled; the manager finds her case on the task page and moves it to a colleague, who finds
it marked as moved to him and works it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import (
    audit_actions,
    first_login,
    hand_over_a_case,
    log_in_as,
    new_account,
    take_the_safety_steps,
    words,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["sv"])
def test_a_manager_moves_a_disabled_treaters_case_and_the_new_holder_works_it(
    page: Page, served: Served, language: str
) -> None:
    t = words(language)
    partner = "Greta Påhittad"
    leaving = new_account(served, "vera.slutar", "partner_treater", "Vera Slutar")
    staying = new_account(served, "ivar.stannar", "partner_treater", "Ivar Stannar")
    hand_over_a_case(page, served, language, partner)

    # Vera takes the case, then leaves the clinic: the administrator disables her account.
    first_login(page, served, "vera.slutar", leaving)
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    reference = page.url.split("/cases/")[1][:8]
    page.get_by_role("button", name=t("Log out")).click()
    subprocess.run(
        [sys.executable, "-m", "partnercontact.cli", "users", "disable", "vera.slutar"],
        env=served.env,
        check=True,
        capture_output=True,
    )

    # The manager finds the case waiting for a treater who can act, and moves it to Ivar.
    log_in_as(page, served, "manager", language)
    page.goto(served.url + "/management/tasks")
    row = page.locator(f"#move-case-{reference}")
    expect(row).to_contain_text("Vera Slutar")
    expect(row).to_contain_text(t("Account disabled"))
    assert partner not in page.content()  # a reference, never her name
    row.get_by_role("link", name=t("Move…")).click()
    page.get_by_role("button", name=t("Move")).click()
    expect(page.locator("#to_user_id-error")).to_be_visible()  # nobody chosen
    page.get_by_label(t("Move to")).select_option(label="Ivar Stannar")
    page.get_by_label(t("The treater has left the clinic")).check()
    screenshot(page, "staffing-1-move")
    page.get_by_role("button", name=t("Move")).click()
    expect(
        page.get_by_text(t("The partner case was moved. Its new treater finds it on their list."))
    ).to_be_visible()
    expect(page.locator(f"#move-case-{reference}")).to_have_count(0)
    page.get_by_role("button", name=t("Log out")).click()

    # Ivar finds it marked as moved to him, and takes the first steps on it.
    first_login(page, served, "ivar.stannar", staying)
    page.goto(served.url + "/partner/")
    expect(page.locator(f"#moved-{reference}")).to_be_visible()
    screenshot(page, "staffing-2-new-holder")
    page.locator(f"#moved-{reference}").locator("xpath=..").get_by_role("link").click()
    take_the_safety_steps(page, language)
    expect(page.get_by_text(t("The safe-contact plan was saved."))).to_be_visible()

    actions = audit_actions(served)
    assert "partner.case_reassigned" in actions
    assert "auth.recovery_code_used" in actions
    verify_audit_log(served)
