"""How a text message leaves the service: the transport interface and the embedded outbox.

A transport is told to send one message and answers in one of four ways, and the dispatcher
(:mod:`.dispatch`) acts on each differently:

- :class:`Accepted`: the provider took the message (its id and first status);
- :class:`RetryableFailure`: nothing was accepted (the connection was refused, the provider
  said "too many requests"), so trying again later cannot send it twice;
- :class:`PermanentFailure`: refused for good (an invalid number; ``code`` 21610 when the
  recipient has opted out at the carrier);
- :class:`UncertainOutcome`: the request may have reached the provider (a timeout, a server
  error): sending again could send twice, so the message is looked up instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Twilio's error for a recipient who replied STOP to this sender (the carrier blocks sends).
OPTED_OUT_CODE = "21610"


@dataclass(frozen=True)
class Outgoing:
    message_id: uuid.UUID
    to: str
    body: str
    # Where the provider posts delivery states; None for a transport without callbacks.
    status_callback: str | None


@dataclass(frozen=True)
class Accepted:
    provider_sid: str
    # The provider's status word ("queued", "sent", "delivered", …), mapped by the dispatcher.
    status: str


class TransportError(Exception):
    """A send that was not accepted. ``code`` is the provider's error code, if any; the
    message of the exception is for the operator's log and carries no personal content."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RetryableFailure(TransportError):
    """Nothing was accepted: safe to send again later."""


class PermanentFailure(TransportError):
    """Refused for good: sending again would be refused again."""


class UncertainOutcome(TransportError):
    """The provider may have accepted the message: look it up, never send it again blindly."""


class SmsTransport(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> Accepted:
        """Send one message; raises a :class:`TransportError` subclass when not accepted."""
        ...

    def look_up(self, outgoing: Outgoing, since: datetime) -> Accepted | None:
        """The provider's record of ``outgoing`` if it accepted it at or after ``since``, else
        None (then it was not accepted and may be sent). Raises :class:`TransportError` when
        the provider cannot be asked right now."""
        ...


class OutboxTransport:
    """The embedded default: nothing leaves the machine. The message rows themselves are the
    outbox, which administrators read on the outbox page in development."""

    name = "outbox"

    def send(self, outgoing: Outgoing) -> Accepted:
        return Accepted(provider_sid=outbox_sid(outgoing.message_id), status="delivered")

    def look_up(self, outgoing: Outgoing, since: datetime) -> Accepted | None:
        # Nothing outside this database can have accepted it.
        return None


OUTBOX_PREFIX = "outbox-"


def outbox_sid(message_id: uuid.UUID) -> str:
    return f"{OUTBOX_PREFIX}{message_id.hex}"
