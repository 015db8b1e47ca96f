"""The folder's settings, as decorators (registered in this folder's ``conftest.py``)."""

from __future__ import annotations

from hypothesis import settings

from tests.properties.conftest import PROFILE_NAME

PROFILE = settings.get_profile(PROFILE_NAME)
APP_PROFILE = settings.get_profile(f"{PROFILE_NAME}-app")
