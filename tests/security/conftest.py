from __future__ import annotations

import pytest


@pytest.fixture
def lockout_on(settings):
    """django-axes as in production (config/settings/test.py turns it off for the suite)."""
    settings.AXES_ENABLED = True


@pytest.fixture
def otp_on(settings):
    """The staff second factor as in production (off in config/settings/test.py)."""
    settings.STAFF_REQUIRE_OTP = True
    # No back-off between attempts, so a test may follow a wrong code with a right one.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
