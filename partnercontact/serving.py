"""Request logs that never carry a credential.

``partnercontact serve`` runs Werkzeug's development server, whose request log writes every
request line; gunicorn writes one too when its access log is turned on. Both are given the
classes here, which mask what :mod:`partnercontact.logsafe` names as secret (a calendar
feed's address, a query value named like a token or a code) before anything is written.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger
from werkzeug.serving import WSGIRequestHandler

from partnercontact.logsafe import MASK, mask_secrets

# Request headers that are credentials in themselves, whatever a log format asks for.
_SECRET_HEADERS = ("authorization", "cookie", "x-twilio-signature")


class MaskedRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, with credentials masked in every line it logs: the
    request line of each request, and a malformed request line quoted in an error."""

    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(
            type,
            mask_secrets(message),
            *(mask_secrets(arg) if isinstance(arg, str) else arg for arg in args),
        )


class MaskedGunicornLogger(Logger):
    """gunicorn's logger, with credentials masked in its access log whatever its format:
    ``--logger-class partnercontact.serving.MaskedGunicornLogger``."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if any(
                key in (f"{{{name}}}i", f"{{http_{name.replace('-', '_')}}}e")
                for name in _SECRET_HEADERS
            ):
                atoms[key] = MASK
            elif isinstance(value, str):
                atoms[key] = mask_secrets(value)
        return atoms
