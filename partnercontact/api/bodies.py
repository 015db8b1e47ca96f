"""JSON bodies too deeply nested to read.

Python's JSON parser recurses once per level of nesting and gives up with a RecursionError
(a 500, and a worker's stack spent) at about a thousand; a body of a few kilobytes reaches
that. No operation takes more than a few levels, so a body nested deeper than
:data:`MAX_JSON_DEPTH` is refused as unreadable (400, naming the body as the API names it,
``json``) before any parser sees it.

The depth is counted in one pass of regular expressions over the raw bytes, never by
parsing: strings are taken out first (a bracket inside a string nests nothing), then the
brackets that remain are summed, +1 for an opening and -1 for a closing one.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate

from flask import request
from flask_babel import gettext
from flask_smorest import abort

from partnercontact.auth.bearer import is_api_request

MAX_JSON_DEPTH = 32

# A JSON string, or an unterminated one up to the end of the body. Possessive, so that a
# body of many unterminated strings is still read in one pass.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1, +1, -1, -1 as signed bytes


def json_depth(body: bytes) -> int:
    """How deeply ``body`` nests arrays and objects (0 for a bare value). A body that is not
    JSON gets a number too; the parser refuses it afterwards."""
    brackets = _NOT_A_BRACKET.sub(b"", _STRING.sub(b"", body))
    return max(0, max(accumulate(array("b", brackets.translate(_STEPS))), default=0))


def refuse_deep_json() -> None:
    """A before-request hook: 400 for a JSON body nested deeper than MAX_JSON_DEPTH."""
    # The API only: pages never read JSON, and an API request without a valid token has
    # been answered 401 by the guard before this runs.
    if not is_api_request(request) or not request.is_json:
        return
    body = request.get_data(cache=True)
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return  # too few brackets to nest too deep: nearly every body
    if json_depth(body) > MAX_JSON_DEPTH:
        reason = gettext("The body is nested deeper than %(limit)s levels.", limit=MAX_JSON_DEPTH)
        abort(400, messages={"json": [reason]})
