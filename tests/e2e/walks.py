"""Steps the browser walks share: logging in as a demo user, handing a case over, and the
interface's words in either language."""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po
from playwright.sync_api import Page
from sqlalchemy import create_engine, text

from partnercontact.config import PROJECT_ROOT
from tests.cases_built import PDF
from tests.e2e.conftest import Served

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


def log_in_as(page: Page, served: Served, role: str, language: str) -> None:
    username, password = served.demo_logins[role]
    t = words(language)
    page.goto(served.url + "/login")
    if language == "en" and page.get_by_role("button", name="English").count():
        page.get_by_role("button", name="English").click()
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(password)
    page.get_by_role("button", name=t("Log in")).click()


def hand_over_a_case(page: Page, served: Served, language: str, partner: str) -> None:
    """The client side's part, briefly: a client, a signed consent, the partner's details."""
    t = words(language)
    log_in_as(page, served, "client_treater", language)
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


def audit_actions(served: Served) -> list[str]:
    """Every action tag in the served instance's audit log, in order."""
    engine = create_engine(f"sqlite:///{served.instance / 'partnercontact.db'}")
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT action FROM audit_event ORDER BY seq")))
    finally:
        engine.dispose()
