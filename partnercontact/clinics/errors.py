"""Errors raised by clinic services."""

from partnercontact.errors import DomainError


class ClinicSettingsInvalid(DomainError):
    """A clinic setting is out of range; ``field`` names it."""
