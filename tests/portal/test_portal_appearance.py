"""What a tab, the history or a bookmark shows of her portal: the clinic's neutral title on
every page, in every language, and its neutral icon, or "Messages" and a blank icon when the
clinic chose none."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flask import Flask

from partnercontact.config import ConfigError, load_config
from partnercontact.portal.app import create_portal_app
from partnercontact.runtime import EXTENSION_KEY

# The eight bytes every PNG file starts with, and a few more: enough to tell it from the blank
# icon when it comes back.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"neutral icon"


def _portal_with(app: Flask, **portal: object) -> Flask:
    runtime = app.extensions[EXTENSION_KEY]
    config = dataclasses.replace(
        runtime.config, portal=dataclasses.replace(runtime.config.portal, **portal)
    )
    return create_portal_app(config, clock=runtime.clock, keyring=runtime.keyring)


def test_every_page_bears_the_clinics_neutral_title_and_icon(app: Flask, tmp_path: Path) -> None:
    icon = tmp_path / "garden.png"
    icon.write_bytes(PNG)
    portal = _portal_with(app, page_title="Trädgårdsklubben", favicon=icon)
    her = portal.test_client()
    for page, language in [("/", "sv"), ("/staying-safe", "en"), ("/invitation", "sv")]:
        text = her.get(page, headers={"Accept-Language": language}).text
        assert "<title>Trädgårdsklubben</title>" in text, page
        assert 'rel="icon" href="/favicon.ico"' in text
    served = her.get("/favicon.ico")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == PNG


def test_without_a_choice_the_title_is_messages_in_her_language_and_the_icon_blank(
    her,
) -> None:
    assert "<title>Meddelanden</title>" in her.get("/", headers={"Accept-Language": "sv"}).text
    assert "<title>Messages</title>" in her.get("/", headers={"Accept-Language": "en"}).text
    served = her.get("/favicon.ico")
    assert served.status_code == 200 and served.mimetype == "image/x-icon"


@pytest.mark.parametrize(
    ("setting", "value", "complaint"),
    [
        ("PAGE_TITLE", "x" * 41, "portal.page_title"),
        ("FAVICON", "/nowhere/icon.png", "portal.favicon"),
        ("FAVICON", "/etc/hostname", "portal.favicon"),
    ],
)
def test_a_title_or_icon_the_portal_cannot_use_is_refused_at_start(
    setting: str, value: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_config(environ={f"PARTNERCONTACT_PORTAL__{setting}": value})


def test_she_chooses_arabic_and_her_pages_read_right_to_left(her) -> None:
    start = her.get("/", headers={"Accept-Language": "sv"})
    assert '<html lang="sv" dir="ltr">' in start.text
    token = start.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    chosen = her.post("/language-choice", data={"csrf_token": token, "language": "ar"})
    assert chosen.status_code == 303
    page = her.get("/", headers={"Accept-Language": "sv"}).text
    assert '<html lang="ar" dir="rtl">' in page
    assert "هذه الخدمة ليست لحالات الطوارئ." in page  # "This is not for emergencies."
    assert "<title>الرسائل</title>" in page
    # A language the portal does not speak changes nothing.
    her.post("/language-choice", data={"csrf_token": token, "language": "fi"})
    assert '<html lang="ar" dir="rtl">' in her.get("/").text


def test_her_browsers_language_is_taken_when_she_chose_none(her) -> None:
    assert 'lang="ar" dir="rtl"' in her.get("/", headers={"Accept-Language": "ar"}).text
    assert 'lang="en" dir="ltr"' in her.get("/", headers={"Accept-Language": "en-GB"}).text
