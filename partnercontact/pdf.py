"""HTML to PDF with WeasyPrint, fetching nothing: the one way documents are printed.

Used for the consent form and for letters to a partner. Both are built from our own templates
and need nothing outside themselves (styles are inline, fonts are the system's).
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class NoFetching(URLFetcher):
    """A URL fetcher that fetches nothing."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        raise ValueError("a printed document loads nothing from outside itself")


def html_to_pdf(page: str) -> bytes:
    """``page`` (a complete HTML document) as PDF bytes."""
    # Refusing every fetch keeps a name such as <img src=...> (were escaping ever lost) from
    # making the server request a URL or read a local file into the PDF.
    return HTML(string=page, url_fetcher=NoFetching()).write_pdf()
