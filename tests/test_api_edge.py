"""The request edge against a real server: auth before the body, body caps, duplicate JSON keys,
nosniff on every answer, offline API docs, a private data directory."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO, LiveServer, free_port

CANDIDATES = REPO / "tests" / "fixtures" / "candidates"
MB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def raw_request(url: str, head: str, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes]:
    """Send a request head (and part of a body) on a raw socket, read whatever comes back
    without sending more: the status and the answer's bytes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        received = b""
        try:
            while b"\r\n\r\n" not in received or not _complete(received):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            pass
    match = re.match(rb"HTTP/1\.1 (\d{3})", received)
    assert match, f"no HTTP answer within {timeout} s: {received[:200]!r}"
    return int(match.group(1)), received


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    return bool(length) and len(body) >= int(length.group(1))


def test_no_token_means_the_body_is_never_read(server: LiveServer) -> None:
    started = time.monotonic()
    status, answer = raw_request(server.url, (
        "POST /v1/gate/decide HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        f"Content-Length: {100 * MB}\n"), body=b'{"gate": "deployment", ' + b" " * 4096)
    # The server answered with 99.99 MB still unsent: it did not wait for (or parse) the body.
    assert status == 401 and time.monotonic() - started < 10
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == "unauthorized" and body["errors"][0]["path"] == "Authorization"
    status, _ = raw_request(server.url, (
        "POST /v1/coverage HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer cg_not_a_token\n"
        f"Content-Type: application/json\nContent-Length: {50 * MB}\n"), body=b"{")
    assert status == 401


def test_declared_body_over_the_cap_is_413_before_reading(server: LiveServer) -> None:
    status, answer = raw_request(server.url, (
        f"POST /v1/gate/decide HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {server.tokens['ci']}\n"
        f"Content-Type: application/json\nContent-Length: {200 * MB}\n"), body=b"{")
    assert status == 413
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == "request_too_large" and str(5 * MB) in body["message"]


def test_streamed_body_over_the_cap_is_stopped_and_memory_stays_flat(server: LiveServer) -> None:
    before = rss_bytes(server.process.pid)

    def chunks() -> Iterator[bytes]:
        yield b'{"gate": "deployment", "padding": "'
        for _ in range(200):  # 200 MB, as the attack did; the server stops reading at 5 MB
            yield b"x" * MB
        yield b'"}'

    with server.client("ci") as ci:
        try:
            answer = ci.post("/v1/gate/decide", content=chunks(),
                             headers={"Content-Type": "application/json"})
            status = answer.status_code
        except httpx.HTTPError:
            status = None  # the server may close while we are still sending
    assert status in (413, None)
    grown = rss_bytes(server.process.pid) - before
    assert grown < 100 * MB, f"the server grew by {grown / MB:.0f} MB"
    with server.client("ci") as ci:  # and it still answers
        assert ci.get("/healthz").status_code == 200


def test_json_body_just_under_the_cap_still_reaches_validation(server: LiveServer) -> None:
    body = json.loads((CANDIDATES / "low_pass.json").read_text())
    body["release"]["change_description"] = "x" * (4 * MB)
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", params={"dry_run": "true"}, json=body)
    # Read and validated (the description is within the cap, so the answer is the route's own).
    assert answer.status_code != 413


def test_duplicate_json_keys_are_422_naming_the_path(server: LiveServer) -> None:
    text = (CANDIDATES / "low_pass.json").read_text()
    doubled = text.replace('"risk_tier": "LOW"', '"risk_tier": "LOW", "risk_tier": "CRITICAL"', 1)
    assert doubled != text
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", params={"dry_run": "true"}, content=doubled,
                         headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["code"] == "invalid_input"
        assert body["errors"] == [{"path": "$.system.risk_tier", "message": "duplicate key"}]
        nested = json.dumps({"a": [{"b": 1}]})[:-3] + ', "b": 2}]}'
        answer = ci.post("/v1/data/crossgate/gate/deployment/decision", content=nested,
                         headers={"Content-Type": "application/json"})
        assert answer.status_code == 422 and answer.json()["errors"][0]["path"] == "$.a[0].b"


@pytest.mark.parametrize("path, role", [
    ("/healthz", None), ("/v1/requirements", None), ("/v1/requirements", "analyst"),
    ("/no/such/page", "analyst"), ("/openapi.json", None), ("/ui/login", None),
    ("/static/api-docs/swagger-ui.css", None)])
def test_every_answer_says_nosniff(server: LiveServer, path: str, role: str | None) -> None:
    with server.client(role) as client:
        answer = client.get(path)
    assert answer.headers.get("x-content-type-options") == "nosniff", (path, answer.status_code)


def test_api_docs_load_nothing_from_outside(server: LiveServer) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_dashboard import CHROMIUM_ARGS

    requested: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.goto(server.url + "/docs")
            page.wait_for_selector(".opblock", timeout=20_000)  # the UI rendered the operations
            assert page.locator(".opblock").count() > 20
            page.close()
        finally:
            browser.close()
    outside = [u for u in requested if not u.startswith((server.url, "data:", "blob:"))]
    assert requested and not outside, outside


def test_a_data_directory_the_server_creates_is_private(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    log = tmp_path / "server.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CROSSGATE_DATA_DIR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "crossgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data)], stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env)  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    try:
        token = _wait_for_admin_token(url, log, process)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            c.get("/v1/decisions").raise_for_status()  # opens the ledger
            c.get("/bundles/crossgate.tar.gz").raise_for_status()  # writes a bundle
    finally:
        process.terminate()
        process.wait(timeout=30)
    loose: list[str] = []
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(tmp_path)} {mode:o}")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert not loose, loose


def _wait_for_admin_token(url: str, log: Path, process: subprocess.Popen[Any]) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                found = re.search(r"^\s+(cg_\S+)$", log.read_text(), re.MULTILINE)
                assert found, log.read_text()
                return found.group(1)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server did not start:\n{log.read_text()}")
