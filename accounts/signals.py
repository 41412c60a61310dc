"""Signals other apps plug into. Sent inside the transaction of the change, so that what a
receiver does (ending family-pool bindings, say) commits or rolls back with it.

`coverage_ended(person, reason, by)`: the person's employee coverage in its coordination
area ended — reason is "transferred" (a transfer completed), "account_closed" (a withdrawal
paid out, or an administrator closed the account) or "enrollment_stopped" / "enrollment_closed".
"""

from __future__ import annotations

from django.dispatch import Signal

coverage_ended = Signal()


class CoverageEnd:
    TRANSFERRED = "transferred"
    ACCOUNT_CLOSED = "account_closed"
    ENROLLMENT_STOPPED = "enrollment_stopped"
    ENROLLMENT_CLOSED = "enrollment_closed"
