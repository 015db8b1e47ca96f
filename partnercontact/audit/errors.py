"""Errors of the audit package.

These are not :class:`partnercontact.errors.DomainError`: none of them is a user's mistake
to be shown on a page. An invalid event is a programming error in the caller, and a bad
head file is an operator's input to the command line.
"""

from __future__ import annotations


class AuditError(Exception):
    """Base of the audit package's errors."""


class InvalidAuditEvent(AuditError, ValueError):
    """``record_event`` was given a value the log must not hold (see its docstring)."""


class HeadFormatError(AuditError, ValueError):
    """A chain head could not be read: not JSON, the wrong format, or malformed fields."""


class AuditKeyError(AuditError, ValueError):
    """The MAC key is missing or too short to protect the chain."""
