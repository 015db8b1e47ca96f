"""Her portal speaks Swedish, English and Arabic: every message its pages can show her, and
every refusal the services behind them can give her, has an Arabic translation, marked for a
native speaker's review (docs/translations.md)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from partnercontact.config import PROJECT_ROOT
from partnercontact.i18n import SOURCE_DIR
from tests.i18n.test_catalogue import KEYWORDS

# Besides the portal's own tree, the partner-side services whose refusals reach her pages.
SERVICES_SHE_HEARS = [
    "partner_side/portal_access.py",
    "partner_side/portal_messages.py",
    "partner_side/pauses.py",
    "partner_side/her_plan.py",
    "partner_side/own_details.py",
    "partner_side/portal_notices.py",
    "partner_side/portal_attachments.py",
    "partner_side/portal_requests.py",
    "partner_side/her_plan.py",
    "partner_side/own_details.py",
]
REVIEW_MARK = "needs review by a native speaker"


def _portal_messages() -> set[str]:
    found = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT / "partnercontact"),
        [("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords=KEYWORDS,
    ):
        wanted = filename.startswith("portal/") or filename in SERVICES_SHE_HEARS
        if wanted:
            found.add(message if isinstance(message, str) else message[0])
    return found


def _arabic():
    with (SOURCE_DIR / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="ar")


def test_every_message_of_her_portal_has_an_arabic_translation() -> None:
    translated = {message.id for message in _arabic() if message.id and message.string}
    source = _portal_messages()
    assert len(source) > 30
    assert sorted(source - translated) == []


def test_every_arabic_translation_is_marked_for_a_native_speakers_review() -> None:
    unmarked = [
        message.id
        for message in _arabic()
        if message.id and not any(REVIEW_MARK in comment for comment in message.user_comments)
    ]
    assert unmarked == []
