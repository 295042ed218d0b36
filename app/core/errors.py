"""Domain errors: services raise them, views turn them into a form message or a JSON 4xx."""


class DomainError(Exception):
    """A rule refused an action. ``message`` is for the user, ``code`` for machines."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409
