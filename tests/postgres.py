"""A throwaway PostgreSQL server for tests: started in a temp dir, deleted afterwards.

Use the fixtures from a test module (or a conftest.py)::

    from tests.postgres import postgres_server, postgres_url  # noqa: F401  (pytest fixtures)

    @pytest.mark.postgres
    def test_something(postgres_url: str) -> None:  # a fresh, empty database per test
        ...

or the context manager anywhere::

    with running_postgres() as server:
        url = server.create_database()

One server is started per test session (``postgres_server``, session scope); each test asking for
``postgres_url`` gets its own database on it, dropped afterwards.

How it runs: ``initdb`` (trust authentication, C locale, UTF-8) into a fresh temp dir, then
``pg_ctl start -w`` listening on 127.0.0.1 on a free port and on a unix socket inside the temp
dir (never /var/run/postgresql). PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the ``postgres`` OS user (the temp dir is handed to it). Durability is
switched off (fsync, synchronous_commit) because the data is thrown away.

Environment:
  CROSSGATE_PG_BIN             directory holding initdb and pg_ctl (default: PostgreSQL 15 in
                               /usr/lib/postgresql, then any version there, then PATH)
  CROSSGATE_PG_USER            OS user to run the server as when root (default: postgres)
  CROSSGATE_PG_TMPDIR          where to make the temp dir (default: the system temp dir, or
                               /tmp when the server user cannot reach it)
  CROSSGATE_TEST_POSTGRES_URL  use this existing server (a superuser URL) instead of starting one
  CROSSGATE_REQUIRE_POSTGRES   "1": fail instead of skipping when PostgreSQL is unavailable (CI)

Without PostgreSQL binaries the tests are skipped with a message saying what to install.
Run ``python -m tests.postgres`` to start one by hand; it prints the URL and waits for Ctrl-C.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

PREFERRED_MAJOR = "15"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
INITDB_TIMEOUT_S = 180
START_ATTEMPTS = 3
LOG_TAIL_CHARS = 4000


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL on this machine (tests skip, unless CROSSGATE_REQUIRE_POSTGRES=1)."""


class PostgresStartError(RuntimeError):
    """PostgreSQL is installed but the throwaway server would not start (tests error)."""


def find_bindir() -> Path | None:
    """Directory holding initdb and pg_ctl, or None."""

    def usable(path: str | Path | None) -> Path | None:
        if not path:
            return None
        bindir = Path(path)
        names = ("initdb", "pg_ctl")
        if all(os.access(bindir / name, os.X_OK) for name in names):
            return bindir
        return None

    explicit = os.environ.get("CROSSGATE_PG_BIN")
    if explicit:
        return usable(explicit)
    candidates: list[str | None] = [f"/usr/lib/postgresql/{PREFERRED_MAJOR}/bin"]

    def major(path: str) -> int:
        part = Path(path).parent.name
        return int(part) if part.isdigit() else 0

    installed: list[str] = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True)
    candidates += installed
    candidates += ["/usr/pgsql-15/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin"]
    initdb = shutil.which("initdb")
    candidates.append(str(Path(initdb).parent) if initdb else None)
    for candidate in candidates:
        found = usable(candidate)
        if found:
            return found
    return None


def _tail(path: Path, limit: int = LOG_TAIL_CHARS) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return text if len(text) <= limit else "…" + text[-limit:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable_by(directory: Path, uid: int) -> bool:
    """Whether user ``uid`` can traverse every directory down to ``directory``."""
    path = directory.resolve()
    for part in [path, *path.parents]:
        try:
            info = part.stat()
        except OSError:
            return False
        if info.st_uid == uid:
            if not info.st_mode & stat.S_IXUSR:
                return False
        elif not info.st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass
class PostgresServer:
    """A running server; ``url()`` and ``create_database()`` give connection URLs."""

    host: str
    port: int
    user: str
    admin_url: str
    root: Path | None = None  # temp dir (None for an external server)
    log_path: Path | None = None
    _databases: list[str] = field(default_factory=list)

    def url(self, dbname: str = "postgres") -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + quote(dbname)))

    def _admin(self) -> Any:  # a psycopg.Connection in autocommit mode
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a random name by default) and return its URL."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name must be alphanumeric/underscore: {name!r}")
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._databases:
            self._databases.remove(name)

    def drop_all(self) -> None:
        for name in list(self._databases):
            with contextlib.suppress(Exception):
                self.drop_database(name)

    def describe(self) -> str:
        return f"PostgreSQL at {self.host}:{self.port} (data in {self.root}, log {self.log_path})"


