"""One router per audience or resource."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from crossgate.api.errors import ApiError, ErrorBody
from crossgate.filters import UnknownValue

# Every 4xx answers the one error shape (api/errors.py); routers declare it once for the range,
# which also replaces FastAPI's default 422 description (a shape this API never sends).
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Client error: {code, message, errors}"},
}


def media(*types: str, description: str = "Successful Response") -> dict[int | str, Any]:
    """`responses=` for a 200 that is not JSON: the media types it really has."""
    return {200: {"description": description, "content": {t: {} for t in types}}}


def unknown_value(exc: UnknownValue) -> ApiError:
    """422 for a filter value outside its set, naming the parameter and the allowed values."""
    return ApiError(422, str(exc), errors=[exc.as_error()])


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(filename: str) -> str:
    """A Content-Disposition for a download whose name may hold any character (a system id
    with emoji, newlines or NUL): an ASCII fallback `filename` and the exact name as RFC 5987
    `filename*` (UTF-8, percent-encoded), so the header stays one valid Latin-1 line."""
    fallback = _UNSAFE_FILENAME.sub("_", filename).strip("._") or "download"
    exact = quote(filename.replace("/", "_"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
