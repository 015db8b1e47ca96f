"""Entry point for a WSGI server: ``gunicorn 'partnercontact.wsgi:app'``.

The schema must already be current (`partnercontact db upgrade`): outside development the
app refuses to start against an outdated one. The worker runs in its own process
(`partnercontact worker`) unless ``worker.embedded`` is set.
"""

from partnercontact import migrate
from partnercontact.app import create_app
from partnercontact.config import ConfigError, load_config

config = load_config()
if not config.is_development and not migrate.is_at_head(config.database_url):
    raise ConfigError("the database schema is not current: run `partnercontact db upgrade`")

app = create_app(config)
