"""Configuration is validated at start-up; a bad value names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from partnercontact.config import ConfigError, load_config


def test_embedded_defaults_load() -> None:
    config = load_config(environ={})
    assert config.mode == "development"
    assert config.database_url.startswith("sqlite:///")
    assert config.auth.session_idle_minutes == 15


def test_environment_overrides_a_default() -> None:
    config = load_config(environ={"PARTNERCONTACT_AUTH__SESSION_IDLE_MINUTES": "5"})
    assert config.auth.session_idle_minutes == 5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PARTNERCONTACT_AUTH__SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES"),
        ({"PARTNERCONTACT_AUTH__SESSION_IDLE_MINUTES": "0"}, "auth.session_idle_minutes"),
        ({"PARTNERCONTACT_AUTH__NO_SUCH_THING": "1"}, "PARTNERCONTACT_AUTH__NO_SUCH_THING"),
        ({"PARTNERCONTACT_MODE": "staging"}, "mode"),
        ({"PARTNERCONTACT_SERVER__TLS": "perhaps"}, "SERVER__TLS"),
        ({"PARTNERCONTACT_DATABASE__URL": "mysql://x"}, "database.url"),
        ({"PARTNERCONTACT_MESSAGING__SMS_TRANSPORT": "pigeon"}, "messaging.sms_transport"),
        ({"PARTNERCONTACT_MESSAGING__MAX_ATTEMPTS": "0"}, "messaging.max_attempts"),
        (
            {"PARTNERCONTACT_MESSAGING__SMS_TRANSPORT": "twilio"},
            "messaging.twilio.account_sid",
        ),
        (
            {
                "PARTNERCONTACT_MESSAGING__SMS_TRANSPORT": "twilio",
                "PARTNERCONTACT_MESSAGING__TWILIO__ACCOUNT_SID": "AC1",
                "PARTNERCONTACT_MESSAGING__TWILIO__AUTH_TOKEN": "token",
                "PARTNERCONTACT_MESSAGING__TWILIO__PUBLIC_URL": "http://127.0.0.1:5000",
            },
            "exactly one of messaging_service_sid and from_number",
        ),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_key(environ: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(environ=environ)


def test_an_unknown_key_in_a_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text('[server]\nhots = "0.0.0.0"\n')
    with pytest.raises(ConfigError, match="server.hots"):
        load_config(environ={"PARTNERCONTACT_CONFIG": str(path)})


def test_production_refuses_an_optional_second_factor_and_sqlite(tmp_path: Path) -> None:
    keys = {"PARTNERCONTACT_KEYS__FILE": str(tmp_path / "k.json")}
    with pytest.raises(ConfigError, match="auth.second_factor"):
        load_config(
            environ={
                **keys,
                "PARTNERCONTACT_MODE": "production",
                "PARTNERCONTACT_DATABASE__URL": "postgresql://db/x",
                "PARTNERCONTACT_AUTH__SECOND_FACTOR": "optional",
            }
        )
    with pytest.raises(ConfigError, match="database.url"):
        load_config(
            environ={
                **keys,
                "PARTNERCONTACT_MODE": "production",
                "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
            }
        )


def test_production_refuses_a_cheap_password_hash(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="auth.hashing_cost"):
        load_config(
            environ={
                "PARTNERCONTACT_KEYS__FILE": str(tmp_path / "k.json"),
                "PARTNERCONTACT_MODE": "production",
                "PARTNERCONTACT_DATABASE__URL": "postgresql://db/x",
                "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
                "PARTNERCONTACT_AUTH__HASHING_COST": "fast",
            }
        )
    assert load_config(environ={}).auth.hashing_cost == "standard"


def test_the_production_example_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config" / "production.example.toml"
    config = load_config(
        environ={
            "PARTNERCONTACT_CONFIG": str(example),
            "PARTNERCONTACT_MESSAGING__TWILIO__AUTH_TOKEN": "an-auth-token",
        }
    )
    assert config.mode == "production" and config.requires_second_factor
    assert config.messaging.sms_transport == "twilio"
    assert config.messaging.twilio.auth_token == "an-auth-token"
    assert config.server.public_url == "https://partnercontact.example.org"
    assert config.messaging.twilio.public_url == config.server.public_url


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"worker": {"batch_size": 0}}, "worker.batch_size"),
        ({"worker": {"max_attempts": -1}}, "worker.max_attempts"),
        ({"retention": {"sms_body_days": 0}}, "retention.sms_body_days"),
    ],
)
def test_scheduling_settings_must_be_positive(overrides: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_config(environ={}, overrides=overrides)


def test_retention_can_be_set_from_the_environment() -> None:
    config = load_config(environ={"PARTNERCONTACT_RETENTION__UNMATCHED_REPLY_DAYS": "14"})
    assert config.retention.unmatched_reply_days == 14
    assert config.worker.batch_size == 100


def test_the_public_address_defaults_to_the_development_server() -> None:
    config = load_config(environ={"PARTNERCONTACT_SERVER__PORT": "5050"})
    assert config.server.public_url == "http://127.0.0.1:5050"
    # Twilio reaches the service at the same address unless told another.
    assert config.messaging.twilio.public_url == "http://127.0.0.1:5050"
    ipv6 = load_config(environ={"PARTNERCONTACT_SERVER__HOST": "::1"})
    assert ipv6.server.public_url == "http://[::1]:5000"
    set_ = load_config(
        environ={
            "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://pc.example.org/",
            "PARTNERCONTACT_MESSAGING__TWILIO__PUBLIC_URL": "https://tunnel.example.net",
        }
    )
    assert set_.server.public_url == "https://pc.example.org"
    assert set_.messaging.twilio.public_url == "https://tunnel.example.net"


@pytest.mark.parametrize(
    "value",
    [
        "pc.example.org",
        "ftp://pc.example.org",
        "https://",
        "https://pc.example.org/partnercontact",
        "https://pc.example.org/?a=1",
        "https://pc.example.org#top",
        "https://someone:secret@pc.example.org",
        "https://pc.example.org:port",
    ],
)
def test_a_public_address_is_scheme_and_host_only(value: str) -> None:
    with pytest.raises(ConfigError, match="server.public_url"):
        load_config(environ={"PARTNERCONTACT_SERVER__PUBLIC_URL": value})
    with pytest.raises(ConfigError, match="messaging.twilio.public_url"):
        load_config(environ={"PARTNERCONTACT_MESSAGING__TWILIO__PUBLIC_URL": value})


def test_production_requires_an_https_public_address(tmp_path: Path) -> None:
    production = {
        "PARTNERCONTACT_KEYS__FILE": str(tmp_path / "k.json"),
        "PARTNERCONTACT_MODE": "production",
        "PARTNERCONTACT_DATABASE__URL": "postgresql://db/x",
        "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
    }
    with pytest.raises(ConfigError, match="server.public_url must be set"):
        load_config(environ=production)
    with pytest.raises(ConfigError, match="server.public_url must be an https://"):
        load_config(
            environ={**production, "PARTNERCONTACT_SERVER__PUBLIC_URL": "http://pc.example.org"}
        )
    with pytest.raises(ConfigError, match="messaging.twilio.public_url must be an https://"):
        load_config(
            environ={
                **production,
                "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://pc.example.org",
                "PARTNERCONTACT_MESSAGING__TWILIO__PUBLIC_URL": "http://pc.example.org",
            }
        )
    with pytest.raises(ConfigError, match="portal.public_url must be set"):
        load_config(
            environ={**production, "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://pc.example.org"}
        )
    with pytest.raises(ConfigError, match="portal.public_url must differ"):
        load_config(
            environ={
                **production,
                "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://pc.example.org",
                "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://pc.example.org",
            }
        )
    config = load_config(
        environ={
            **production,
            "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://pc.example.org",
            "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://portal.example.org",
        }
    )
    assert config.server.public_url == config.messaging.twilio.public_url
    assert config.portal.public_url == "https://portal.example.org"
