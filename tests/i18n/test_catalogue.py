"""Swedish first: every message the interface can show has a Swedish translation."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from partnercontact.config import PROJECT_ROOT
from partnercontact.i18n import SOURCE_DIR

METHOD_MAP = [
    ("partnercontact/**.py", "python"),
    ("partnercontact/**/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def _messages_in_source() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_swedish_translation() -> None:
    with (SOURCE_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="sv")
    translated = {message.id for message in catalogue if message.id and message.string}
    source = _messages_in_source()
    assert len(source) > 50
    assert sorted(source - translated) == []
