from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("yibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _redbeat_settings(sender: Celery, **kwargs: Any) -> None:
    # celery-redbeat asks for its settings by their bare names (redbeat_redis_url, ...), but a
    # Django setting only reaches Celery with the CELERY_ prefix, which Celery keeps on names
    # it does not know: copy them across.
    for key in [key for key in sender.conf if key.startswith("CELERY_REDBEAT_")]:
        sender.conf[key.removeprefix("CELERY_").lower()] = sender.conf[key]
