"""HTML to PDF with WeasyPrint, fetching nothing: the one way documents are printed.

Used for the consent form and for letters to a partner. Both are built from our own templates
and need nothing outside themselves (styles are inline or given as a file of ours, fonts are
the system's).

WeasyPrint takes most of a second to import, so it is imported by the first document printed,
not by every process that starts (the command line, workers, each web worker).

What does not change between documents is made once per thread, not once per document: the
font configuration (finding the system's fonts) and a stylesheet given as a file, parsed again
only when the file changes. Neither holds anything of a document: a stylesheet is our own file,
and the font configuration knows only the system's fonts (none of our documents declares a
font of its own).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _no_fetching() -> Any:
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        """A URL fetcher that fetches nothing."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            raise ValueError("a printed document loads nothing from outside itself")

    return NoFetching


class _Made(threading.local):
    """This thread's font configuration and parsed stylesheets: WeasyPrint's objects are not
    shared between threads."""

    def __init__(self) -> None:
        self.font_config: Any = None
        # By path: the file's modification time and size when parsed, and the parsed sheet.
        self.stylesheets: dict[Path, tuple[tuple[int, int], Any]] = {}


_made = _Made()


def _font_config() -> Any:
    if _made.font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _made.font_config = FontConfiguration()
    return _made.font_config


def _stylesheet(path: Path) -> Any:
    """``path`` parsed as a print stylesheet, again only once the file has changed."""
    from weasyprint import CSS

    status = path.stat()
    stamp = (status.st_mtime_ns, status.st_size)
    known = _made.stylesheets.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    sheet = CSS(
        string=path.read_text(encoding="utf-8"),
        font_config=_font_config(),
        url_fetcher=_no_fetching()(),
    )
    _made.stylesheets[path] = (stamp, sheet)
    return sheet


def html_to_pdf(page: str, *, stylesheet: Path | None = None) -> bytes:
    """``page`` (a complete HTML document) as PDF bytes; ``stylesheet``, a CSS file of ours,
    applies as if it were inlined in the page's head after its own style."""
    from weasyprint import HTML

    # Refusing every fetch keeps a name such as <img src=...> (were escaping ever lost) from
    # making the server request a URL or read a local file into the PDF.
    document = HTML(string=page, url_fetcher=_no_fetching()())
    sheets = [_stylesheet(stylesheet)] if stylesheet is not None else None
    return document.write_pdf(stylesheets=sheets, font_config=_font_config())
