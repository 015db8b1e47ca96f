"""Logging an exception without its message.

Database and validation errors quote the values they were given, and those may be personal
data; operators get the type and the stack, which is enough to find the fault.
"""

from __future__ import annotations

import traceback


def describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}\n" + "".join(traceback.format_tb(exc.__traceback__))
