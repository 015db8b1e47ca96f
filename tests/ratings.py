"""Risk assessments rated item by item, for tests that need one recorded."""

from __future__ import annotations

from partnercontact.assessments.instruments import INSTRUMENTS, item_field


def rated(instrument: str, rating: str | None = None) -> dict[str, str]:
    """Every item of ``instrument`` rated ``rating`` (default: the first step of its scale)."""
    chosen = INSTRUMENTS[instrument]
    value = rating if rating is not None else next(iter(chosen.scale))
    return {item.key: value for item in chosen.items}


def rated_form(instrument: str, rating: str | None = None) -> dict[str, str]:
    """:func:`rated` as a form sends it: one input per item."""
    chosen = INSTRUMENTS[instrument]
    return {
        item_field(item): value
        for item, value in zip(chosen.items, rated(instrument, rating).values(), strict=True)
    }
