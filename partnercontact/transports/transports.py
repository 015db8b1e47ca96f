"""Choosing the transport the configuration names."""

from __future__ import annotations

from partnercontact.config import MessagingConfig
from partnercontact.transports.transport import OutboxTransport, SmsTransport


def transport_for(messaging_config: MessagingConfig) -> SmsTransport:
    """The outbox for ``sms_transport = "outbox"``, Twilio for ``"twilio"``."""
    if messaging_config.sms_transport == "twilio":
        # Imported here: the outbox, the embedded default, never loads the Twilio SDK.
        from partnercontact.transports.twilio_transport import TwilioTransport

        return TwilioTransport(messaging_config.twilio)
    if messaging_config.sms_transport == "outbox":
        return OutboxTransport()
    raise ValueError(f"unknown SMS transport {messaging_config.sms_transport!r}")
