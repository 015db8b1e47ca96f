"""How her portal looks to her and to whoever sees her screen: a neutral title and icon,
chosen by the clinic ([portal] page_title and favicon) to blend in among ordinary sites, and
her pages in the language she chooses (Swedish, English or Arabic, right to left)."""

from __future__ import annotations

from pathlib import Path

from flask import redirect, request, send_file, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from partnercontact.i18n import PORTAL_LOCALES, RIGHT_TO_LEFT
from partnercontact.portal.views import bp
from partnercontact.runtime import current_runtime

# Each language by its own name, as she would look for it.
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English", "ar": "العربية"}
BLANK_ICON = Path(__file__).parent / "static" / "blank.ico"
ICON_TYPES = {".ico": "image/x-icon", ".png": "image/png"}


@bp.app_context_processor
def _page_frame() -> dict[str, object]:
    locale = str(get_locale())
    return {
        "page_title": current_runtime().config.portal.page_title or _("Messages"),
        "text_direction": "rtl" if locale in RIGHT_TO_LEFT else "ltr",
        "languages": [(code, LANGUAGE_NAMES[code]) for code in PORTAL_LOCALES],
    }


@bp.route("/language-choice", methods=["GET", "POST"])
def choose_language() -> Response:
    """Her pages from now on in the language she chose; an unknown choice changes nothing.
    Back to where she starts (her start page when she is logged in)."""
    chosen = request.form.get("language", "")
    if request.method == "POST" and chosen in PORTAL_LOCALES:
        session["locale"] = chosen
    return redirect(url_for("portal.log_in"), code=303)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The clinic's neutral icon, at the address every browser asks for anyway."""
    icon = current_runtime().config.portal.favicon or BLANK_ICON
    return send_file(icon, mimetype=ICON_TYPES[icon.suffix.lower()], max_age=0)
