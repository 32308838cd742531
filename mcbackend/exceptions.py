"""Errors that services raise; mcbackend.api.exception_handler renders them as API.md says."""

from typing import Any


class ApplicationError(Exception):
    """A request-level failure with a message for the client: `{"message": ..., **extra}`."""

    status_code = 400

    def __init__(
        self, message: str, *, status_code: int | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    """Unknown, or not the caller's to act on (API.md: 404 rather than leaking existence)."""

    status_code = 404


class ForbiddenError(ApplicationError):
    """The object exists but the caller may not see it (API.md: 403)."""

    status_code = 403


class ConflictError(ApplicationError):
    status_code = 409
