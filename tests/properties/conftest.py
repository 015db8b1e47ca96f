"""Property tests: generated input against the parsers and validators.

One settings profile for the whole folder, applied to each test as a decorator (``@PROFILE``
from ``profile.py``) rather than loaded globally: loading it would change the defaults of
every other Hypothesis-driven test in the run (the API's schema tests among them).

- ``derandomize``: the same examples on every run, so CI never fails on a draw nobody can
  repeat; a failure prints its example, to be pinned beside the property.
- ``database=None``: no example database. Hypothesis also caches what it learns of the
  source (``constants``, ``unicode_data``) under its home folder, ``.hypothesis`` in the
  working directory by default: unless ``HYPOTHESIS_STORAGE_DIRECTORY`` says where, that
  folder is a temporary one, removed when the run ends.
- ``deadline=None``: timing on two shared cores says nothing about the code.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

from partnercontact.app import create_app
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import load_key_file
from partnercontact.crypto.keyring import KeyRing

PROFILE_NAME = "properties"

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    _home = tempfile.mkdtemp(prefix="partnercontact-hypothesis-")
    set_hypothesis_home_dir(_home)
    atexit.register(shutil.rmtree, _home, ignore_errors=True)

settings.register_profile(
    PROFILE_NAME,
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    print_blob=False,
)
# Properties that touch the database run inside one test on the ``app`` fixture (twice, once
# per database), every example a real request or transaction: a handful each keeps the folder
# fast. Each example is independent of the rows earlier ones left.
settings.register_profile(
    f"{PROFILE_NAME}-app",
    parent=settings.get_profile(PROFILE_NAME),
    max_examples=10,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def forms_app(key_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real application, for its forms only: built once per module, its database never
    opened (forms parse text into types; nothing here reads or writes a row)."""
    instance = tmp_path_factory.mktemp("forms-instance")
    config = load_config(
        environ={},
        overrides={
            "database": {"url": f"sqlite:///{instance / 'unused.db'}"},
            "keys": {"file": str(key_file)},
        },
        instance_path=instance,
    )
    app = create_app(config, keyring=KeyRing(load_key_file(key_file)))
    with app.app_context():
        yield app
