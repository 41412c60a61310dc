from __future__ import annotations


class SealError(Exception):
    """A seal that does not hold, or a key operation refused; `message` is in words for the
    person who sees it, `code` for the code that handles it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
