"""Shared fixtures: a real crossgate server on 127.0.0.1 over a real on-disk store."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from crossgate.tokens import ROLES, TokenStore
from tests import candidates

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    tokens: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


_SEEDED: Path | None = None


def seeded_store() -> Path:
    """A data directory with the shipped content loaded once per test session: loading and
    validating it costs seconds, and most tests only need a copy of the result."""
    global _SEEDED
    if _SEEDED is None:
        from crossgate.config import Settings
        from crossgate.runtime import Runtime

        seed = Path(tempfile.mkdtemp(prefix="crossgate-seed-"))
        Runtime(Settings(data_dir=seed)).close()
        _SEEDED = seed
    return _SEEDED


def start_server(data_dir: Path, env: dict[str, str] | None = None,
                 timeout_s: float = 90, seed: bool = True) -> LiveServer:
    """Start `crossgate serve` as a subprocess with one token per role; wait for /healthz.
    A new data directory starts as a copy of the seeded store unless seed=False."""
    if seed and not (data_dir / "graph").exists():
        source = seeded_store()
        for part in ("graph", "snapshots"):
            shutil.copytree(source / part, data_dir / part)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = TokenStore(data_dir / "tokens.sqlite")
    tokens = {role: store.create(role, f"test {role}") for role in ROLES}
    store.close()
    port = free_port()
    log = data_dir / "server.log"
    full_env = {**os.environ, **(env or {})}
    full_env.pop("CROSSGATE_DATA_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "crossgate.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(data_dir)],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=full_env,  # noqa: SIM115 - the server owns the log file
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveServer(url, data_dir, tokens, process, log, env or {})
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become healthy in {timeout_s} s:\n{log.read_text()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One shared server for read-mostly API tests; every fixture candidate's system and
    version has been promoted through the stages before production (candidates.promote)."""
    live = start_server(tmp_path_factory.mktemp("crossgate-data"))
    with live.client("ci") as ci:
        for name in candidates.names():
            candidates.promote(ci, candidates.current(name))
    yield live
    stop_server(live)


@pytest.fixture()
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, for tests that change the graph or the ledger."""
    live = start_server(tmp_path / "data")
    yield live
    stop_server(live)
