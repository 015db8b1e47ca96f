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

CATALOGUES = PROJECT_ROOT / "partnercontact/translations"


@cache
def _catalogue(language: str) -> dict[str, str]:
    with (CATALOGUES / language / "LC_MESSAGES/messages.po").open("rb") as po:
        return {message.id: message.string for message in read_po(po) if message.id}


def words(language: str):  # type: ignore[no-untyped-def]
    """The interface's words in ``language``: the English text, or its Swedish (or, on her
    portal's pages, Arabic) translation."""
    if language == "en":
        return lambda text: text
    return lambda text: _catalogue(language)[text]


def log_in_as(page: Page, served: Served, role: str, language: str) -> None:
    username, password = served.demo_logins[role]
    t = words(language)
    page.goto(served.url + "/login")
    if language == "en" and page.get_by_role("button", name="English").count():
        page.get_by_role("button", name="English").click()
    page.get_by_label(t("Username")).fill(username)
    page.get_by_label(t("Password")).fill(password)
    page.get_by_role("button", name=t("Log in")).click()


def hand_over_a_case(
    page: Page, served: Served, language: str, partner: str, *, letters: bool = False
) -> None:
    """The client side's part, briefly: a client, a signed consent (to a first call, and to a
    first letter when ``letters``), the partner's details."""
    t = words(language)
    log_in_as(page, served, "client_treater", language)
    page.get_by_role("link", name=t("Register a client")).click()
    page.get_by_label(t("Name"), exact=True).fill(f"Klient till {partner}")
    page.get_by_label(t("Phone")).fill("070-111 22 33")
    page.get_by_role("button", name=t("Register"), exact=True).click()
    page.get_by_role("link", name=t("Record consent")).click()
    page.get_by_label(t("Contact the partner by phone")).check()
    if letters:
        page.get_by_label(t("Contact the partner by letter")).check()
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


def last_weekday_morning() -> str:
    """10:00 on the latest Monday to Friday before today, as a form's date and time: inside
    the clinic's first-call hours."""
    from datetime import date, timedelta

    day = date.today() - timedelta(days=1)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return f"{day.isoformat()}T10:00"


def take_the_safety_steps(page: Page, language: str) -> None:
    """On the case page of a case just picked up: found suitable, reached by a first call
    that asked whether it was safe to talk, and her plan (phone, weekdays 09 to 17)."""
    t = words(language)
    open_case_part(page, language, "Contact")
    page.get_by_role("link", name=t("Assess suitability")).click()
    page.get_by_label(t("Decision")).select_option(label=t("Contact the partner"))
    page.get_by_role("button", name=t("Save")).click()
    page.get_by_role("link", name=t("Record a contact attempt")).click()
    page.get_by_label(t("Way of contact")).select_option(label=t("Phone"))
    page.get_by_label(t("Outcome")).select_option(label=t("Reached"))
    page.get_by_label(t("When")).fill(last_weekday_morning())
    page.get_by_label(t("I asked first whether it was safe to talk, and she said it was")).check()
    page.get_by_role("button", name=t("Save")).click()
    page.get_by_role("link", name=t("Write the safe-contact plan")).click()
    page.get_by_label(t("Phone"), exact=True).check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(t(day), exact=True).check()
    page.get_by_label(t("Safe from")).fill("09:00")
    page.get_by_label(t("Safe until")).fill("17:00")
    page.get_by_role("button", name=t("Save")).click()


def open_case_part(page: Page, language: str, part: str) -> None:
    """Open a part of the partner case page by its tab, as a treater does (``part``: the
    tab's English label)."""
    t = words(language)
    tabs = page.get_by_role("navigation", name=t("Parts of the case"))
    tabs.get_by_role("link", name=t(part), exact=True).click()
