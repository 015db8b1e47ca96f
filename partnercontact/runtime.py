"""What a running application holds besides Flask itself: config, keys and the clock.

Stored once on ``app.extensions["partnercontact"]``; services, jobs and CLI commands reach it
through :func:`current_runtime`, which works in any application context (request, CLI or
worker), never only inside a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from partnercontact.clock import Clock
    from partnercontact.config import Config
    from partnercontact.crypto.keyring import KeyRing


@dataclass(frozen=True)
class Runtime:
    config: Config
    keyring: KeyRing
    clock: Clock


EXTENSION_KEY = "partnercontact"


def current_runtime() -> Runtime:
    return current_app.extensions[EXTENSION_KEY]
