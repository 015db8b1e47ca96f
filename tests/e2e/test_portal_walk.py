"""Her own channel, in the browser, in Swedish, English and Arabic: her treater reads her an
invitation code; she redeems it, chooses a passphrase and is given a codename; she logs in with
them, reads and answers a message and clears it; she sends a photo, which reaches her treater
without its location; she says "not safe now" and her treater's letter and text are refused
with that reason; she narrows her plan (it counts at once) and proposes a wider one (it waits
for her treater); she gives a safer number, which the next text goes to and a later correction
from the client side does not change; and she leaves with the quick exit, after which her old
cookie opens nothing and the back button does not bring the portal back.

Her treater works in Swedish throughout; she works in the walk's language."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.seeding import (
    case_for_her_channel,
    correct_the_hand_over,
    newest_text_to,
    queue_another_text,
)
from tests.e2e.walks import log_in_as, open_case_part, words

pytestmark = pytest.mark.e2e

PASSPHRASE = "vår gamla cykel står i förrådet"
NEUTRAL_SITE = "https://www.smhi.se/"
TO_HER = "Hej! Passar det att vi talas vid på torsdag?"
FROM_HER = {"sv": "Torsdag passar bra.", "en": "Thursday is fine.", "ar": "يوم الخميس مناسب."}
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English", "ar": "العربية"}
HER_OWN_NUMBER = "070-765 43 21"
HER_OWN_NUMBER_E164 = "+46707654321"


def _photo_with_position() -> bytes:
    """A JPEG as a phone takes it: the camera, and where it was taken."""
    image = Image.new("RGB", (40, 30), (30, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "Telefonmärke"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (59.0, 19.0, 44.0), "E", (18.0, 4.0, 6.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _her_browser(new_page: Callable[..., Page], language: str) -> Page:
    """Her own browser, apart from her treater's."""
    her = new_page(locale={"sv": "sv-SE", "en": "en-GB", "ar": "ar-SE"}[language])
    # The neutral site the quick exit leaves for, answered here: the machine has no internet.
    her.context.route(
        NEUTRAL_SITE + "**",
        lambda route: route.fulfill(body="<title>Väder</title><p>Väderprognos</p>"),
    )
    return her


def _treater_opens(page: Page, served: Served, case_id, part: str = "Her own channel") -> None:  # type: ignore[no-untyped-def]
    """Her treater opens her case, on the part with her channel unless ``part`` says another."""
    page.goto(f"{served.url}/partner/cases/{case_id}")
    open_case_part(page, "sv", part)


def _invitation_code(page: Page, served: Served, case_id) -> str:  # type: ignore[no-untyped-def]
    t = words("sv")
    _treater_opens(page, served, case_id)
    page.get_by_role("link", name=t("Offer her own channel…")).click()
    page.get_by_role("button", name=t("Make the code")).click()
    code = page.locator("#invitation-code").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code), code
    return code


def _write_to_her(page: Page, served: Served, case_id, text: str) -> None:  # type: ignore[no-untyped-def]
    t = words("sv")
    _treater_opens(page, served, case_id)
    page.get_by_label(t("Message to her")).fill(text)
    page.get_by_role("button", name=t("Send to her channel")).click()


def _letter_preview(page: Page, served: Served, case_id) -> None:  # type: ignore[no-untyped-def]
    t = words("sv")
    _treater_opens(page, served, case_id, "Texts and letters")
    page.get_by_role("link", name=t("Write a letter…")).click()
    page.get_by_label(t("Letter"), exact=True).select_option(index=1)
    page.get_by_role("button", name=t("Show the letter")).click()


def _refused_for_her_pause(page: Page, served: Served, case_id) -> None:  # type: ignore[no-untyped-def]
    """Her treater's letter and text are both refused, each saying why."""
    t = words("sv")
    reason = t(
        "She said it is not safe now: every contact with her waits until she or her treater "
        "lifts it."
    )
    _letter_preview(page, served, case_id)
    expect(page.locator("#send-refusal")).to_contain_text(reason)
    _treater_opens(page, served, case_id, "Texts and letters")
    page.get_by_role("link", name=t("Write a text message…")).click()
    page.get_by_label(t("Text message")).select_option(index=1)
    page.get_by_role("button", name=t("Show the text")).click()
    expect(page.locator("#send-refusal")).to_contain_text(reason)
    screenshot(page, "portal-treater-refused-while-not-safe")


