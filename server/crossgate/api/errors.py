"""One error shape for every 4xx/5xx answer (DESIGN.md, "Errors"): OPA's.

    {"code": "invalid_parameter", "message": "...", "errors": [{"path": "$.system.id", "message": "..."}]}

Each `path` is a JSON path into the request body, a parameter name or a `sheet!cell`. Routes raise
`ApiError` (or FastAPI's HTTPException, whose status picks the code); pydantic's validation errors
become `invalid_input` with one entry per bad field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

# Codes by status, after OPA's REST API where it has one.
CODES: dict[int, str] = {
    400: "invalid_parameter",
    401: "unauthorized",
    403: "forbidden",
    404: "resource_not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "resource_conflict",
    411: "length_required",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


class ErrorItem(BaseModel):
    path: str = Field(description="JSON path ($.a.b[0]), parameter name, or sheet!cell")
    message: str


class ErrorBody(BaseModel):
    """What every error answer carries."""

    code: str
    message: str
    errors: list[ErrorItem] = Field(default_factory=list)


class ApiError(HTTPException):
    """An HTTP error with the contract's body; `extra` adds fields (an import's report)."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 errors: Sequence[Mapping[str, Any]] = (), extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, message, headers=dict(headers) if headers else None)
        self.code = code or code_for(status)
        self.message = message
        self.errors = [dict(e) for e in errors]
        self.extra = dict(extra or {})


def code_for(status: int) -> str:
    return CODES.get(status, "client_error" if status < 500 else "server_error")


def error_body(status: int, message: str, *, code: str | None = None,
               errors: Sequence[Mapping[str, Any]] = (),
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {**(extra or {}), "code": code or code_for(status), "message": message,
            "errors": [dict(e) for e in errors]}


def error_response(status: int, message: str, *, code: str | None = None,
                   errors: Sequence[Mapping[str, Any]] = (), extra: Mapping[str, Any] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, code=code, errors=errors, extra=extra),
                        status_code=status, headers=dict(headers) if headers else None)


def json_path(loc: Sequence[object]) -> str:
    """A pydantic error location as a JSON path: ("body", "system", "roles", 0) -> $.system.roles[0].
    A query, path or header parameter is named as itself: ("query", "limit") -> limit."""
    parts = list(loc)
    if parts and parts[0] in ("query", "path", "header", "cookie") and len(parts) >= 2:
        return ".".join(str(p) for p in parts[1:])
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.message, code=exc.code, errors=exc.errors,
                              extra=exc.extra, headers=exc.headers)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error_response(exc.status_code, message, headers=exc.headers)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"path": json_path(tuple(err["loc"])), "message": err["msg"]} for err in exc.errors()]
    first = errors[0] if errors else {"path": "$", "message": "invalid input"}
    summary = f"invalid input at {first['path']}: {first['message']}"
    if len(errors) > 1:
        summary += f" (and {len(errors) - 1} more)"
    return error_response(422, summary, errors=errors)
