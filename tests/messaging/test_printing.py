"""Printing to PDF with a stylesheet kept apart: the letters' stylesheet is parsed once per
process and applied as if it were inlined, so a printed letter is the same document as the
page with its style inline, and a stylesheet changed on disk is read again."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pypdf import PdfReader

from partnercontact.partner_side.messaging import templates
from partnercontact.pdf import html_to_pdf

POINTS_PER_MM = 72 / 25.4
PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Letter</title></head>"
    "<body><p class='greeting'>Hello Maja Påhittad!</p></body></html>"
)


def _page_size_mm(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) / POINTS_PER_MM), round(float(box.height) / POINTS_PER_MM)


def test_a_stylesheet_apart_prints_as_the_same_style_inline() -> None:
    css = (templates.LETTERS_DIR / templates.STYLESHEET).read_text(encoding="utf-8")
    inline = PAGE.replace("</head>", f"<style>{css}</style></head>")
    stylesheet = templates.LETTERS_DIR / templates.STYLESHEET
    apart = html_to_pdf(PAGE, stylesheet=stylesheet)
    assert apart == html_to_pdf(inline)
    # And again, from the parsed stylesheet kept for the next document.
    assert html_to_pdf(PAGE, stylesheet=stylesheet) == apart
    assert _page_size_mm(apart) == (210, 297)
    assert "Hello Maja Påhittad!" in PdfReader(io.BytesIO(apart)).pages[0].extract_text()


def test_a_stylesheet_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    stylesheet = tmp_path / "letter.css"
    stylesheet.write_text("@page { size: A4; }", encoding="utf-8")
    assert _page_size_mm(html_to_pdf(PAGE, stylesheet=stylesheet)) == (210, 297)

    stylesheet.write_text("@page { size: A5 landscape; }", encoding="utf-8")
    later = stylesheet.stat().st_mtime_ns + 1_000_000_000
    os.utime(stylesheet, ns=(later, later))
    assert _page_size_mm(html_to_pdf(PAGE, stylesheet=stylesheet)) == (210, 148)
