"""What every dashboard page shares: the session (cookie token), role rules, CSRF, rendering.

A page handler declares who may see it with a dependency, `Depends(page(*roles))`, and gets the
`Session`. The dependency does not answer with JSON errors as the API does: a missing or
revoked token redirects to the sign-in form, a wrong role renders a 403 page naming the roles
that may see it. It does so by raising `PageResponse`, which `UIRoute` (the route class of every
dashboard router) turns into the response.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from crossgate.api.deps import AUDIT, IMPORT, READ_DECISIONS, READ_GRAPH, SESSION_COOKIE
from crossgate.runtime import Runtime
from crossgate.tokens import TokenInfo

COOKIE = SESSION_COOKIE
CSRF_FIELD = "csrf"
WEB_DIR = Path(__file__).resolve().parent

# Who may see which pages: the API's role sets (api/deps.py), so a token sees the same data in
# the browser as over HTTP. admin is added by `page`.
GRAPH_PAGES = READ_GRAPH  # overview, gaps, requirements, matrix
LEDGER_PAGES = READ_DECISIONS  # decisions, analytics
IMPORT_PAGES = (*IMPORT, *AUDIT)  # import history (view)
IMPORT_REVERT = IMPORT  # revert an import

RELATION_GLYPHS = {"equal": "≡", "superset": "⊇", "subset": "⊆", "intersects": "∩",
                   "related": "~", "not_related": "∅"}
RELATION_MEANING = {
    "equal": ("same scope", "full"),
    "superset": ("source covers more than the target", "full"),
    "subset": ("source covers part of the target", "partial"),
    "intersects": ("overlap; neither contains the other", "partial"),
    "related": ("informative only", "none"),
    "not_related": ("reviewed and found unrelated", "none"),
}
STATUS_LABELS = {"satisfied": "satisfied", "partial": "partial", "unsatisfied": "unsatisfied",
                 "not_applicable": "not applicable"}


class PageResponse(Exception):
    """Raised by dependencies and helpers to answer with this response instead of the page."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class UIRoute(APIRoute):
    """Turns a PageResponse raised anywhere in a handler (or its dependencies) into its
    response, and adds the dashboard's security headers to every answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except PageResponse as exc:
                response = exc.response
            _secure_headers(response)
            return response

        return route


def _secure_headers(response: Response) -> None:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cache-Control", "no-store")


# -- templates ---------------------------------------------------------------------------------


def url_id(value: str) -> str:
    """A short id as a path segment (keeps the colon readable)."""
    return quote(str(value), safe=":")


def _short_hash(value: str | None, n: int = 12) -> str:
    return (value or "")[:n]


def _fmt_time(value: str | None) -> str:
    """'2026-11-02T10:00:00.000000Z' -> '2026-11-02 10:00:00 UTC'."""
    if not value:
        return ""
    text = str(value).replace("T", " ")
    if "." in text:
        text = text.split(".")[0]
    return text.removesuffix("Z").removesuffix("+00:00") + " UTC"


env = Environment(
    loader=FileSystemLoader(str(WEB_DIR / "templates")),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["u"] = url_id
env.filters["short"] = _short_hash
env.filters["time"] = _fmt_time
env.globals["GLYPHS"] = RELATION_GLYPHS
env.globals["STATUS_LABELS"] = STATUS_LABELS


def nav_for(role: str) -> list[tuple[str, str, str]]:
    """(key, label, url) of the pages this role may open."""
    items = [("overview", "Overview", "/ui/overview", GRAPH_PAGES),
             ("gaps", "Gaps", "/ui/gaps", GRAPH_PAGES),
             ("matrix", "Crosswalk matrix", "/ui/matrix", GRAPH_PAGES),
             ("profiles", "Gate profiles", "/ui/profiles/deployment", GRAPH_PAGES),
             ("decisions", "Decisions", "/ui/decisions", LEDGER_PAGES),
             ("analytics", "Gate analytics", "/ui/analytics", LEDGER_PAGES),
             ("imports", "Imports", "/ui/imports", IMPORT_PAGES)]
    return [(key, label, url) for key, label, url, roles in items if allowed(role, roles)]


def render(request: Request, template: str, status_code: int = 200,
           session: Session | None = None, **context: Any) -> HTMLResponse:
    base: dict[str, Any] = {"request": request, "session": session, "nav": [],
                            "active": context.pop("active", ""), "csrf": "",
                            "revision": None}
    if session is not None:
        base["nav"] = nav_for(session.role)
        base["csrf"] = session.csrf
        try:
            base["revision"] = runtime_of(request).store.head().number
        except Exception:  # the footer must not break a page
            base["revision"] = None
    html = env.get_template(template).render(**base, **context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, message: str,
               session: Session | None = None) -> PageResponse:
    return PageResponse(render(request, "error.html", status_code, session, title=title,
                               message=message))


def bad_filter(request: Request, exc: ValueError, session: Session | None) -> PageResponse:
    """422 for a filter the page cannot honour (an unknown value, a date out of range): the
    message names the parameter and what it accepts, as the API's 422 does."""
    return error_page(request, 422, "Invalid filter", str(exc), session)


