"""A new account sets up its second factor in the browser, on a server in production mode:
the QR code is drawn (a screenshot of it decodes to the setup link the page gives), and the
recovery codes come after."""

from __future__ import annotations

import io
import re

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot
from tests.e2e.walks import new_account

pytestmark = pytest.mark.e2e


def test_the_qr_code_is_drawn_and_reads_as_the_setup_link(
    page: Page, production_served: Served
) -> None:
    """In production mode, as a clinic runs it: no demo, a new clinic's first account."""
    served = production_served
    assert not [line for line in served.output if "demo" in line]  # no demo in production
    password = new_account(
        served, "nora.qr", "partner_treater", "Nora Påhittad",
        clinic="Mottagningen Påhittad", create_clinic_as="Mottagningen",
    )  # fmt: skip
    page.goto(served.url + "/login")
    page.locator("#username").fill("nora.qr")
    page.locator("#password").fill(password)
    page.locator("main button.primary[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/enrol$"))

    qr = page.locator("figure.qr img")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0  # the browser drew it
    screenshot(page, "second-factor-enrol")
    drawn = Image.open(io.BytesIO(qr.screenshot()))
    (found,) = zxingcpp.read_barcodes(drawn)
    link = page.locator("code.uri").text_content()
    assert found.text == link and link.startswith("otpauth://totp/")

    secret = re.search(r"secret=([A-Z2-7]+)", link).group(1)  # type: ignore[union-attr]
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("main button.primary[type=submit]").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    screenshot(page, "second-factor-recovery-codes")