class _Runner:
    """Runs PostgreSQL programs, as the ``postgres`` OS user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.uid: int | None = None
        self.gid: int | None = None
        if os.geteuid() == 0:
            name = os.environ.get("CROSSGATE_PG_USER", "postgres")
            try:
                entry = pwd.getpwnam(name)
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"running as root and there is no OS user {name!r} to run PostgreSQL as "
                    "(PostgreSQL refuses to run as root; set CROSSGATE_PG_USER)"
                ) from exc
            if entry.pw_uid == 0:
                raise PostgresUnavailable(f"CROSSGATE_PG_USER={name!r} is root")
            self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def env(self, home: Path) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PG") and not key.startswith("LC_")
        }
        env.update(LANG="C", LC_ALL="C", TZ="UTC", HOME=str(home))
        return env

    def run(self, args: list[str], home: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        program = [str(self.bindir / args[0]), *args[1:]]
        # When root, drop to the server user in the child (like `runuser -u postgres --`),
        # with none of root's supplementary groups.
        return subprocess.run(  # the callers check the exit code and show the log
            program,
            cwd=home,
            env=self.env(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            user=self.uid,
            group=self.gid,
            extra_groups=[] if self.uid is not None else None,
        )

    def own(self, path: Path) -> None:
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)


def _make_root(runner: _Runner) -> Path:
    bases = [os.environ.get("CROSSGATE_PG_TMPDIR"), tempfile.gettempdir(), "/tmp", "/var/tmp"]
    for base in bases:
        if not base or not Path(base).is_dir():
            continue
        if runner.uid is not None and not _reachable_by(Path(base), runner.uid):
            continue
        root = Path(tempfile.mkdtemp(prefix="crossgate-pg-", dir=base))
        runner.own(root)
        root.chmod(0o700)
        return root
    raise PostgresStartError("no temp directory the PostgreSQL user can reach; set CROSSGATE_PG_TMPDIR")


def _postmaster_pid(data: Path) -> int | None:
    try:
        first = (data / "postmaster.pid").read_text().splitlines()[0]
        return int(first)
    except (OSError, ValueError, IndexError):
        return None


def _stop(runner: _Runner, root: Path, data: Path) -> None:
    """Stop the server we started: fast, then immediate, then SIGKILL of its postmaster."""
    if not (data / "postmaster.pid").exists():
        return
    for mode in ("fast", "immediate"):
        try:
            result = runner.run(
                ["pg_ctl", "stop", "-D", str(data), "-m", mode, "-w", "-t", str(STOP_TIMEOUT_S)],
                root,
                STOP_TIMEOUT_S + 10,
            )
            if result.returncode == 0:
                return
        except subprocess.TimeoutExpired:
            pass
    pid = _postmaster_pid(data)
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running_postgres(start_timeout_s: float = START_TIMEOUT_S) -> Iterator[PostgresServer]:
    """Start a throwaway server, yield it, then stop it and delete its files.

    Raises PostgresUnavailable when there is nothing to start, PostgresStartError (with the
    server log) when it would not start.
    """
    external = os.environ.get("CROSSGATE_TEST_POSTGRES_URL")
    if external:
        parts = urlsplit(external)
        server = PostgresServer(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            admin_url=external,
        )
        try:
            yield server
        finally:
            server.drop_all()
        return

    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15 "
            "(Debian/Ubuntu: apt-get install postgresql-15), or set CROSSGATE_PG_BIN to their "
            "directory, or CROSSGATE_TEST_POSTGRES_URL to an existing server"
        )
    runner = _Runner(bindir)
    root = _make_root(runner)
    data = root / "data"
    sockets = root / "sockets"
    log_path = root / "postgres.log"
    try:
        sockets.mkdir()
        runner.own(sockets)
        sockets.chmod(0o700)
        try:
            init = runner.run(
                [
                    "initdb",
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-locale",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                root,
                INITDB_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresStartError(f"initdb ({bindir}) timed out after {exc.timeout} s") from exc
        if init.returncode != 0:
            raise PostgresStartError(
                f"initdb ({bindir}) failed with exit code {init.returncode}:\n{init.stdout}"
            )

        port = 0
        ok = False
        failures: list[str] = []
        for _attempt in range(START_ATTEMPTS):
            port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {port}",
                    f"-k {sockets}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=100",
                    "-c shared_buffers=32MB",
                ]
            )
            try:
                started = runner.run(
                    [
                        "pg_ctl",
                        "start",
                        "-D",
                        str(data),
                        "-l",
                        str(log_path),
                        "-w",
                        "-t",
                        str(int(start_timeout_s)),
                        "-o",
                        options,
                    ],
                    root,
                    start_timeout_s + 15,
                )
                ok = started.returncode == 0
                output = started.stdout
            except subprocess.TimeoutExpired:
                ok, output = False, f"pg_ctl start timed out after {start_timeout_s} s"
            if ok:
                break
            log_text = _tail(log_path)
            failures.append(f"port {port}: {output.strip()}\n--- server log ---\n{log_text}")
            _stop(runner, root, data)
            if "already in use" not in log_text and "could not bind" not in log_text:
                break  # not a port race: retrying will not help
        if not ok:
            raise PostgresStartError(f"PostgreSQL ({bindir}) did not start:\n" + "\n\n".join(failures))

        server = PostgresServer(
            host="127.0.0.1",
            port=port,
            user="postgres",
            admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
            root=root,
            log_path=log_path,
        )
        _wait_ready(server, start_timeout_s)
        yield server
    finally:
        with contextlib.suppress(Exception):
            _stop(runner, root, data)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer, timeout_s: float) -> None:
    """pg_ctl -w already waited; make sure a client can really connect over TCP."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(server.admin_url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                log = _tail(server.log_path) if server.log_path else ""
                raise PostgresStartError(f"{server.describe()} accepts no connections: {exc}\n{log}") from exc
            time.sleep(0.2)


def _unavailable(reason: str) -> None:
    if os.environ.get("CROSSGATE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL required (CROSSGATE_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the whole test session."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a fresh, empty database on the session's server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            postgres_server.drop_database(name)


if __name__ == "__main__":
    with running_postgres() as running:
        print(running.describe())
        print(running.create_database("crossgate"))
        print("Ctrl-C to stop and delete it")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
