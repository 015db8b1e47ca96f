"""A manager's walk through follow-up in the browser: the month's statistics with their
charts and export, the consent register, and the access log showing who opened what.

The served instance is shared with the other walks, so this month's history is added on
top of whatever they left: twenty clients this month (a number that shows) and one dropout
(a number that hides). No page the manager reaches may show a partner's details.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from partnercontact.app import create_app
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today
from partnercontact.config import load_config
from partnercontact.db import db
from partnercontact.policy import Role
from tests.e2e.conftest import Served, screenshot
from tests.e2e.walks import hand_over_a_case, log_in_as, words
from tests.statistics.seeding import History

PARTNER = "Tyra Påhittsdotter"
CLIENTS = 20


def _instance_app(served: Served) -> Flask:
    return create_app(load_config(environ=served.env))


def _add_this_months_history(served: Served) -> None:
    app = _instance_app(served)
    with app.app_context():
        treater = db.session.query(User).filter_by(role=Role.CLIENT_TREATER.value).first()
        assert treater is not None
        today = clinic_today(treater.clinic)
        history = History(treater.clinic, treater)
        first = today.replace(day=1)
        for number in range(CLIENTS):
            day = first + timedelta(days=number % today.day)
            episode = history.episode(day)
            history.consent(episode, day)
        history.episode(first, status="dropped_out", ended_on=today)
        db.session.commit()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_manager_follows_up_without_seeing_anyones_details(
    page: Page, served: Served, language: str, tmp_path: Path
) -> None:
    t = words(language)
    shot = f"management-{language}"
    hand_over_a_case(page, served, language, PARTNER)
    _add_this_months_history(served)

    log_in_as(page, served, "manager", language)
    page.goto(served.url + "/management/")
    page.get_by_role("link", name=t("Statistics")).click()
    this_month = page.get_by_label(t("Period")).locator("option").first
    page.get_by_label(t("Period")).select_option(this_month.get_attribute("value"))
    page.get_by_role("button", name=t("Show")).click()

    in_treatment = page.locator('tr[data-line="clients.in_treatment"] td[data-period="current"]')
    assert int(in_treatment.inner_text()) >= CLIENTS
    dropouts = page.locator('tr[data-line="clients.dropouts"] td[data-period="current"]')
    expect(dropouts).to_have_text("<5")
    expect(page.locator("figure.chart svg")).to_have_count(9)
    expect(page.locator("#share-asked")).to_be_visible()
    screenshot(page, f"{shot}-1-statistics")
    page.locator("#section-relayed").scroll_into_view_if_needed()
    screenshot(page, f"{shot}-2-statistics-charts")

    with page.expect_download() as exported:
        page.get_by_role("link", name=t("Export as CSV")).click()
    assert exported.value.suggested_filename.startswith(t("statistics") + "-")
    csv_text = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    assert t("Dropouts (ended early)") in csv_text and "<5" in csv_text

    page.goto(served.url + "/management/")
    page.get_by_role("link", name=t("Consent register")).click()
    expect(page.locator("table tbody tr").first).to_be_visible()
    screenshot(page, f"{shot}-3-register")
    page.locator("table tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=t("Audit trail"))).to_be_visible()

    page.goto(served.url + "/management/")
    page.get_by_role("link", name=t("Access log")).click()
    page.get_by_label(t("What")).select_option(label=t("Statistics opened"))
    page.get_by_role("button", name=t("Filter")).click()
    rows = page.locator("table.access-log tbody tr")
    expect(rows.first).to_contain_text(t("Statistics opened"))
    screenshot(page, f"{shot}-4-access-log")
    # Everyone who touched one record: the statistics of this month, opened by the manager.
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name=t("Everyone who touched this record"))).to_be_visible()
    expect(page.locator("table.access-log tbody tr").first).to_contain_text(
        served.demo_logins["manager"][0]
    )
    screenshot(page, f"{shot}-5-one-record")

    for path in (
        "/management/",
        "/management/statistics",
        "/management/consents",
        "/management/access-log",
        "/management/tasks",
    ):
        page.goto(served.url + path)
        content = page.content()
        for detail in (PARTNER, "070-444 55 66", "Påhittevägen 9"):
            assert detail not in content, (path, detail)
