"""Text messages through Twilio, with the ``twilio`` SDK.

The one thing this module must get right is which failures may be retried. A POST that reached
Twilio may have created a message even when no answer came back; sending it again would put a
second text on a phone the person who used violence may read. So only a failure that proves
nothing reached Twilio is a :class:`RetryableFailure` (the connection was refused or never
opened, or Twilio answered 429 "too many requests"), anything that may have been accepted (a
read timeout, a dropped connection, a 5xx, an answer we cannot read) is an
:class:`UncertainOutcome`, which the dispatcher resolves with :meth:`TwilioTransport.look_up`,
and any other 4xx is a :class:`PermanentFailure` carrying Twilio's error code (21610: she
opted out at the carrier).

Twilio's error messages quote the number they refused, so neither they nor the SDK's request
log ever reach our logs or exceptions: errors carry the status and code only, and the SDK logs
through a logger of its own held at WARNING (its INFO lines print query strings, which hold
her number when a message is looked up).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import requests
from requests.exceptions import SSLError
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageList
from urllib3.exceptions import MaxRetryError, NewConnectionError

from partnercontact.config import TwilioConfig
from partnercontact.transports.transport import (
    Accepted,
    Outgoing,
    PermanentFailure,
    RetryableFailure,
    UncertainOutcome,
)

log = logging.getLogger(__name__)
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.WARNING)

# How many of the newest messages to her number a look-up reads. A partner gets a handful of
# messages, so the one being looked for is among them.
LOOK_UP_LIMIT = 100


def status_callback_url(public_url: str, message_id: uuid.UUID) -> str:
    """Where Twilio posts the delivery states of message ``message_id``."""
    return f"{public_url}/webhooks/twilio/status?m={message_id.hex}"


def _reached_nobody(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server: the TCP connection was never
    established (refused, unresolvable, or the connect timed out)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, SSLError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError is raised while opening the socket, before a byte is sent. A
    # connection that was open and then dropped (RemoteDisconnected, a reset) is not one: the
    # request may have been read.
    return isinstance(reason, NewConnectionError)


def _same_body(theirs: str | None, ours: str) -> bool:
    # A trial account's messages carry a prefix ("Sent from your Twilio trial account - ").
    return theirs is not None and (theirs == ours or theirs.endswith(f" - {ours}"))


def _status_and_code(exc: TwilioException) -> tuple[int | None, str | None]:
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    return (
        status if isinstance(status, int) else None,
        str(code) if code is not None else None,
    )


class TwilioTransport:
    """:class:`~partnercontact.transports.transport.SmsTransport` over Twilio's REST API."""

    name = "twilio"

    def __init__(self, config: TwilioConfig) -> None:
        self._config = config
        http_client = TwilioHttpClient(timeout=config.timeout_seconds, logger=_sdk_log)
        # environment={}: the SDK would otherwise read TWILIO_* variables (a region or an edge
        # rewrites the host name); only our configuration decides where messages go.
        self._client = Client(
            config.account_sid,
            config.auth_token,
            account_sid=config.account_sid,
            http_client=http_client,
            environment={},
        )
        if config.api_base_url:
            # The domain builds every URL from base_url at request time (creates, lists and
            # the pages after the first alike).
            self._client.api.base_url = config.api_base_url

    @property
    def _messages(self) -> MessageList:
        return self._client.api.v2010.account.messages

    def send(self, outgoing: Outgoing) -> Accepted:
        sender: dict[str, str] = (
            {"messaging_service_sid": self._config.messaging_service_sid}
            if self._config.messaging_service_sid
            else {"from_": self._config.from_number}
        )
        extra: dict[str, str] = {}
        if outgoing.status_callback:
            extra["status_callback"] = outgoing.status_callback
        try:
            message = self._messages.create(to=outgoing.to, body=outgoing.body, **sender, **extra)
        except TwilioException as exc:
            status, code = _status_and_code(exc)
            described = f"Twilio answered HTTP {status} (error {code})"
            if status == 429:
                raise RetryableFailure(described, code=code) from None
            if status is not None and 400 <= status < 500:
                raise PermanentFailure(described, code=code) from None
            # 5xx, or no status at all: Twilio may have created the message before failing.
            raise UncertainOutcome(described, code=code) from None
        except requests.RequestException as exc:
            if _reached_nobody(exc):
                raise RetryableFailure(
                    f"could not connect to Twilio ({type(exc).__name__})"
                ) from None
            raise UncertainOutcome(
                f"no answer from Twilio after sending ({type(exc).__name__})"
            ) from None
        except Exception as exc:
            # An answer the SDK could not read (not JSON, say): the request was sent.
            log.warning("unreadable answer from Twilio: %s", type(exc).__name__)
            raise UncertainOutcome(
                f"unreadable answer from Twilio ({type(exc).__name__})"
            ) from None
        return Accepted(provider_sid=message.sid, status=message.status or "queued")

    def look_up(self, outgoing: Outgoing, since: datetime) -> Accepted | None:
        """The outbound message to ``outgoing.to`` with the same body, created at or after
        ``since``, newest first; None when Twilio has none.

        Not filtered on ``DateSent``: a message still queued at Twilio has no send date yet,
        and missing it would send it a second time. Her number's newest messages are read and
        compared here instead.
        """
        # Twilio's times have whole seconds.
        since = since.astimezone(UTC).replace(microsecond=0)
        try:
            candidates = self._messages.list(
                to=outgoing.to, limit=LOOK_UP_LIMIT, page_size=LOOK_UP_LIMIT
            )
        except TwilioException as exc:
            status, code = _status_and_code(exc)
            raise RetryableFailure(
                f"could not look a message up at Twilio (HTTP {status}, error {code})",
                code=code,
            ) from None
        except Exception as exc:
            raise RetryableFailure(
                f"could not look a message up at Twilio ({type(exc).__name__})"
            ) from None
        for message in candidates:
            created = message.date_created
            if (
                (message.direction or "").startswith("outbound")
                and _same_body(message.body, outgoing.body)
                and isinstance(created, datetime)
                and created >= since
            ):
                return Accepted(provider_sid=message.sid, status=message.status or "queued")
        return None
