"""The quick start, as a person would meet it: serve, then log in as a demo user."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot

pytestmark = pytest.mark.e2e


def _log_in(page: Page, served: Served, role: str) -> None:
    username, password = served.demo_logins[role]
    page.goto(served.url + "/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()


def test_serve_prints_one_demo_login_per_role(served: Served) -> None:
    assert set(served.demo_logins) == {"client_treater", "partner_treater", "manager", "admin"}
    assert any(line.startswith("serving on http://127.0.0.1:") for line in served.output)


def test_a_demo_client_treater_logs_in_and_out(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    screenshot(page, "login")
    _log_in(page, served, "client_treater")
    expect(page.get_by_role("heading", name="Mina klienter")).to_be_visible()
    expect(page.get_by_text("Klientbehandlare")).to_be_visible()
    screenshot(page, "client-treater-landing")
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.goto(served.url + "/client/")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()


def test_each_role_lands_on_its_own_page(page: Page, served: Served) -> None:
    headings = {
        "partner_treater": "Partnerkontakt",
        "manager": "Uppföljning",
        "admin": "Konton",
    }
    for role, heading in headings.items():
        page.context.clear_cookies()
        _log_in(page, served, role)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        screenshot(page, f"{role}-landing")


def test_a_wrong_password_shows_a_clear_message_and_keeps_the_username(
    page: Page, served: Served
) -> None:
    username, _ = served.demo_logins["manager"]
    page.goto(served.url + "/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill("inte rätt lösenord")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Inloggningen misslyckades")
    expect(page.get_by_label("Användarnamn")).to_have_value(username)
    screenshot(page, "login-failed")


def test_the_language_switch_turns_the_page_english(page: Page, served: Served) -> None:
    page.goto(served.url + "/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login-english")
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()


def test_no_console_errors_from_the_content_security_policy(page: Page, served: Served) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    _log_in(page, served, "admin")
    page.goto(served.url + "/admin/clinic")
    expect(page.get_by_role("heading", name="Verksamhetens inställningar")).to_be_visible()
    assert errors == []
