"""The API's errors: one JSON envelope, ``{"error": {"code": …, "message": …}}``.

Every refusal of a rule (a DomainError), every HTTP error (401, 404, 405, 429 …) and
every invalid request (422, with the fields at fault) leaves the API in this shape,
with the same Chinese-first messages as the pages.
"""

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from app.core.errors import DomainError
from app.extensions import db

HTTP_ERRORS = {
    400: ("bad_request", _l("请求格式不正确")),
    401: ("unauthorized", _l("请先登录：需要有效的访问令牌（Authorization: Bearer …）")),
    403: ("forbidden", _l("没有权限进行这个操作")),
    404: ("not_found", _l("找不到请求的内容")),
    405: ("method_not_allowed", _l("不支持这个请求方法")),
    409: ("conflict", _l("与当前状态冲突")),
    413: ("too_large", _l("请求内容太大")),
    415: ("unsupported_media_type", _l("请求内容需为 JSON")),
    422: ("invalid", _l("请求的参数不正确")),
    429: ("rate_limited", _l("请求太频繁，请稍后再试")),
    500: ("server_error", _l("服务器出错了，请稍后再试")),
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"example": "slot_full"})
    message = fields.String(required=True)
    fields = fields.Dict(metadata={"description": "Invalid input: the problems per field"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def error_body(code: str, message: str, *, problems: dict | None = None) -> dict:
    body = {"code": code, "message": str(message)}
    if problems:
        body["fields"] = problems
    return {"error": body}


def error_response(status: int, code: str, message: str, *, problems: dict | None = None,
                   headers: dict | None = None) -> Response:
    response = jsonify(error_body(code, message, problems=problems))
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="xiangqing"'
    return response


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code, message = HTTP_ERRORS.get(status, (f"http_{status}", error.name))
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    problems = data.get("messages") or data.get("errors")
    return error_response(status, code, data.get("message") or message,
                          problems=_flatten(problems), headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    """A rule said no: nothing it did stays."""
    db.session.rollback()
    return error_response(error.status, error.code, error.message)


def domain_error_body(error: DomainError) -> dict:
    return error_body(error.code, error.message)


def _flatten(messages) -> dict | None:
    """webargs nests problems by location ({"json": {"slot_id": [...]}}); clients want
    them by field."""
    if not isinstance(messages, dict):
        return None
    flat = {}
    for location, problems in messages.items():
        if isinstance(problems, dict):
            flat.update(problems)
        else:
            flat[location] = problems
    return flat


def register(blueprint) -> None:
    # By status code too: Flask prefers the site's handlers by code (app.web's error
    # pages) over a blueprint's handler by class.
    for status in HTTP_ERRORS:
        blueprint.register_error_handler(status, handle_http_error)
    blueprint.register_error_handler(HTTPException, handle_http_error)
    blueprint.register_error_handler(DomainError, handle_domain_error)
