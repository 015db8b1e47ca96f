"""Whose client an operation is about is settled before what was sent about him."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask_login import current_user
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from partnercontact.client_side.cases import service as cases

F = TypeVar("F", bound=Callable[..., Any])


def client_first(view: F) -> F:
    """Look the client up before judging the input, as the pages do.

    Goes between ``requires`` and ``blp.arguments``. Input that cannot be read (400, 422)
    about a client who is not the caller's own answers 404, the same answer as for valid
    input: whether someone else's client exists, and what is wrong with what was sent about
    him, are told to his own treater only.
    """

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (BadRequest, UnprocessableEntity):
            cases.client_for(current_user, kwargs["client_id"])
            raise

    return checked  # type: ignore[return-value]
