"""SQLite ledger: one file, WAL, fsync on every commit, safe across threads and processes.

Appends take the database write lock first (``BEGIN IMMEDIATE``), then read the head and insert
in that same transaction, so two writers can never chain onto the same previous record, whether
they are threads of one process or separate processes. Waiting writers queue on
``busy_timeout``. Each thread borrows its own connection from a small pool.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from .base import (
    SELECT_COLUMNS,
    ConnectionPool,
    SqlReads,
)
from .records import (
    COLUMNS,
    GENESIS_HASH,
    AppendResult,
    DuplicateDecisionError,
    LedgerEntry,
    LedgerError,
    LedgerNotFoundError,
    StoredRow,
)

log = logging.getLogger(__name__)

TABLE = "ledger"

SCHEMA: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq INTEGER PRIMARY KEY,
        recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        decision_id TEXT NOT NULL UNIQUE,
        system_id TEXT NOT NULL,
        gate TEXT NOT NULL,
        outcome TEXT NOT NULL,
        policy_revision TEXT,
        data_revision TEXT,
        input TEXT NOT NULL,
        output TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_system ON {TABLE} (system_id, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_outcome ON {TABLE} (outcome, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_recorded_at ON {TABLE} (recorded_at)",
    # Append-only by construction: UPDATE and DELETE through SQLite are refused. Someone with
    # write access to the file can still drop these triggers or edit the bytes; verify() is
    # what detects that.
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
)

INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class SqliteLedger(SqlReads):
    """Ledger in one SQLite file (``data_dir/ledger.sqlite`` by default)."""

    _placeholder = "?"
    _table = TABLE

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        busy_timeout_s: float = 30.0,
        pool_size: int = 8,
    ) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            raise LedgerError("SqliteLedger needs a file (an in-memory database is not shared)")
        if not self.path.exists():
            if not create:
                raise LedgerNotFoundError(f"no ledger at {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._append_lock = threading.Lock()
        self._pool: ConnectionPool[sqlite3.Connection] = ConnectionPool(
            self._connect, sqlite3.Connection.close, self._reset, pool_size, busy_timeout_s
        )
        with self._pool.connection() as conn:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("ledger %s: journal mode is %s, not WAL", self.path, mode)
            if create:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in SCHEMA:
                        conn.execute(statement)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            elif not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
            ).fetchone():
                raise LedgerNotFoundError(f"{self.path} holds no ledger table")

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions, we issue BEGIN/COMMIT ourselves.
        # check_same_thread=False: the pool hands a connection to one thread at a time.
        conn = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @staticmethod
    def _reset(conn: sqlite3.Connection) -> bool:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return True

    def append(self, entry: LedgerEntry) -> AppendResult:
        # Threads of this process queue on a lock (first come, first served) instead of racing
        # for SQLite's write lock, whose busy handler sleeps in growing steps: under 8 threads
        # that race put recorded decisions' p99 near a second (bench/results/gate.md).
        # Other processes still serialise on BEGIN IMMEDIATE.
        with self._append_lock, self._pool.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                record = entry.seal(seq, prev)
                conn.execute(INSERT, tuple(record.row()))
                conn.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                conn.execute("ROLLBACK")
                if "decision_id" in str(exc):
                    raise DuplicateDecisionError(
                        f"decision {entry.decision_id!r} is already recorded"
                    ) from exc
                raise LedgerError(f"append failed: {exc}") from exc
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return AppendResult(record.seq, record.hash)

    def iter_rows(self, after: int = 0, upto: int | None = None) -> Iterator[StoredRow]:
        """Stored rows in seq order, streamed from one read snapshot (one SELECT in WAL)."""
        with self._pool.connection() as conn:
            cursor = conn.execute(
                f"SELECT {SELECT_COLUMNS} FROM {TABLE} WHERE seq > ? AND seq <= ? ORDER BY seq",
                (after, upto if upto is not None else 2**62))
            try:
                while batch := cursor.fetchmany(500):
                    for row in batch:
                        yield StoredRow(*row)
            finally:
                cursor.close()

    def __repr__(self) -> str:
        return f"SqliteLedger({str(self.path)!r})"
