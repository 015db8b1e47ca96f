"""Where the running service gets its keys from."""

from __future__ import annotations

import logging

from partnercontact.config import Config, ConfigError
from partnercontact.crypto.errors import KeyFileError
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing

log = logging.getLogger(__name__)


def load_or_create_keyring(config: Config) -> KeyRing:
    """Load the key file named by the configuration.

    Development generates one under ``instance/`` on first start; production never does,
    because a generated key nobody has a copy of would make every record unreadable after
    the next disk loss.
    """
    path = config.keys_file
    if not path.exists():
        if not config.is_development:
            raise ConfigError(f"keys.file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_key_file(path)
        log.info("generated development keys in %s", path)
    try:
        return KeyRing(load_key_file(path))
    except KeyFileError as exc:
        raise ConfigError(f"keys.file {path}: {exc}") from exc
