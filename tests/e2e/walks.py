"""Steps the browser walks share: logging in as a demo user or as a new account, handing a
case over, and the interface's words in either language."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache

import pyotp
from babel.messages.pofile import read_po
from playwright.sync_api import Page
from sqlalchemy import create_engine, text

from partnercontact.assessments.instruments import INSTRUMENTS
from partnercontact.config import PROJECT_ROOT
from partnercontact.demo import DEMO_CLINIC
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


def new_account(
    served: Served,
    username: str,
    role: str,
    name: str,
    *,
    clinic: str = DEMO_CLINIC,
    create_clinic_as: str | None = None,
) -> str:
    """An account made as an administrator makes one (`partnercontact users create`, in a
    new clinic with ``create_clinic_as`` its neutral sender name); returns its one-time
    password."""
    creating = ["--create-clinic", create_clinic_as] if create_clinic_as else []
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "partnercontact.cli",
            "users",
            "create",
            "--clinic",
            clinic,
            *creating,
            "--username",
            username,
            "--name",
            name,
            "--role",
            role,
        ],
        env=served.env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"one-time password: (\S+)", made.stdout)
    assert found is not None, made.stdout
    return found.group(1)


def first_login(page: Page, served: Served, username: str, one_time_password: str) -> None:
    """A new account's first login, as its owner does it: the one-time password, the second
    factor set up from the page's key, the recovery codes kept, a password of their own, and
    back in with a recovery code (the app's code of this half-minute is spent)."""
    page.goto(served.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(one_time_password)
    page.locator("main button.primary[type=submit]").click()
    link = page.locator("code.uri").text_content() or ""
    secret = re.search(r"secret=([A-Z2-7]+)", link)
    assert secret is not None, link
    page.locator("#code").fill(pyotp.TOTP(secret.group(1)).now())
    page.locator("main button.primary[type=submit]").click()
    codes = page.locator("#recovery-codes li code").all_text_contents()
    page.locator("#recovery-codes ~ .actions a").click()
    own = f"{username}-own-password"
    page.locator("#current_password").fill(one_time_password)
    page.locator("#new_password").fill(own)
    page.locator("#repeat_password").fill(own)
    page.locator("form[action$='/account/password'] button[type=submit]").click()
    page.locator("#username").fill(username)
    page.locator("#password").fill(own)
    page.locator("main button.primary[type=submit]").click()
    page.locator("#code").fill(codes[0])
    page.locator("main button.primary[type=submit]").click()


def rate_every_item(
    page: Page, language: str, instrument: str, *, present: frozenset[str] = frozenset()
) -> None:
    """On a new assessment's page: choose ``instrument``, then rate each item, the ones in
    ``present`` at the top of its scale (present, yes, often) and the rest at the bottom."""
    t = words(language)
    chosen = INSTRUMENTS[instrument]
    page.get_by_label(t("Instrument")).select_option(instrument)
    page.get_by_role("button", name=t("Continue")).click()
    lowest, highest = (
        list(chosen.scale)[0],
        [key for key in chosen.scale if key in chosen.present][-1],
    )
    for item in chosen.items:
        rating = highest if item.key in present else lowest
        page.locator(f"#item_{item.key} input[value='{rating}']").check()
