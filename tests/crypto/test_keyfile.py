"""The key file: created once, private, and refused with a clear message when malformed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from partnercontact.crypto.errors import KeyFileError
from partnercontact.crypto.keyfile import generate_key_file, load_key_file


def test_a_generated_key_file_is_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    created = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key_file(path)
    assert loaded == created
    # Printing the keys (in a log, a traceback) shows no key material.
    assert created.keks[created.active_kek].hex() not in repr(loaded)
    assert str(created.keks[created.active_kek]) not in repr(loaded)


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = generate_key_file(path)
    with pytest.raises(KeyFileError, match="already exists"):
        generate_key_file(path)
    assert load_key_file(path) == first


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda doc: doc.pop("audit_mac_key"), "audit_mac_key"),
        (lambda doc: doc.update(secret_key="c2hvcnQ="), "secret_key must be 32 bytes"),
        (lambda doc: doc.update(active_kek="kek-missing"), "active_kek"),
        (lambda doc: doc.update(blind_index_key="%%%"), "blind_index_key is not valid base64"),
    ],
)
def test_a_malformed_key_file_is_refused_naming_the_problem(
    tmp_path: Path, mutate, message
) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    document = json.loads(path.read_text())
    mutate(document)
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match=message):
        load_key_file(path)


def test_a_missing_or_broken_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        load_key_file(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(KeyFileError, match="not valid JSON"):
        load_key_file(broken)
