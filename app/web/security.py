"""Security headers on every response (no inline script or style is ever needed), and
pages that read forms only."""

from flask import Flask, Response, abort, request

from app.core.coerce import CONTROL_CHARACTERS

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# The methods whose body Flask-WTF reads as a form's data.
FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_json_to_pages() -> None:
    """A JSON body to a page is refused (415) before any form reads it. Flask-WTF would
    take the JSON for the form's data, and one that is not an object, or is nested
    deeper than the decoder can follow, breaks it (a 500). The pages' forms are HTML
    forms; JSON belongs to the API, which parses it itself."""
    if (request.is_json and request.method in FORM_METHODS
            and not request.path.startswith("/api/")):
        abort(415)


def refuse_control_characters() -> None:
    """A form whose fields hold control characters (NUL …) is refused (400) before any
    form reads it: nobody types them, SQLite would store them and PostgreSQL refuses
    NUL in text — a failure instead of a message."""
    if (request.method in FORM_METHODS and not request.path.startswith("/api/")
            and any(CONTROL_CHARACTERS.search(value)
                    for _name, value in request.form.items(multi=True))):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_json_to_pages)
    app.before_request(refuse_control_characters)
    app.after_request(add_security_headers)
