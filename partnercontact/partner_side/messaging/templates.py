"""The letter and text message templates in ``letters/``: which exist, and their versions.

One file per purpose and language: ``letters/<purpose>.<language>.html`` for letters (all
built on ``letters/layout.html`` and styled by ``letters/letter.css``) and
``letters/sms/<purpose>.<language>.txt`` for text messages. A template's version is a digest
of its source (with the layout and the stylesheet, for letters), so a record of a sent message
points at exactly the words that went out, and no one has to remember to bump a number.
"""

from __future__ import annotations

import hashlib
from functools import cache

import jinja2

from partnercontact.config import PROJECT_ROOT
from partnercontact.i18n import _l

LETTERS_DIR = PROJECT_ROOT / "letters"
LAYOUT = "layout.html"
# The letters' one stylesheet: inline in the printed letter, linked in a preview on a page.
STYLESHEET = "letter.css"
LANGUAGES = {"sv": _l("Swedish"), "en": _l("English")}
DEFAULT_LANGUAGE = "sv"

# The letter and text that warn her of an imminent threat. Neutral like every message to her
# (someone else may read it): they say only that the clinic must reach her urgently and give
# its number. Sent only while a manager-confirmed threat warning is in effect (rules).
THREAT_WARNING_PURPOSE = "threat_warning"

LETTER_PURPOSES = {
    "information": _l("Information letter: what partner contact offers"),
    "call_announcement": _l("Letter announcing a phone call in a few days"),
    "treatment_ended": _l("Letter: his treatment has ended or he dropped out"),
    "closing": _l("Closing letter"),
    THREAT_WARNING_PURPOSE: _l("Letter under a confirmed threat warning: call us urgently"),
}
SMS_PURPOSES = {
    "first_contact": _l("First text: the sender's name and a number to call"),
    "call_announcement": _l("Text announcing a phone call"),
    "treatment_ended": _l("Text asking her to call about his treatment"),
    THREAT_WARNING_PURPOSE: _l("Text under a confirmed threat warning: call us urgently"),
}
# The notice that there is a new message in her own channel. It has no template: its whole
# text is the words she chose, or the sender name she expects (partner_side.portal_notices).
PORTAL_NOTICE_PURPOSE = "portal_notice"
# Text messages the worker writes, never a treater: not offered on the compose form.
AUTOMATIC_SMS_PURPOSES = {
    "session_reminder": _l("Reminder of a contact session"),
    PORTAL_NOTICE_PURPOSE: _l("Notice of a new message in her own channel"),
}
SMS_LABELS = {**SMS_PURPOSES, **AUTOMATIC_SMS_PURPOSES}
# The messages that tell her of a relayed event: the one kind of message a partner who
# declined the offer may still get, when she asked for it.
RELAY_NOTICES = frozenset({"treatment_ended"})


def letter_template_name(purpose: str, language: str) -> str:
    return f"{purpose}.{language}.html"


def sms_template_name(purpose: str, language: str) -> str:
    return f"sms/{purpose}.{language}.txt"


@cache
def environment() -> jinja2.Environment:
    # Letters are HTML that WeasyPrint interprets, with names typed by staff in them: escaped.
    # Text messages are plain text: escaping would put &amp; into an SMS. Undefined names fail
    # loudly instead of printing blank.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(LETTERS_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _digest(*names: str) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update((LETTERS_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


# Not cached: Jinja reloads a template whose file changed, so the version is read from the
# same files at the moment of sending (three small reads).
def letter_version(purpose: str, language: str) -> str:
    return _digest(LAYOUT, STYLESHEET, letter_template_name(purpose, language))


def sms_version(purpose: str, language: str) -> str:
    return _digest(sms_template_name(purpose, language))
