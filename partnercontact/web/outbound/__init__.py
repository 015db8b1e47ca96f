"""The clinic's outbound messages as a whole: the stop switch (managers and administrators)
and, in development, the outbox of text messages (administrators)."""

from partnercontact.web.outbound.views import bp

__all__ = ["bp"]
