"""The audit chain's encoding: a row of the usual types, written out directly for speed, gives
exactly the bytes of the JSON encoder, whatever its text holds, so a log written before keeps
verifying and a row's MAC is the same whichever way it was encoded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from partnercontact.audit.chain import (
    GENESIS_MAC,
    EventFields,
    _through_the_encoder,
    _written_out,
    canonical_bytes,
)
from tests.properties.profile import PROFILE

TEXT = st.text(max_size=40)
IDS = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
ROWS = st.builds(
    EventFields,
    seq=st.integers(min_value=1, max_value=2**62),
    at=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=IDS,
    clinic_id=IDS,
    action=TEXT,
    resource_type=TEXT,
    resource_id=st.none() | TEXT,
    outcome=TEXT,
)
AWKWARD = EventFields(
    1,
    datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC),
    None,
    0,
    'a"\\\n\u00e5\u2028\x00',
    "\ud83d\ude00",
    "\U0001f600 plain",
    "denied",
)


@settings(PROFILE)
@given(row=ROWS, prev=st.sampled_from([GENESIS_MAC, "f" * 64]) | TEXT)
@example(row=AWKWARD, prev=GENESIS_MAC)
def test_a_usual_row_written_out_is_the_encoders_bytes(row: EventFields, prev: str) -> None:
    written = _written_out(row, prev)
    if re.fullmatch("[0-9a-f]{64}", prev):
        # A predecessor's MAC, as every appended and every verified row has.
        assert written is not None
    else:
        # Anything else in its place goes through the encoder, which quotes it.
        assert written is None
    assert canonical_bytes(row, prev) == _through_the_encoder(row, prev)
    if written is not None:
        assert written == _through_the_encoder(row, prev)


def test_a_row_of_other_types_goes_through_the_encoder() -> None:
    odd = EventFields(True, AWKWARD.at, 1.5, None, "a", "b", None, "ok")  # type: ignore[arg-type]
    assert _written_out(odd, GENESIS_MAC) is None
    assert canonical_bytes(odd, GENESIS_MAC) == _through_the_encoder(odd, GENESIS_MAC)
