"""Typed dependencies declared once: the runtime, and bearer-token auth by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crossgate.api import edge
from crossgate.runtime import Runtime
from crossgate.tokens import TokenInfo, TokenStore

# Who may do what (DESIGN.md, security model); admin may do everything.
READ_GRAPH = ("analyst", "legal", "auditor")
IMPORT = ("legal",)
DECIDE = ("ci",)
AUDIT = ("auditor",)
READ_DECISIONS = ("auditor", "analyst")

_bearer = HTTPBearer(auto_error=False)
# The dashboard's sign-in cookie (HttpOnly, SameSite=Strict). It also authenticates GET requests
# to the API, so the dashboard's download links (exports, evidence packs) work in a browser;
# SameSite=Strict keeps other sites from using it, and nothing that changes state is a GET.
SESSION_COOKIE = edge.SESSION_COOKIE


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_tokens(request: Request) -> TokenStore:
    return request.app.state.tokens


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenInfo:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        secret = credentials.credentials
    elif request.method == "GET" and request.cookies.get(SESSION_COOKIE):
        secret = request.cookies[SESSION_COOKIE]
    else:
        raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)",
                            headers={"WWW-Authenticate": "Bearer"})
    looked_up = getattr(request.state, "token_lookup", None)  # by the request edge (api/edge.py)
    if looked_up is not None and looked_up[0] == secret:
        info = looked_up[1]
    else:
        info = get_tokens(request).lookup(secret)
    if info is None:
        raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
    request.state.token = info
    return info


def require(*roles: str):
    """A dependency admitting the given roles (and admin)."""
    allowed = {*roles, "admin"}

    def check(token: Annotated[TokenInfo, Depends(authenticate)]) -> TokenInfo:
        if token.role not in allowed:
            raise HTTPException(
                403, f"role {token.role!r} may not do this; it needs one of: "
                + ", ".join(sorted(allowed)))
        return token

    return check


Reader = Annotated[TokenInfo, Depends(require(*READ_GRAPH))]
