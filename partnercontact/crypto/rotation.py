"""KEK rotation as a whole: the three steps of :mod:`partnercontact.crypto.service`, in order,
under the key file's lock, with the commit between them.

The one function here commits: step 3 must see the re-wrap committed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from partnercontact.clock import Clock
from partnercontact.crypto.keyfile import locked_key_file
from partnercontact.crypto.service import retire_old_keks, rotate_kek, stage_new_kek
from partnercontact.db import db


def rotate_keys(
    key_file: Path,
    *,
    clock: Clock,
    actor_id: int | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> tuple[int, str]:
    """Rotate the KEK of ``key_file``: returns (data keys re-wrapped, new KEK id). Commits.

    Needs an application context (the database). Under an exclusive lock on the key file:
    :func:`stage_new_kek` (file gets the new KEK beside the old), :func:`rotate_kek`,
    commit, :func:`retire_old_keks` (old KEKs removed once the committed database no longer
    needs them). If anything fails, the session is rolled back and the file still holds
    every KEK any committed data key needs; running again is safe.

    Processes that loaded the key file before the rotation (web, worker) keep the old KEKs
    in memory: they cannot read re-wrapped keys and would wrap new ones under a retired KEK.
    Stop them first and start them afterwards.

    ``on_progress(done, total)`` is passed on to :func:`rotate_kek` (data keys re-wrapped).
    """
    with locked_key_file(key_file):
        staged = stage_new_kek(key_file)
        try:
            count = rotate_kek(staged, clock=clock, actor_id=actor_id, on_progress=on_progress)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        retire_old_keks(key_file, staged)
    return count, staged.active_kek_id
