from __future__ import annotations


class AccountsError(Exception):
    """A refusal by an accounts service; its message is shown to the person who asked."""

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
