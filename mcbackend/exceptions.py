"""Errors that services raise; mcbackend.api.exception_handler renders them as API.md says."""

import math
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


class FieldValidationError(ApplicationError):
    """Bad input a service found (a taken username, a weak password): rendered in DRF's field-error
    shape, `{"field": ["..."]}` (a `message` key for errors that belong to no field)."""

    def __init__(self, errors: dict[str, list[str] | str]) -> None:
        first = next(iter(errors.values()), "Invalid input.")
        super().__init__(first if isinstance(first, str) else " ".join(first))
        self.errors = errors


class AuthenticationError(ApplicationError):
    """Bad or missing credentials (API.md: 401, with the view's `WWW-Authenticate` challenge)."""

    status_code = 401


class RateLimitError(ApplicationError):
    """Too many attempts: 429 with `retry_after` (seconds) in the body and `Retry-After`."""

    status_code = 429

    def __init__(self, *, wait: float) -> None:
        self.wait = max(0, math.ceil(wait))
        unit = "second" if self.wait == 1 else "seconds"
        super().__init__(
            f"Request was throttled. Expected available in {self.wait} {unit}.",
            extra={"retry_after": self.wait},
        )
