"""Caller SPARQL over the embedded store, evaluated in worker processes that can be killed.

pyoxigraph 0.5.13 cannot cancel a running query (its Python API has no timeout or interrupt, and
the time checks in `query_bounded` only run while results stream out), and a thread cannot be
stopped: a timed-out ORDER BY or COUNT over a cartesian product kept a core busy and its memory
growing after its 503. So each query runs in a worker process holding the store open read-only:

- past the deadline the parent SIGKILLs the worker (the kernel frees its memory) and starts a new
  one; the worker also sets RLIMIT_CPU per query, so it dies even if its parent is gone;
- RLIMIT_AS caps the address space one query may add; a worker that hits it dies, not the server;
- a read-only store sees the data as of its opening, so a worker reopens it when the head
  revision it is asked for differs from the one it opened;
- at most `workers` queries run at once; a caller beyond that waits for a worker (the API
  bounds and times that wait without holding a thread: api/routes/sparql.py).

Run as `python -m crossgate.graph.query_pool FD PARENT_PID STORE_PATH MEMORY_BYTES` (the pool does).
"""

from __future__ import annotations

import atexit
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from crossgate.graph.store import (
    EmbeddedStore,
    QueryLimitExceeded,
    RawResult,
    RowLimitExceeded,
    StoreError,
)

# The worker answers a query it stopped itself (row limit, a deadline seen while streaming)
# within this much after the deadline; past it the parent kills it.
_KILL_GRACE_S = 0.25


@dataclass(frozen=True)
class Job:
    sparql: str
    revision: int
    deadline: float  # time.monotonic(): CLOCK_MONOTONIC is one clock for every process
    max_rows: int


class _Worker:
    def __init__(self, store_path: Path, memory_bytes: int) -> None:
        parent, child = socket.socketpair()
        self.conn = Connection(parent.detach())
        fd = child.fileno()
        # The worker imports the same crossgate as this process, wherever that comes from.
        code = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (code, os.environ.get("PYTHONPATH")) if p)
        # Started as its own interpreter (not fork): the server has threads and RocksDB open.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crossgate.graph.query_pool", str(fd), str(os.getpid()),
             str(store_path), str(memory_bytes)],
            pass_fds=(fd,), stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path, "MALLOC_ARENA_MAX": "2"},
        )
        child.close()

    def run(self, job: Job, memory_mb: int) -> RawResult:
        try:
            self.conn.send(job)
            wait = max(0.0, job.deadline - time.monotonic()) + _KILL_GRACE_S
            if not self.conn.poll(wait):
                self.kill()
                raise QueryLimitExceeded("the query ran past its time limit")
            kind, *payload = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            code = self.proc.returncode
            if code == -signal.SIGXCPU:
                raise QueryLimitExceeded("the query ran past its time limit") from None
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            raise QueryLimitExceeded(f"the query stopped: its worker died ({how}), as it does "
                                     f"at the memory limit ({memory_mb} MB)") from None
        return _result(kind, payload)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.conn.close()


def _result(kind: str, payload: list) -> RawResult:
    if kind == "ok":
        return RawResult(payload[0], payload[1])
    message = payload[0]
    if kind == "rows":
        raise RowLimitExceeded(payload[1])
    if kind == "limit":
        raise QueryLimitExceeded(message)
    if kind == "syntax":
        raise SyntaxError(message)
    if kind == "invalid":
        raise ValueError(message)
    raise StoreError(message)


class QueryPool:
    """A few workers over one embedded store, each started when first needed."""

    def __init__(self, store_path: Path, workers: int = 2, memory_mb: int = 1024) -> None:
        self.store_path = store_path
        self.size = max(1, workers)
        self.memory_mb = memory_mb
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._started = 0
        self._closed = False
        self._all: weakref.WeakSet[_Worker] = weakref.WeakSet()
        atexit.register(self.close)

    def query_bounded(self, store: EmbeddedStore, sparql: str, deadline: float,
                      max_rows: int) -> RawResult:
        """`store.query_bounded`, evaluated in a worker and killed at the deadline."""
        timeout_s = max(0.0, deadline - time.monotonic())
        worker = self._checkout()
        try:
            # The time limit counts from when a worker takes the query, not from any wait.
            job = Job(sparql, store.head().number, time.monotonic() + timeout_s, max_rows)
            result = worker.run(job, self.memory_mb)
        finally:
            self._checkin(worker)
        return result

    def _checkout(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError("the query pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()  # died while idle (killed from outside): replace it
                    self._started -= 1
                if self._started < self.size:
                    self._started += 1
                    break
                self._cond.wait()
        return self._spawn()

    def _spawn(self) -> _Worker:
        try:
            worker = _Worker(self.store_path, self.memory_mb * 1024 * 1024)
        except BaseException:
            with self._cond:
                self._started -= 1
                self._cond.notify()
            raise
        self._all.add(worker)
        return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._cond:
            if worker.alive() and not self._closed:
                self._idle.append(worker)
            else:
                # A killed worker is replaced on demand: the next checkout spawns one.
                self._started -= 1
            self._cond.notify()

    def worker_pids(self) -> list[int]:
        return [w.proc.pid for w in list(self._all) if w.alive()]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
        for worker in list(self._all):
            if worker.alive():
                worker.kill()


# -- the worker process -----------------------------------------------------------------------

def _serve(conn: Connection, parent_pid: int, store_path: Path, memory_bytes: int) -> None:
    store: EmbeddedStore | None = None
    opened = -1
    capped = False
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return  # the server closed its end (or died): nothing more to do
        if os.getppid() != parent_pid:
            return
        if store is None or job.revision != opened:
            if store is not None:
                store.close()
            try:
                store = EmbeddedStore(store_path, read_only=True)
            except (OSError, RuntimeError) as exc:
                # Exit, so that the next query gets a fresh worker.
                conn.send(("store", f"the query worker could not open the store: {exc}"))
                return
            opened = job.revision
        try:
            if not capped:
                # Measured from the address space after imports and the first open, so the
                # setting is what one query may add.
                cap = _address_space() + memory_bytes
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
                capped = True
            # The kernel stops a query the parent can no longer kill: CPU time past the limit.
            used = resource.getrusage(resource.RUSAGE_SELF)
            spent = used.ru_utime + used.ru_stime
            budget = math.ceil(spent + max(0.0, job.deadline - time.monotonic()) + 2)
            resource.setrlimit(resource.RLIMIT_CPU, (budget, resource.RLIM_INFINITY))
            raw = store.query_bounded(job.sparql, job.deadline, job.max_rows)
            reply: tuple = ("ok", raw.body, raw.media_type)
        except RowLimitExceeded as exc:
            reply = ("rows", str(exc), exc.max_rows)
        except QueryLimitExceeded as exc:
            reply = ("limit", str(exc))
        except SyntaxError as exc:
            reply = ("syntax", str(exc))
        except MemoryError:
            reply = ("limit", "the query needed more than the memory limit")
        except StoreError as exc:
            reply = ("store", str(exc))
        except (ValueError, RuntimeError, OSError) as exc:
            reply = ("invalid", str(exc))
        conn.send(reply)


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    _fd, _parent, _path, _memory = sys.argv[1:5]
    _serve(Connection(int(_fd)), int(_parent), Path(_path), int(_memory))
