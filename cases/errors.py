from __future__ import annotations


class CaseError(Exception):
    """A refusal by a case service; its message is shown to the person who asked.

    `reasons` holds every reason at once where the rules ask for all of them (一次性告知)."""

    def __init__(self, message: str, *, code: str = "refused", reasons: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.reasons = reasons or [message]
