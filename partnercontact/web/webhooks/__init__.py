"""Twilio's webhooks: delivery states and replies. Never imports another audience's views."""

from partnercontact.web.webhooks.views import bp

__all__ = ["bp"]
