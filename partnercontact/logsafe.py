"""Keeping secrets and personal data out of logs.

Two things are written to logs that must not be:

- the message of an exception: database and validation errors quote the values they were
  given, and those may be personal data. Operators get the type and the stack, which is
  enough to find the fault (:func:`describe_exception`).
- a credential carried in a request's address: a calendar feed's address is its only key,
  and a query value named like a token or a code may be one. A server's request log writes
  the address of every request, so it is masked first (:func:`mask_secrets`).

A route whose address carries a secret adds its pattern to :data:`SECRET_PATHS`; the
development server's and gunicorn's request logs (:mod:`partnercontact.serving`) mask what
it matches.
"""

from __future__ import annotations

import re
import traceback

MASK = "***"

# Addresses whose path carries a credential. Each pattern has two groups, the text before
# the secret and the text after it, which are kept; the secret between them is masked.
SECRET_PATHS: tuple[re.Pattern[str], ...] = (
    # A calendar feed (partnercontact.web.calendar.views.feed_ics), and anything else below
    # its folder but the two pages of the feed's own: an address mistyped by a calendar
    # program still carries the secret.
    re.compile(
        r"(/calendar/feed/)(?!(?:new|revoke)(?=[/?#\s\"]|$))"
        r"[^/?#\s\"]+?(\.ics|)(?=[/?#\s\"]|$)"
    ),
)

# A query value whose name says it may be a credential: the value is masked, the name kept.
_SECRET_QUERY = re.compile(
    r"((?:^|[?&;])[^=&;#\s\"]*?(?:token|secret|code|passw|key|signature)[^=&;#\s\"]*=)[^&;#\s\"]*",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """``text`` (a request line, a path, a whole log line) with every credential it carries in
    an address replaced by ``***``."""
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{MASK}\g<2>", text)
    return _SECRET_QUERY.sub(rf"\g<1>{MASK}", text)


def describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}\n" + "".join(traceback.format_tb(exc.__traceback__))
