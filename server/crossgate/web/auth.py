"""Sign-in and sign-out for the dashboard, the entry redirects and the static files.

The session is the API bearer token itself, kept in an HttpOnly, SameSite=Strict cookie (Secure
when the request came over https): the browser never exposes it to scripts, and every page
checks it against the same token store and role rules as the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from crossgate.web.common import (
    COOKIE,
    WEB_DIR,
    UIRoute,
    check_post,
    current_session,
    error_page,
    render,
    same_origin,
)

router = APIRouter(route_class=UIRoute, include_in_schema=False)

STATIC_DIR = WEB_DIR / "static"
_MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


def safe_next(target: str | None) -> str:
    """Only a dashboard path on this site: no scheme, no host, no backslashes."""
    if (target and target.startswith("/ui/") and not target.startswith("//")
            and "\\" not in target and "://" not in target):
        return target
    return "/"


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui/overview", 303)


@router.get("/ui")
@router.get("/ui/")
def ui_root() -> RedirectResponse:
    return RedirectResponse("/ui/overview", 303)


@router.get("/ui/login")
def login_form(request: Request, next: str | None = None) -> Response:
    session = current_session(request)
    return render(request, "login.html", next=safe_next(next), error=None, signed_in=session)


@router.post("/ui/login")
def login(request: Request, token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    if not same_origin(request):
        raise error_page(request, 403, "Sign-in refused",
                         "The sign-in form was posted from another site.")
    info = request.app.state.tokens.lookup(token.strip()) if token.strip() else None
    if info is None:
        return render(request, "login.html", 401, next=safe_next(next), signed_in=None,
                      error="That token is unknown or revoked. Paste an API token "
                            "(it starts with cg_).")
    response = RedirectResponse(safe_next(next), 303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/ui/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    session = current_session(request)
    if session is not None:
        check_post(request, session, csrf)
    response = RedirectResponse("/ui/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response


@router.get("/ui/static/{name}")
def static(name: str) -> Response:
    # Only files that sit directly in static/ and have a known type: no path tricks.
    path = STATIC_DIR / name
    suffix = path.suffix.lower()
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in _MEDIA \
            or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type=_MEDIA[suffix],
                        headers={"Cache-Control": "public, max-age=300"})

