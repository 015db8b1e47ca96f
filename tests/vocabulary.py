"""The codes of the application's known vocabularies, for tests that a person is never shown
one where a label belongs: on a page, or in a file they download."""

from __future__ import annotations

import importlib
import pkgutil
import re
from enum import StrEnum
from functools import cache

from flask_babel import LazyString

import partnercontact


@cache
def known_codes() -> frozenset[str]:
    """Every key of every label list in the code, and every value of its string enums, that
    looks like a code (has an underscore or a dot): a person never reads one of those."""
    found: set[str] = set()
    for module_info in pkgutil.walk_packages(partnercontact.__path__, "partnercontact."):
        # Entry points run (a command line, a server) when imported; they define no labels.
        if module_info.name.rsplit(".", 1)[-1] in ("__main__", "wsgi"):
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, dict) and value:
                labels = list(value.values())
                if all(isinstance(label, LazyString) for label in labels):
                    found |= {str(key) for key in value}
            elif isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
                found |= {member.value for member in value}
    return frozenset(code for code in found if re.fullmatch(r"[a-z]+(?:[._][a-z]+)+", code))


def codes_in(text: str) -> list[str]:
    """The known codes ``text`` holds as words of their own, in order of appearance."""
    return [match.group(1) for match in _pattern().finditer(text)]


@cache
def _pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(code) for code in sorted(known_codes()))
    return re.compile(r"(?<![\w./-])(" + alternatives + r")(?![\w/-])")
