"""How an operation's answer is made: its schema dumps the records the services returned, and
the transaction is committed after the dump.

A view returns the records themselves (a model, a service's dataclass, a list of them) and
``blp.response`` dumps them through the schema that also documents the answer, so what is
answered and what the document says are one declaration. Where an answer holds a value its
record does not (the hand-overs of a client, whether the caller holds a case), the view gives
it with :class:`Shown`; a value derived from the record alone is derived in the schema.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from partnercontact.db import db

F = TypeVar("F", bound=Callable[..., Any])


class Shown:
    """A record as an answer shows it: the ``values`` given here, then the record's own
    attributes. Without a record, only the values.

    A schema reads the fields it declares and nothing else, so no other attribute of the
    record reaches the answer. A value left out is left out of the answer too, as a missing
    key of a dict would be.
    """

    def __init__(self, record: object | None = None, /, **values: object) -> None:
        self.__dict__["_record"] = record
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        # Only called for a name not among the values.
        record = self.__dict__["_record"]
        if record is None:
            raise AttributeError(name)
        return getattr(record, name)


def commits(view: F) -> F:
    """Commit the operation's transaction once its answer has been dumped.

    Goes above ``blp.arguments`` and ``blp.response``. The schema reads the records while
    the transaction is open (a commit expires them, and reading them again after it would
    load them a second time); the commit then keeps the work and the audit entries, those of
    reads included. Nothing is answered unless the commit succeeded: a refused commit is
    answered by the error handlers like any other error.
    """

    @functools.wraps(view)
    def committed(*args: Any, **kwargs: Any) -> Any:
        answer = view(*args, **kwargs)
        db.session.commit()
        return answer

    return committed  # type: ignore[return-value]
