"""The CLI's client of a crossgate server's decide endpoint: retries with backoff, and errors
that tell a pipeline "the gate said no" from "the gate is down" (docs/ci.md, exit codes).

Retried: connection failures, timeouts and 5xx answers (a server restarting, a proxy without a
backend). Not retried: answers about the request itself (401/403/404/422), which another try
cannot fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx


class GateUnreachable(RuntimeError):
    """No answer from the server after every try (exit 3 in the CLI)."""


class GateRefused(ValueError):
    """The server refused the request itself: bad input, bad token (exit 2 in the CLI)."""

    def __init__(self, status: int, message: str, errors: list[Mapping[str, Any]]) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors


def decide_remote(server: str, token: str, body: object, *, dry_run: bool = False,
                  retries: int = 3, timeout_s: float = 30.0, backoff_s: float = 1.0,
                  sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """POST the candidate to /v1/gate/decide; the decision, or GateRefused / GateUnreachable.
    Waits backoff_s, 2*backoff_s, 4*backoff_s ... between tries (at most 30 s)."""
    url = server.rstrip("/") + "/v1/gate/decide"
    problem = "no attempt was made"
    for attempt in range(retries + 1):
        if attempt:
            sleep(min(30.0, backoff_s * 2 ** (attempt - 1)))
        try:
            response = httpx.post(url, json=body, params={"dry_run": "true"} if dry_run else None,
                                  headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s)
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            continue
        if response.status_code >= 500:
            problem = f"the server answered {response.status_code}: {response.text[:200]}"
            continue
        if response.status_code != 200:
            payload = _json(response)
            raise GateRefused(response.status_code,
                              str(payload.get("message") or response.text[:300]),
                              list(payload.get("errors") or []))
        decision = _json(response)
        if not decision:
            problem = "the server's answer is not a JSON decision"
            continue
        return decision
    tries = f"{retries + 1} {'try' if retries == 0 else 'tries'}"
    raise GateUnreachable(f"no decision from {server} after {tries}: {problem}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