def _send_a_text(page: Page, served: Served, case_id) -> None:  # type: ignore[no-untyped-def]
    t = words("sv")
    _treater_opens(page, served, case_id, "Texts and letters")
    page.get_by_role("link", name=t("Write a text message…")).click()
    page.get_by_label(t("Text message")).select_option(label=t("Text announcing a phone call"))
    page.get_by_role("button", name=t("Show the text")).click()
    expect(page.locator("#send-allowed")).to_be_visible()
    page.get_by_label(t("I have read the text and it is safe to send to her now.")).check()
    page.get_by_role("button", name=t("Send the text message")).click()


def _treater_opens_her_photo(page: Page, served: Served, case_id) -> bytes:  # type: ignore[no-untyped-def]
    """Her treater opens the photo she sent, after the page that asks first."""
    t = words("sv")
    _treater_opens(page, served, case_id)
    page.locator("#portal-thread form.portal-attachment button").first.click()
    expect(
        page.get_by_text(
            t(
                "The photo's hidden details, such as where it was taken, were removed when it "
                "was sent."
            )
        )
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name=t("Open the file")).click()
    return download.value.path().read_bytes()


@pytest.mark.parametrize("language", ["sv", "en", "ar"])
def test_her_own_channel_from_invitation_to_quick_exit(
    new_page: Callable[..., Page], page: Page, served: Served, language: str
) -> None:
    t = words(language)
    case_id = case_for_her_channel(served, f"Nora Påhittad {language}")
    log_in_as(page, served, "partner_treater", "sv")
    code = _invitation_code(page, served, case_id)
    _write_to_her(page, served, case_id, TO_HER)

    her = _her_browser(new_page, language)
    her.goto(served.portal_url + "/")
    her.get_by_role("button", name=LANGUAGE_NAMES[language]).click()
    expect(her.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(her.locator("#not-for-emergencies")).to_contain_text("112")

    # The invitation: her passphrase twice, and her codename shown once.
    her.get_by_role("link", name=t("I have an invitation code")).click()
    her.get_by_label(t("Invitation code")).fill(code)
    her.get_by_label(t("Choose a passphrase")).fill(PASSPHRASE)
    her.get_by_label(t("The passphrase again")).fill(PASSPHRASE)
    her.get_by_role("button", name=t("Continue")).click()
    codename = her.locator("#codename").inner_text().strip()
    assert re.fullmatch(r"[a-zåäö]+(-[a-zåäö]+){2}", codename), codename
    assert codename not in her.url and str(case_id) not in her.url
    screenshot(her, f"portal-{language}-1-codename")

    # Out, and in again with the codename and the passphrase.
    her.get_by_role("button", name=t("Leave this page")).click()
    her.wait_for_url(NEUTRAL_SITE)
    her.goto(served.portal_url + "/")
    her.get_by_label(t("Codename")).fill(codename)
    her.get_by_label(t("Passphrase")).fill(PASSPHRASE)
    her.get_by_role("button", name=t("Log in")).click()

    # Her treater's message: read (and marked read), answered, cleared.
    thread = her.locator("#messages")
    expect(thread.get_by_text(TO_HER)).to_be_visible()
    her.get_by_label(t("Write to your contact at the clinic")).fill(FROM_HER[language])
    her.get_by_role("button", name=t("Send"), exact=True).click()
    expect(thread.get_by_text(FROM_HER[language])).to_be_visible()
    expect(thread.locator(".from-her .read-mark")).to_have_text(t("Not read yet"))
    screenshot(her, f"portal-{language}-2-thread")
    thread.locator(".to-her").get_by_role("button", name=t("Read and clear")).click()
    expect(thread.get_by_text(TO_HER)).to_have_count(0)

    _treater_opens(page, served, case_id)
    expect(page.locator("#portal-thread")).to_contain_text(FROM_HER[language])
    expect(page.locator("#portal-thread .to-her")).to_contain_text(
        words("sv")("Cleared from her view %(time)s").split("%")[0].strip()
    )
    her.reload()
    expect(thread.locator(".from-her .read-mark")).to_have_text(t("Read by the clinic"))

    # A photo: her treater receives it without where it was taken.
    her.get_by_label(t("Write to your contact at the clinic")).fill(FROM_HER[language])
    her.get_by_label(t("A photo or a PDF (if you like)")).set_input_files(
        files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": _photo_with_position()}]
    )
    her.get_by_role("button", name=t("Send"), exact=True).click()
    expect(thread.locator("form.attachment button").first).to_contain_text(t("Photo"))
    photo = Image.open(io.BytesIO(_treater_opens_her_photo(page, served, case_id)))
    assert photo.size == (40, 30)
    assert dict(photo.getexif()) == {} and "exif" not in photo.info

    # Not safe now: everything waits, and her treater is told why.
    her.get_by_role("button", name=t("Not safe now")).click()
    expect(her.get_by_text(t("You said it is not safe now."))).to_be_visible()
    _refused_for_her_pause(page, served, case_id)
    her.get_by_role("button", name=t("It is safe again")).click()
    expect(her.get_by_role("button", name=t("Not safe now"))).to_be_visible()

    # Her plan: no letters counts at once; letters again waits for her treater.
    her.get_by_role("link", name=t("How we may contact you")).click()
    her.get_by_label(t("Letters"), exact=True).uncheck()
    her.get_by_role("button", name=t("Save")).click()
    expect(her.get_by_text(t("Your plan is changed. It counts from now."))).to_be_visible()
    _letter_preview(page, served, case_id)
    expect(page.locator("#send-refusal")).to_be_visible()
    her.get_by_label(t("Letters"), exact=True).check()
    her.get_by_role("button", name=t("Save")).click()
    expect(her.locator("#proposal-state")).to_be_visible()
    screenshot(her, f"portal-{language}-3-plan-proposed")
    _letter_preview(page, served, case_id)
    expect(page.locator("#send-refusal")).to_be_visible()  # not until her treater confirms
    _treater_opens(page, served, case_id, "About her")
    page.get_by_role("link", name=words("sv")("Review her proposal…")).click()
    page.get_by_role("button", name=words("sv")("Confirm her proposal")).click()
    _letter_preview(page, served, case_id)
    expect(page.locator("#send-allowed")).to_be_visible()
    her.get_by_role("link", name=t("Back to the start")).click()

    # A safer number of her own: the next text goes there, whatever the client side says later.
    her.get_by_role("link", name=t("Your number and address")).click()
    her.get_by_label(t("A safer phone number")).fill(HER_OWN_NUMBER)
    her.get_by_role("button", name=t("Save")).click()
    expect(her.get_by_text(t("Saved. From now on we use what you gave here."))).to_be_visible()
    expect(her.locator("#own-phone")).to_contain_text("21")
    _send_a_text(page, served, case_id)
    assert newest_text_to(served, case_id) == HER_OWN_NUMBER_E164
    correct_the_hand_over(served, case_id, phone="070-999 88 77")
    assert newest_text_to(served, case_id) == HER_OWN_NUMBER_E164
    queue_another_text(served, case_id)
    assert newest_text_to(served, case_id) == HER_OWN_NUMBER_E164
    her.get_by_role("link", name=t("Back to the start")).click()

    # The quick exit: the page is replaced, the old cookie opens nothing, and the back button
    # does not bring her portal back.
    cookies = her.context.cookies()
    assert [cookie["name"] for cookie in cookies] == ["pc_portal"]
    her.wait_for_load_state("load")  # the exit's script is in place
    for _ in range(3):
        her.keyboard.press("Shift")
    her.wait_for_url(NEUTRAL_SITE)
    her.go_back()
    assert not her.url.startswith(served.portal_url + "/start")
    again = new_page(locale=None)
    again.context.add_cookies(cookies)
    again.goto(served.portal_url + "/start")
    assert again.url == served.portal_url + "/"  # back at the login: the session is gone
    verify_audit_log(served)
