"""Reading settings from the environment, strictly.

django-environ turns any unknown word into ``False`` for a boolean (``DEBUG=maybe``
silently means off). A portal that handles people's money must not start on a
misread setting, so every typed read here fails loudly, naming the variable.
"""

from __future__ import annotations

from typing import Any

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
