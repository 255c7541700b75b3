"""The request edge: what every request passes before any route reads its body.

A pure ASGI middleware, so it runs before FastAPI parses anything:

- a request that carries a body must present a valid token (bearer header, or the dashboard's
  session cookie) before a byte of the body is read; otherwise 401 and the connection is closed;
- every body has a size cap: the declared Content-Length is checked first, then the bytes that
  actually arrive (chunked uploads included); past it, 413. Import uploads stream through to
  their route, which enforces the larger upload limit while it reads;
- a JSON body may not repeat a key in one object (json.loads would keep the last one silently,
  so two readers of the same document could see different values): 422 naming the JSON path;
- (`NoSniff`) every response says `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers

from crossgate.api.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "crossgate_session"
# Bodies anyone may send: the dashboard's sign-in form carries the token itself.
ANONYMOUS_BODY_PATHS = frozenset({"/ui/login"})
# Routes that stream their own body under the upload limit (sheets/limits.py).
STREAMED_UPLOAD_PATHS = frozenset({"/v1/imports"})
ANONYMOUS_BODY_LIMIT = 16 * 1024


class _Pairs(list):
    """A JSON object as the list of its (key, value) pairs, so duplicates survive parsing."""


def duplicate_key_path(body: bytes) -> str | None:
    """The JSON path of the first key repeated within one object, or None (also None when the
    body is not JSON at all: the route's own parser reports that)."""
    try:
        tree = json.loads(body, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, str]] = [(tree, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Pairs):
            seen: set[str] = set()
            for key, value in node:
                where = f"{path}.{key}"
                if key in seen:
                    return where
                seen.add(key)
                stack.append((value, where))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]") for i, value in enumerate(node))
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class RequestEdge:
    def __init__(self, app: ASGIApp, json_limit: Callable[[], int]) -> None:
        self.app = app
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_text) if length_text is not None else None
        except ValueError:
            await _answer(send, 400, "Content-Length is not a number", path="Content-Length")
            return
        if not chunked and not length:
            await self.app(scope, receive, send)  # no body to guard
            return
        path = scope.get("path", "")
        if path not in ANONYMOUS_BODY_PATHS:
            refused = self._authenticate(scope, headers)
            if refused is not None:
                await _answer(send, 401, refused, path="Authorization",
                              extra_headers=[(b"www-authenticate", b"Bearer")])
                return
        if path in STREAMED_UPLOAD_PATHS:
            await self.app(scope, receive, send)
            return
        limit = ANONYMOUS_BODY_LIMIT if path in ANONYMOUS_BODY_PATHS else self.json_limit()
        if length is not None and length > limit:
            await _too_large(send, limit)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _too_large(send, limit)
                return
        if _is_json(headers.get("content-type", "")):
            repeated = duplicate_key_path(bytes(body))
            if repeated is not None:
                await _answer(send, 422, f"invalid input at {repeated}: the key appears more "
                              "than once in its object", path=repeated,
                              item_message="duplicate key")
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    def _authenticate(scope: Scope, headers: Headers) -> str | None:
        """None when the request carries a valid token, else why not. The token found is left
        in the request state, so the route's auth dependency does not look it up again."""
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            secret = _cookie(headers.get("cookie", ""), SESSION_COOKIE) or ""
        if not secret:
            return "missing bearer token (Authorization: Bearer <token>)"
        info = scope["app"].state.tokens.lookup(secret.strip())
        if info is None:
            return "invalid or revoked token"
        scope.setdefault("state", {})["token_lookup"] = (secret.strip(), info)
        return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # waits for the disconnect, as the server's own receive does

    return again


class NoSniff:
    """Adds `X-Content-Type-Options: nosniff` to every response. Wrapped around the whole
    middleware stack, so even the last-resort 500 answer carries it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


async def _too_large(send: Send, limit: int) -> None:
    await _answer(send, 413, f"the request body is larger than the limit of {limit} bytes",
                  path="Content-Length")


async def _answer(send: Send, status: int, message: str, *, path: str,
                  item_message: str | None = None,
                  extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer without reading the rest of the body, and close the connection: the client may
    still be sending it."""
    body = json.dumps(error_body(status, message,
                                 errors=[{"path": path, "message": item_message or message}])).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": body})
