"""Input fields shared by the API's schemas."""

from __future__ import annotations

import unicodedata
from typing import Any

from marshmallow import ValidationError, fields, validate


class Text(fields.String):
    """Text typed by a person: no control characters (a NUL byte cannot even be stored in
    PostgreSQL), line breaks and tabs only where ``multiline``, and a maximum length."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=max_length), **kwargs)
        self.multiline = multiline
        self.metadata.setdefault("maxLength", max_length)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        allowed = {"\n", "\r", "\t"} if self.multiline else set()
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text) or any(
            unicodedata.category(c) == "Cs" for c in text
        ):
            raise ValidationError("Contains characters that are not allowed.")
        return text
