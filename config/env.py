"""Reading settings from the environment, strictly.

django-environ turns any unknown word into ``False`` for a boolean (``DEBUG=maybe``
silently means off). A portal that handles people's money must not start on a
misread setting, so every typed read here fails loudly, naming the variable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class StrictEnv(environ.Env):
    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:  # noqa: A003
        raw = self.str(var, default=None if default is not environ.Env.NOTSET else default)
        if raw is None:
            if default is environ.Env.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            return bool(default)
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{var}={raw!r} is not a boolean; use one of true/false, yes/no, on/off, 1/0."
        )

    def int(self, var: str, default: Any = environ.Env.NOTSET) -> int:  # noqa: A003
        raw = self.str(var, default=None if default is not environ.Env.NOTSET else default)
        if raw is None:
            if default is environ.Env.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            return int(default)
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a whole number.") from None

    def db_url(
        self, var: str = "DATABASE_URL", default: Any = environ.Env.NOTSET, **kw: Any
    ) -> Any:
        raw = self.str(var, default=default)
        if not raw.startswith(("postgres://", "postgresql://", "pgsql://")):
            raise ImproperlyConfigured(
                f"{var} must be a PostgreSQL URL (postgres://user@host:port/name), got {raw!r}."
            )
        return self.db_url_config(raw, **kw)


env = StrictEnv()


# --- Redis URLs --------------------------------------------------------------------------------
# Celery (kombu) and redis-py spell a unix socket differently: the broker says
# redis+socket:///run/redis.sock?virtual_host=2, redis-py unix:///run/redis.sock?db=2.
_SOCKET_SCHEMES = ("redis+socket", "socket", "unix")


def redis_db(url: str) -> int:
    """The database number a Redis URL in either spelling points at (0 when it names none)."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return int(parts.path.strip("/") or 0)
    if parts.scheme in _SOCKET_SCHEMES:
        query = dict(parse_qsl(parts.query))
        return int(query.get("virtual_host", query.get("db", "0")).strip("/") or 0)
    raise ImproperlyConfigured(f"{_redact(url)} is not a Redis URL this portal can read.")


def redis_url(url: str, *, db: int | None = None) -> str:
    """The Redis of a broker URL as redis-py takes it, on database `db` (default: its own)."""
    parts = urlsplit(url)
    number = redis_db(url) if db is None else db
    if parts.scheme in ("redis", "rediss"):
        return urlunsplit((parts.scheme, parts.netloc, f"/{number}", parts.query, ""))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("virtual_host", "db")]
    query.append(("db", str(number)))
    # Built by hand: urlunsplit drops the "//" of an empty host, which redis-py reads as a path.
    return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