def query(**params: Any) -> str:
    """A query string from params; lists repeat the key, None and '' are left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(key, str(v)) for v in values if v not in (None, "")]
    return urlencode(pairs)


env.globals["query"] = query


# -- sessions, roles and CSRF ------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    token: TokenInfo
    csrf: str

    @property
    def role(self) -> str:
        return self.token.role

    @property
    def name(self) -> str:
        return self.token.name

    def may(self, roles: Iterable[str]) -> bool:
        return allowed(self.role, roles)


def allowed(role: str, roles: Iterable[str]) -> bool:
    return role == "admin" or role in set(roles)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


_key_lock = threading.Lock()


def _csrf_key(request: Request) -> bytes:
    """The server secret CSRF tokens are keyed with: a 32-byte file in the data directory
    (shared by every process serving that directory, like the token store), created on first
    use; a per-process random key if the directory is not writable."""
    state = request.app.state
    key = getattr(state, "ui_csrf_key", None)
    if key is not None:
        return bytes(key)
    with _key_lock:
        key = getattr(state, "ui_csrf_key", None)
        if key is None:
            key = _load_or_create_key(runtime_of(request).settings.data_path / "ui-csrf.key")
            state.ui_csrf_key = key
    return bytes(key)


def _load_or_create_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:32]
        return secrets.token_bytes(32)
    except OSError:
        return secrets.token_bytes(32)
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def csrf_for(request: Request, token: str) -> str:
    """HMAC-SHA256 of the session token under the server key: the value every form posts."""
    return hmac.new(_csrf_key(request), token.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, token: str, submitted: str | None) -> bool:
    return hmac.compare_digest(csrf_for(request, token), submitted or "")


def same_origin(request: Request) -> bool:
    """False when the browser says the POST came from another origin (Origin header)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    expected = f"{request.url.scheme}://{request.url.netloc}"
    return origin == expected


def login_redirect(request: Request) -> PageResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return PageResponse(RedirectResponse("/ui/login?" + urlencode({"next": target}), 303))


def current_session(request: Request) -> Session | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    info = request.app.state.tokens.lookup(token)
    if info is None:
        return None
    return Session(info, csrf_for(request, token))


def page(*roles: str) -> Callable[[Request], Session]:
    """A dependency admitting a signed-in session whose role is one of `roles` (or admin)."""
    allowed_roles = tuple(sorted({*roles, "admin"}))

    def check(request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise login_redirect(request)
        if session.role not in allowed_roles:
            raise error_page(
                request, 403, "Not for your role",
                f"You are signed in as {session.role!r}. This page is for: "
                + ", ".join(allowed_roles) + ".", session)
        return session

    return check


def check_post(request: Request, session: Session, submitted: str | None) -> None:
    """Refuse a state-changing POST without the session's CSRF token or from another origin."""
    token = request.cookies.get(COOKIE) or ""
    if not same_origin(request) or not check_csrf(request, token, submitted):
        raise error_page(request, 403, "Form expired or forged",
                         "The form did not carry this session's CSRF token. Reload the page "
                         "and try again.", session)
