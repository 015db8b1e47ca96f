"""Answers read once and remembered while the transaction writes nothing.

A page built of sections asks the same questions several times: is this case among the
actor's, is he named for her, which plan is in force. Inside :func:`remembering` (a page's
reads), :func:`remembered` keeps each answer in the session until the session writes
anything (a pending change, a flush, an UPDATE, INSERT or DELETE statement) or the
transaction ends, so a remembered answer is never older than what the page itself did; the
page asks each question once. Outside the block every call reads, as a long-lived session (a
job's, a shell's) must see what others commit meanwhile.

Nothing outlives the session, which ends with its request or job, and what is kept is ORM
rows and plain values: sealed fields are unsealed when read, as always.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, event
from sqlalchemy.orm import ORMExecuteState, Session

from partnercontact.db import db

T = TypeVar("T")

_ANSWERS = "partnercontact.remembered"
_REMEMBERING = "partnercontact.remembering"


@contextmanager
def remembering() -> Iterator[None]:
    """Within the block, :func:`remembered` answers are kept; afterwards all are forgotten."""
    info = db.session.info
    already = info.get(_REMEMBERING, False)
    info[_REMEMBERING] = True
    try:
        yield
    finally:
        if not already:
            info.pop(_REMEMBERING, None)
            info.pop(_ANSWERS, None)


def is_remembering() -> bool:
    """Whether answers are kept now: inside :func:`remembering`, with nothing waiting to be
    written. Where a page reads all of a case's records anyway, a question about one of them
    is then best answered from those."""
    session = db.session
    return bool(session.info.get(_REMEMBERING)) and not (
        session.new or session.dirty or session.deleted
    )


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s answer, read at most once for ``key`` inside :func:`remembering` while the
    session writes nothing; outside it, ``load()`` every time."""
    if not is_remembering():
        # Outside the block, or a change waits for the next flush (the database does not say
        # it yet, a read would): read now, and keep nothing from before.
        db.session.info.pop(_ANSWERS, None)
        return load()
    answers: dict[Hashable, Any] = db.session.info.setdefault(_ANSWERS, {})
    if key in answers:
        return answers[key]
    answer = load()
    answers[key] = answer
    return answer


def remembered_rows(
    key: Hashable, statement: Callable[[], Select[T]], parameters: Mapping[str, Any] | None = None
) -> list[T]:
    """The rows of ``statement()`` run with ``parameters``, read as :func:`remembered` reads;
    each caller gets a list of its own."""
    return list(remembered(key, lambda: tuple(db.session.scalars(statement(), parameters))))


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_ANSWERS, None)


event.listen(Session, "after_flush", _forget)
event.listen(Session, "after_transaction_end", _forget)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    # Every UPDATE, INSERT or DELETE a session executes passes here, bulk ones included.
    if not state.is_select:
        _forget(state.session)
