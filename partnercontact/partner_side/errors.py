"""Errors of the partner side."""

from partnercontact.errors import DomainError


class HandoverInvalid(DomainError):
    """Input for a hand-over is not acceptable; ``field`` names it."""


class ContactInvalid(DomainError):
    """Input for the contact work is not acceptable; ``field`` names the input at fault."""
