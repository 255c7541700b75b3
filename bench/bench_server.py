"""The real crossgate app plus two trivial routes, served like `crossgate serve` does.

    python bench/bench_server.py --data-dir DIR --port PORT [--threads 8]

Same stack as `crossgate serve` (uvicorn with httptools and uvloop, one process, log level info
with the access log, the sync-route thread limit set to --threads), with two ceiling routes
added to the same app, so a trivial request and a gate decision go through the same server,
middleware and event loop:

- POST /bench/echo        async handler: validates a small pydantic model and returns it
- POST /bench/echo-sync   the same as a sync handler (run in the thread pool, like
                          POST /v1/gate/decide)
- POST /bench/echo-gate   sync handler that validates a gate candidate (GateInput, the decide
                          route's body model) and returns it as dict[str, Any]: the HTTP, JSON
                          and validation work of a decision's payload with no auth and no decision

The whole ASGI app is wrapped in a timer that adds `x-bench-app-ms` to every response: the time
from the request entering FastAPI to its response headers (routing, dependencies, body parsing,
the handler, response serialisation; not uvicorn's HTTP parsing or the socket), and
`x-bench-app-cpu-ms`: the process's CPU time over the same span (all threads; with one request
at a time that is this request's CPU, which other load on the machine does not inflate).

Used by bench/gate_bench.py, which starts it as a subprocess and polls /healthz.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))

import anyio.to_thread  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

from crossgate.api.app import create_app  # noqa: E402
from crossgate.config import Settings  # noqa: E402
from crossgate.gate.input import GateInput  # noqa: E402


class Echo(BaseModel):
    name: str
    n: int
    tags: list[str] = []


class AppTimer:
    """Pure ASGI wrapper: x-bench-app-ms (wall) and x-bench-app-cpu-ms (process CPU) from
    entering the app to the response start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cpu = time.process_time()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = f"{(time.perf_counter() - started) * 1000:.3f}".encode()
                cpu_ms = f"{(time.process_time() - cpu) * 1000:.3f}".encode()
                headers = [*message.get("headers", []), (b"x-bench-app-ms", ms),
                           (b"x-bench-app-cpu-ms", cpu_ms)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def build(data_dir: Path, threads: int) -> FastAPI:
    app = create_app(Settings(data_dir=data_dir))

    @app.post("/bench/echo")
    async def echo(body: Echo) -> Echo:
        return body

    @app.post("/bench/echo-sync")
    def echo_sync(body: Echo) -> Echo:
        return body

    @app.post("/bench/echo-gate")
    def echo_gate(body: GateInput) -> dict[str, Any]:
        return body.model_dump(mode="json")

    @app.on_event("startup")
    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    # log_level="info" (with its access log) as `crossgate serve` runs it: the parent sends
    # stdout to a file. http/loop are what uvicorn's "auto" picks with uvicorn[standard].
    uvicorn.run(AppTimer(build(args.data_dir, args.threads)), host="127.0.0.1", port=args.port,
                http="httptools", loop="uvloop", log_level="info")


if __name__ == "__main__":
    main()
