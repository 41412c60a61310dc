"""Settings of the Celery workers the fault tests start: the test settings, with SMS and
e-mail written to the file FAULTS_OUTBOX names (tests/faults/outbox.py)."""

from config.settings.test import *  # noqa: F403

SMS_SENDER = "tests.faults.outbox.FileSmsSender"
EMAIL_BACKEND = "tests.faults.outbox.FileEmailBackend"
