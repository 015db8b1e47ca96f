"""Errors of the consent package."""

from partnercontact.errors import DomainError


class ConsentFormError(Exception):
    """A consent form file in ``consents/`` is malformed; raised at start-up, not to users."""


class NoConsentForm(DomainError):
    """No form version is in force for that language and date."""


class ConsentInvalid(DomainError):
    """Input for a consent is not acceptable; ``field`` names it."""
