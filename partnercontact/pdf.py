"""HTML to PDF with WeasyPrint, fetching nothing: the one way documents are printed.

Used for the consent form and for letters to a partner. Both are built from our own templates
and need nothing outside themselves (styles are inline, fonts are the system's).

WeasyPrint takes most of a second to import, so it is imported by the first document printed,
not by every process that starts (the command line, workers, each web worker).
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _no_fetching() -> Any:
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        """A URL fetcher that fetches nothing."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            raise ValueError("a printed document loads nothing from outside itself")

    return NoFetching


def html_to_pdf(page: str) -> bytes:
    """``page`` (a complete HTML document) as PDF bytes."""
    from weasyprint import HTML

    # Refusing every fetch keeps a name such as <img src=...> (were escaping ever lost) from
    # making the server request a URL or read a local file into the PDF.
    return HTML(string=page, url_fetcher=_no_fetching()()).write_pdf()
