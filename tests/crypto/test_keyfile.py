"""The key file: created once, private, written atomically, refused with a clear message when
malformed, and never shown in a repr."""

from __future__ import annotations

import base64
import json
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from partnercontact.crypto.errors import KeyFileError
from partnercontact.crypto.keyfile import (
    KeyFile,
    generate_key_file,
    load_key_file,
    locked_key_file,
    only_active_kek,
    with_new_kek,
    write_key_file,
)
from partnercontact.crypto.keyring import KeyRing


def _all_keys(keys: KeyFile) -> list[bytes]:
    return [keys.secret_key, keys.audit_mac_key, keys.blind_index_key, *keys.keks.values()]


def _edit(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_a_generated_key_file_is_private_complete_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    created = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path) == created
    document = json.loads(path.read_text())
    assert set(document) == {
        "version",
        "secret_key",
        "audit_mac_key",
        "blind_index_key",
        "active_kek",
        "keks",
    }
    assert list(document["keks"]) == [created.active_kek]
    assert base64.b64decode(document["blind_index_key"]) == created.blind_index_key
    # Independent random keys of the right length.
    keys = _all_keys(created)
    assert all(len(key) == 32 for key in keys)
    assert len(set(keys)) == len(keys)
    assert generate_key_file(tmp_path / "other.json").blind_index_key != created.blind_index_key
    # No temporary file is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "other.json"]


def test_printing_keys_shows_ids_and_never_key_material(tmp_path: Path) -> None:
    keys = generate_key_file(tmp_path / "keys.json")
    shown = repr(keys) + str(keys) + repr(KeyRing(keys))
    assert keys.active_kek in shown
    for key in _all_keys(keys):
        for form in (key.hex(), base64.b64encode(key).decode(), repr(key)[2:-1]):
            assert form not in shown


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        generate_key_file(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]


def test_write_replaces_atomically_and_keeps_the_file_private(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = generate_key_file(path)
    path.chmod(0o644)  # loosened by someone in between
    second = with_new_kek(first)
    write_key_file(path, second)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path) == second
    assert set(second.keks) == {first.active_kek, second.active_kek}
    assert second.blind_index_key == first.blind_index_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]


def test_only_active_kek_drops_every_other_key_encryption_key(tmp_path: Path) -> None:
    staged = with_new_kek(generate_key_file(tmp_path / "keys.json"))
    retired = only_active_kek(staged)
    assert dict(retired.keks) == {staged.active_kek: staged.keks[staged.active_kek]}
    assert retired.audit_mac_key == staged.audit_mac_key


def test_a_loaded_key_file_cannot_be_changed_in_memory(tmp_path: Path) -> None:
    keys = generate_key_file(tmp_path / "keys.json")
    with pytest.raises(TypeError):
        keys.keks["kek-planted"] = b"\x00" * 32  # type: ignore[index]
    with pytest.raises(AttributeError):
        keys.active_kek = "kek-planted"  # type: ignore[misc]


def test_a_missing_file_and_a_file_that_is_not_json_are_named(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"absent\.json does not exist"):
        load_key_file(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(KeyFileError, match=r"broken\.json is not valid JSON \(line 1\)"):
        load_key_file(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(KeyFileError, match="must hold a JSON object"):
        load_key_file(listed)


@pytest.mark.parametrize(
    "field", ["secret_key", "audit_mac_key", "blind_index_key", "active_kek", "keks"]
)
def test_a_missing_field_is_named(tmp_path: Path, field: str) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    _edit(path, lambda doc: doc.pop(field))
    with pytest.raises(KeyFileError, match=f"the field '{field}' is missing"):
        load_key_file(path)


@pytest.mark.parametrize("field", ["audit_mac_key", "blind_index_key", "kek"])
@pytest.mark.parametrize("length", [16, 31, 33, 64])
def test_a_key_of_the_wrong_length_is_named(tmp_path: Path, field: str, length: int) -> None:
    path = tmp_path / "keys.json"
    keys = generate_key_file(path)
    value = base64.b64encode(b"\x01" * length).decode()
    if field == "kek":
        _edit(path, lambda doc: doc["keks"].update({keys.active_kek: value}))
        name = f"keks.{keys.active_kek}"
    else:
        _edit(path, lambda doc: doc.update({field: value}))
        name = field
    with pytest.raises(KeyFileError, match=f"{name} must be 32 bytes, got {length}"):
        load_key_file(path)


def test_the_flask_secret_may_be_longer_but_not_shorter(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    _edit(path, lambda doc: doc.update(secret_key=base64.b64encode(b"\x02" * 64).decode()))
    assert load_key_file(path).secret_key == b"\x02" * 64
    _edit(path, lambda doc: doc.update(secret_key=base64.b64encode(b"\x02" * 31).decode()))
    with pytest.raises(KeyFileError, match="secret_key must be at least 32 bytes, got 31"):
        load_key_file(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.update(blind_index_key="%%%"), "blind_index_key is not valid base64"),
        (lambda doc: doc.update(audit_mac_key=42), "audit_mac_key must be a base64 string"),
        (lambda doc: doc.update(active_kek="kek-missing"), "'kek-missing' is not among keks"),
        (lambda doc: doc.update(keks={}), "at least one key-encryption key"),
        (lambda doc: doc.update(keks=["x"]), "keks must be an object"),
        (lambda doc: doc.update(version=2), "version 2 is not supported"),
        (lambda doc: doc.update(blind_index_keys="x"), "unknown field.*'blind_index_keys'"),
        (
            lambda doc: doc.update(blind_index_key=doc["audit_mac_key"]),
            "the same key appears twice",
        ),
        (
            lambda doc: doc["keks"].update({"bad id!": doc["keks"][doc["active_kek"]]}),
            "key-encryption key id 'bad id!'",
        ),
    ],
)
def test_a_malformed_key_file_is_refused_naming_the_problem(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    _edit(path, change)
    with pytest.raises(KeyFileError, match=message) as raised:
        load_key_file(path)
    assert str(path) in str(raised.value)


def test_a_name_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keys = generate_key_file(path)
    text = path.read_text()
    planted = f'"keks": {{"{keys.active_kek}": "{base64.b64encode(b"x" * 32).decode()}", '
    path.write_text(text.replace('"keks": {', planted, 1))
    with pytest.raises(KeyFileError, match=f"'{keys.active_kek}' appears twice"):
        load_key_file(path)


def test_a_key_file_others_can_read_loads_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keys.json"
    keys = generate_key_file(path)
    with caplog.at_level(logging.WARNING, logger="partnercontact.crypto.keyfile"):
        load_key_file(path)
    assert not caplog.records
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="partnercontact.crypto.keyfile"):
        assert load_key_file(path) == keys
    assert "accessible to group or others (mode 644)" in caplog.text


def test_an_invalid_key_file_cannot_be_built_in_code_either(tmp_path: Path) -> None:
    keys = generate_key_file(tmp_path / "keys.json")
    with pytest.raises(KeyFileError, match="not among keks"):
        KeyFile(
            secret_key=keys.secret_key,
            audit_mac_key=keys.audit_mac_key,
            blind_index_key=keys.blind_index_key,
            active_kek="kek-elsewhere",
            keks=keys.keks,
        )


def test_only_one_process_at_a_time_may_change_a_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path)
    with (
        locked_key_file(path),
        pytest.raises(KeyFileError, match="being changed by another process"),
        locked_key_file(path),
    ):
        pass
    with locked_key_file(path):  # released again
        pass
