"""Configuration: embedded defaults, then an optional file, then environment variables.

The result is a frozen, validated :class:`Config`. Anything unknown or out of range stops
start-up with a :class:`ConfigError` naming the key, because a half-understood
configuration of a service like this one is worse than none.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "PARTNERCONTACT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_ROOT / "config" / "default.toml"
MODES = ("development", "production")
LOCALES = ("sv", "en")


class ConfigError(Exception):
    """A configuration value is unknown, malformed or inconsistent."""


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    tls: bool
    # The address people reach the service at (scheme and host, no path). Every absolute
    # address the service writes (a calendar feed's) is built from it, never from the
    # request's Host header, which whoever sends the request chooses.
    public_url: str = ""


@dataclass(frozen=True)
class PortalConfig:
    """Her own app: its own port in development, its own address, its own session lifetimes,
    and the neutral page the quick exit leaves for."""

    port: int = 5001
    public_url: str = ""
    session_idle_minutes: int = 10
    session_absolute_minutes: int = 60
    exit_url: str = "https://www.smhi.se/"
    # How many proxies in front of the portal set X-Forwarded-For (0: none, the address is the
    # connection's). Her failed logins are limited per source address.
    proxy_hops: int = 0
    # The title every portal page shows in a tab or the history ("": the word "Messages" in
    # her language), and the icon beside it (None: a blank one): neutral, chosen to blend in.
    page_title: str = ""
    favicon: Path | None = None


@dataclass(frozen=True)
class AuthConfig:
    second_factor_required: bool
    max_failed_logins: int
    lockout_minutes: int
    session_idle_minutes: int
    session_absolute_hours: int
    # "standard" (argon2-cffi's defaults) or "fast" (a trivial cost, for test suites only).
    hashing_cost: str = "standard"


@dataclass(frozen=True)
class WorkerConfig:
    embedded: bool
    tick_seconds: int
    # Scheduled tasks: how many one transaction claims, how often one may fail before it is
    # marked failed, and the first wait before a retry (doubling each time).
    batch_size: int = 100
    max_attempts: int = 5
    retry_base_seconds: int = 60


@dataclass(frozen=True)
class RetentionConfig:
    # The text of a text message is erased this many days after it reached a final state.
    sms_body_days: int = 90
    # A reply from a number that matched no partner is deleted after this many days.
    unmatched_reply_days: int = 30


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str = field(repr=False)
    # One of the two: a Messaging Service (preferred: it handles opt-outs and sender pools)
    # or a plain from-number.
    messaging_service_sid: str
    from_number: str
    # The address Twilio reaches this service at; status callbacks are built from it and
    # webhook signatures are checked against it (behind a proxy the request URL is not it).
    # Empty in the file means server.public_url.
    public_url: str
    # Empty: Twilio's own API. Tests point it at a local fake.
    api_base_url: str
    timeout_seconds: int


@dataclass(frozen=True)
class MessagingConfig:
    # "outbox": text messages are stored and shown to administrators, nothing leaves the
    # machine. "twilio": sent through Twilio.
    sms_transport: str
    max_attempts: int
    retry_base_seconds: int
    # How long a send may stay handed over to the transport before the worker looks it up.
    sending_lease_seconds: int
    twilio: TwilioConfig


@dataclass(frozen=True)
class Config:
    mode: str
    instance_path: Path
    database_url: str
    keys_file: Path
    default_locale: str
    server: ServerConfig
    auth: AuthConfig
    worker: WorkerConfig
    messaging: MessagingConfig
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    portal: PortalConfig = field(default_factory=PortalConfig)
    # Settings used only by tests or tools, never read from files.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_development(self) -> bool:
        return self.mode == "development"

    @property
    def requires_second_factor(self) -> bool:
        return self.auth.second_factor_required


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _coerce(key: str, raw: str, template: Any) -> Any:
    """Convert an environment string to the type of the default it overrides."""
    if isinstance(template, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key}: expected true or false, got {raw!r}")
    if isinstance(template, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{key}: expected a whole number, got {raw!r}") from exc
    return raw


def _merge(base: dict[str, Any], override: dict[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            raise ConfigError(f"unknown configuration key {dotted!r} in {origin}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted} in {origin} must be a table")
            _merge(base[key], value, origin, f"{dotted}.")
        else:
            if isinstance(value, dict):
                raise ConfigError(f"{dotted} in {origin} must be a value, not a table")
            if type(value) is not type(base[key]):
                raise ConfigError(
                    f"{dotted} in {origin}: expected {type(base[key]).__name__}, "
                    f"got {type(value).__name__}"
                )
            base[key] = value


def _apply_env(values: dict[str, Any], environ: dict[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        node = values
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                raise ConfigError(f"unknown configuration variable {name}")
            node = child
        leaf = path[-1]
        if leaf not in node or isinstance(node[leaf], dict):
            raise ConfigError(f"unknown configuration variable {name}")
        node[leaf] = _coerce(name, raw, node[leaf])


def _positive(key: str, value: int) -> int:
    if value <= 0:
        raise ConfigError(f"{key} must be greater than zero, got {value}")
    return value


def load_config(
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
    instance_path: Path | None = None,
) -> Config:
    """Build the frozen configuration.

    ``overrides`` is a nested dict applied last, with the same key checks as a file; tests use
    it instead of environment variables.
    """
    environ = dict(os.environ if environ is None else environ)
    values = _read_toml(DEFAULT_FILE)
    extra_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if extra_file:
        _merge(values, _read_toml(Path(extra_file)), extra_file)
    _apply_env(values, environ)
    extra: dict[str, Any] = {}
    if overrides:
        overrides = dict(overrides)
        extra = overrides.pop("extra", {}) or {}
        _merge(values, overrides, "overrides")

    mode = values["mode"]
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    configured_instance = values["instance_path"]
    instance = (
        instance_path
        or (Path(configured_instance) if configured_instance else PROJECT_ROOT / "instance")
    ).resolve()

    database_url = values["database"]["url"] or f"sqlite:///{instance / 'partnercontact.db'}"
    if not database_url.startswith(("sqlite:", "postgresql")):
        raise ConfigError("database.url must be a sqlite: or postgresql+psycopg: URL")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    keys_file = values["keys"]["file"]
    if not keys_file and mode == "production":
        raise ConfigError("keys.file must be set in production mode")
    if mode == "production" and database_url.startswith("sqlite:"):
        raise ConfigError("database.url must point at PostgreSQL in production mode")

    locale = values["i18n"]["default_locale"]
    if locale not in LOCALES:
        raise ConfigError(f"i18n.default_locale must be one of {', '.join(LOCALES)}")

    server = values["server"]
    if not 0 < server["port"] < 65536:
        raise ConfigError(f"server.port must be between 1 and 65535, got {server['port']}")
    auth = values["auth"]
    if auth["second_factor"] not in ("required", "optional"):
        raise ConfigError('auth.second_factor must be "required" or "optional"')
    if mode == "production" and auth["second_factor"] != "required":
        raise ConfigError('auth.second_factor must be "required" in production mode')
    if auth["hashing_cost"] not in ("standard", "fast"):
        raise ConfigError('auth.hashing_cost must be "standard" or "fast"')
    if mode == "production" and auth["hashing_cost"] != "standard":
        raise ConfigError('auth.hashing_cost must be "standard" in production mode')
    public_url = _public_url(server, mode)
    worker = values["worker"]
    retention = values["retention"]
    messaging = _messaging(values["messaging"], mode, public_url)
    return Config(
        mode=mode,
        instance_path=instance,
        database_url=database_url,
        keys_file=Path(keys_file) if keys_file else instance / "keys.json",
        default_locale=locale,
        server=ServerConfig(
            host=server["host"], port=server["port"], tls=server["tls"], public_url=public_url
        ),
        auth=AuthConfig(
            second_factor_required=auth["second_factor"] == "required",
            max_failed_logins=_positive("auth.max_failed_logins", auth["max_failed_logins"]),
            lockout_minutes=_positive("auth.lockout_minutes", auth["lockout_minutes"]),
            session_idle_minutes=_positive(
                "auth.session_idle_minutes", auth["session_idle_minutes"]
            ),
            session_absolute_hours=_positive(
                "auth.session_absolute_hours", auth["session_absolute_hours"]
            ),
            hashing_cost=auth["hashing_cost"],
        ),
        worker=WorkerConfig(
            embedded=worker["embedded"],
            tick_seconds=_positive("worker.tick_seconds", worker["tick_seconds"]),
            batch_size=_positive("worker.batch_size", worker["batch_size"]),
            max_attempts=_positive("worker.max_attempts", worker["max_attempts"]),
            retry_base_seconds=_positive("worker.retry_base_seconds", worker["retry_base_seconds"]),
        ),
        retention=RetentionConfig(
            sms_body_days=_positive("retention.sms_body_days", retention["sms_body_days"]),
            unmatched_reply_days=_positive(
                "retention.unmatched_reply_days", retention["unmatched_reply_days"]
            ),
        ),
        messaging=messaging,
        portal=_portal(values["portal"], server, mode, public_url),
        extra=extra,
    )


def _portal(
    portal: dict[str, Any], server: dict[str, Any], mode: str, staff_url: str
) -> PortalConfig:
    if not 0 < portal["port"] < 65536 or portal["port"] == server["port"]:
        raise ConfigError("portal.port must be between 1 and 65535 and not server.port")
    raw = portal["public_url"].strip()
    if raw:
        public_url = _origin("portal.public_url", raw, mode)
    elif mode == "production":
        raise ConfigError(
            "portal.public_url must be set in production mode (https://<her address>)"
        )
    else:
        public_url = f"http://{server['host']}:{portal['port']}"
    if public_url == staff_url:
        # Her address is the one that faces the internet; the staff app's need not.
        raise ConfigError("portal.public_url must differ from server.public_url")
    exit_url = _origin("portal.exit_url", portal["exit_url"].strip().rstrip("/"), "production")
    return PortalConfig(
        port=portal["port"],
        public_url=public_url,
        session_idle_minutes=_positive(
            "portal.session_idle_minutes", portal["session_idle_minutes"]
        ),
        session_absolute_minutes=_positive(
            "portal.session_absolute_minutes", portal["session_absolute_minutes"]
        ),
        exit_url=exit_url + "/",
        proxy_hops=_hops(portal["proxy_hops"]),
        page_title=_page_title(portal["page_title"]),
        favicon=_favicon(portal["favicon"]),
    )


PAGE_TITLE_MAX = 40
FAVICON_MAX_BYTES = 64 * 1024
FAVICON_SUFFIXES = (".ico", ".png")


def _page_title(value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) > PAGE_TITLE_MAX:
        raise ConfigError(f"portal.page_title must be text of at most {PAGE_TITLE_MAX} characters")
    return " ".join(value.split())


def _favicon(value: Any) -> Path | None:
    if not isinstance(value, str):
        raise ConfigError("portal.favicon must be the path of an .ico or .png file, or empty")
    if not value.strip():
        return None
    path = Path(value.strip())
    if path.suffix.lower() not in FAVICON_SUFFIXES:
        raise ConfigError("portal.favicon must be the path of an .ico or .png file, or empty")
    if not path.is_file():
        raise ConfigError(f"portal.favicon names no readable file: {path}")
    if path.stat().st_size > FAVICON_MAX_BYTES:
        raise ConfigError(f"portal.favicon must be at most {FAVICON_MAX_BYTES // 1024} KB")
    return path


def _hops(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise ConfigError("portal.proxy_hops must be a whole number from 0 to 5")
    return value


def _public_url(server: dict[str, Any], mode: str) -> str:
    """server.public_url, checked: an http(s) origin without path, query or fragment, https
    in production. Empty means the development server's own address (and is refused in
    production, where that is never the address people use)."""
    raw = server["public_url"].strip()
    if not raw:
        if mode == "production":
            raise ConfigError(
                "server.public_url must be set in production mode (https://<the service's name>)"
            )
        host = server["host"]
        return (
            f"http://[{host}]:{server['port']}"
            if ":" in host
            else f"http://{host}:{server['port']}"
        )
    return _origin("server.public_url", raw, mode)


def _origin(key: str, raw: str, mode: str) -> str:
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (a malformed port raises here)
    except ValueError as exc:
        raise ConfigError(f"{key} is not a valid URL: {raw!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key} must be an http:// or https:// URL with a host, got {raw!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{key} must not carry a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ConfigError(f"{key} must be scheme and host only, without path, query or fragment")
    if mode == "production" and parts.scheme != "https":
        raise ConfigError(f"{key} must be an https:// URL in production mode")
    return f"{parts.scheme}://{parts.netloc}"


def _messaging(values: dict[str, Any], mode: str, public_url: str) -> MessagingConfig:
    transport = values["sms_transport"]
    if transport not in ("outbox", "twilio"):
        raise ConfigError('messaging.sms_transport must be "outbox" or "twilio"')
    twilio = values["twilio"]
    # Twilio reaches the service at its public address unless told otherwise (a tunnel to a
    # development machine, say).
    twilio_url = (
        _origin("messaging.twilio.public_url", twilio["public_url"].strip(), mode)
        if twilio["public_url"].strip()
        else public_url
    )
    if transport == "twilio":
        for key in ("account_sid", "auth_token"):
            if not twilio[key]:
                raise ConfigError(f"messaging.twilio.{key} must be set for the Twilio transport")
        if bool(twilio["messaging_service_sid"]) == bool(twilio["from_number"]):
            raise ConfigError(
                "messaging.twilio: set exactly one of messaging_service_sid and from_number"
            )
    return MessagingConfig(
        sms_transport=transport,
        max_attempts=_positive("messaging.max_attempts", values["max_attempts"]),
        retry_base_seconds=_positive("messaging.retry_base_seconds", values["retry_base_seconds"]),
        sending_lease_seconds=_positive(
            "messaging.sending_lease_seconds", values["sending_lease_seconds"]
        ),
        twilio=TwilioConfig(
            account_sid=twilio["account_sid"],
            auth_token=twilio["auth_token"],
            messaging_service_sid=twilio["messaging_service_sid"],
            from_number=twilio["from_number"],
            public_url=twilio_url,
            api_base_url=twilio["api_base_url"].rstrip("/"),
            timeout_seconds=_positive(
                "messaging.twilio.timeout_seconds", twilio["timeout_seconds"]
            ),
        ),
    )
