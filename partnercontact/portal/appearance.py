"""What a tab, a history entry or a bookmark shows of her portal: a neutral title and icon,
chosen by the clinic ([portal] page_title and favicon) to blend in among ordinary sites."""

from __future__ import annotations

from pathlib import Path

from flask import send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from partnercontact.portal.views import bp
from partnercontact.runtime import current_runtime

BLANK_ICON = Path(__file__).parent / "static" / "blank.ico"
ICON_TYPES = {".ico": "image/x-icon", ".png": "image/png"}


@bp.app_context_processor
def _page_title() -> dict[str, str]:
    return {"page_title": current_runtime().config.portal.page_title or _("Messages")}


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The clinic's neutral icon, at the address every browser asks for anyway."""
    icon = current_runtime().config.portal.favicon or BLANK_ICON
    return send_file(icon, mimetype=ICON_TYPES[icon.suffix.lower()], max_age=0)
