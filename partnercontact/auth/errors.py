"""Errors raised by the accounts and login services."""

from partnercontact.errors import Conflict, DomainError


class LoginFailed(DomainError):
    """Any failed login step.

    One message for a wrong password, an unknown user, a locked or disabled account: the
    answer must not tell an outsider which usernames exist.
    """

    status = 401


class SecondFactorFailed(DomainError):
    status = 401


class AccountInvalid(DomainError):
    """Input for creating or changing an account is not acceptable; ``field`` names it."""


class UsernameTaken(Conflict):
    pass
