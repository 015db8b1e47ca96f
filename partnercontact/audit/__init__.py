"""The hash-chained audit log: who did what to which record, and whether it was allowed.

Modules:

- ``tags``: the closed vocabularies of actions and outcomes.
- ``models``: the ``audit_event`` table.
- ``chain``: the canonical encoding and MAC that link each row to the one before it.
- ``service``: :func:`~partnercontact.audit.service.record_event`, the only way rows are added.
- ``verify``: checking the chain, and exporting its head for safekeeping elsewhere.
- ``ddl``: PostgreSQL statements that make the table append-only for the app's role.
- ``cli``: ``partnercontact audit verify`` and ``partnercontact audit head``.

Nothing is imported here, so that importing the package never drags in Flask or the models.
"""
