"""Absolute addresses, built from configuration.

A request's Host header (and X-Forwarded-Host) is whatever the client sends. An absolute
address built from it could point a user, a calendar program or a mail at someone else's
server: a poisoned cache or a proxy that passes any name on would hand the attacker a
calendar feed's secret. So every absolute address comes from ``server.public_url``, and a
test (tests/web/test_host_header.py) fails the suite if an external ``url_for`` or the
request's host appears anywhere in the package.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from partnercontact.runtime import current_runtime


def absolute_url_for(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` at ``server.public_url``."""
    return current_runtime().config.server.public_url + url_for(endpoint, **values)
