"""Errors of the client side."""

from partnercontact.errors import DomainError, NotFound


class ClientInvalid(DomainError):
    """Input for a client or an episode is not acceptable; ``field`` names it."""


class ClientNotFound(NotFound):
    """No such client, or not one the actor treats."""
