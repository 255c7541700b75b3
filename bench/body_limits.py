"""What a large request body costs the server: RSS growth after a 200 MB JSON body, with and
without a token. Run from a checkout: `python bench/body_limits.py` (starts its own server on
127.0.0.1 over a copy of the shipped content; prints one line per case)."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import start_server, stop_server

MB = 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def body(size_mb: int) -> Iterator[bytes]:
    yield b'{"gate": "deployment", "padding": "'
    for _ in range(size_mb):
        yield b"x" * MB
    yield b'"}'


def main() -> None:
    server = start_server(Path(tempfile.mkdtemp(prefix="crossgate-bench-")) / "data")
    try:
        for label, token in (("no token", None), ("ci token", server.tokens["ci"])):
            before = rss(server.process.pid)
            started = time.perf_counter()
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                status = httpx.post(server.url + "/v1/gate/decide", content=body(200),
                                    headers=headers, timeout=120).status_code
            except httpx.HTTPError as exc:
                status = f"closed ({type(exc).__name__})"
            took = time.perf_counter() - started
            print(f"200 MB body, {label}: answer {status} in {took:.2f} s, server RSS "
                  f"{before / MB:.0f} -> {rss(server.process.pid) / MB:.0f} MB")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
