"""The Ledger protocol, a tiny connection pool, and query helpers shared by the backends."""

from __future__ import annotations

import builtins
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

from .records import (
    COLUMNS,
    AppendResult,
    LedgerEntry,
    LedgerError,
    LedgerRecord,
    RecordCheck,
    StoredRow,
    VerifyResult,
    format_timestamp,
)
from .verify import Anchor, check_record, verify_rows

TimeBound = datetime | str | None
MAX_LIMIT = 10_000


@runtime_checkable
class Ledger(Protocol):
    """Append-only, hash-chained decision log. Implementations are safe to share between threads."""

    def append(self, entry: LedgerEntry) -> AppendResult:
        """Seal ``entry`` after the current head and store it; returns (seq, hash).

        Raises DuplicateDecisionError if the decision_id is already recorded.
        """
        ...

    def get(self, decision_id: str) -> LedgerRecord | None: ...

    def get_checked(self, decision_id: str) -> tuple[LedgerRecord, RecordCheck] | None:
        """The record and the check of its own hash and its place in the chain (None when
        there is no such decision). A record whose stored JSON cannot be read comes back
        failing the hash check."""
        ...

    def list(
        self,
        system: str | None = None,
        outcome: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[LedgerRecord]:
        """Newest first. ``since`` is inclusive, ``until`` exclusive (on recorded_at)."""
        ...

    def count(
        self,
        system: str | None = None,
        outcome: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
    ) -> int: ...

    def head(self) -> AppendResult | None:
        """The last record's (seq, hash), None when empty. Publish it to anchor the chain."""
        ...

    def iter_all(self) -> Iterator[LedgerRecord]:
        """Every record in seq order, streamed."""
        ...

    def iter_range(self, after: int = 0, upto: int | None = None) -> Iterator[LedgerRecord]:
        """The records with after < seq <= upto (no upper bound when None), in seq order."""
        ...

    def verify(self, anchor: Anchor | None = None) -> VerifyResult: ...

    def close(self) -> None: ...

    def __enter__(self) -> Ledger: ...

    def __exit__(self, *exc: object) -> None: ...


def where_clause(
    placeholder: str,
    system: str | None,
    outcome: str | None,
    since: TimeBound,
    until: TimeBound,
) -> tuple[str, builtins.list[Any]]:
    """SQL ``WHERE ...`` (or "") and its parameters for the list/count filters."""
    clauses: builtins.list[str] = []
    params: builtins.list[Any] = []
    if system is not None:
        clauses.append(f"system_id = {placeholder}")
        params.append(system)
    if outcome is not None:
        clauses.append(f"outcome = {placeholder}")
        params.append(outcome)
    if since is not None:
        clauses.append(f"recorded_at >= {placeholder}")
        params.append(format_timestamp(since))
    if until is not None:
        clauses.append(f"recorded_at < {placeholder}")
        params.append(format_timestamp(until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def check_page(limit: int, offset: int) -> None:
    if not 0 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 0 and {MAX_LIMIT}")
    if offset < 0:
        raise ValueError("offset must not be negative")


SELECT_COLUMNS = ", ".join(COLUMNS)


def _unreadable(row: StoredRow, reason: str) -> LedgerRecord:
    """A record whose stored JSON does not parse, with its input and output left empty."""
    return LedgerRecord(**{**row._asdict(), "input": {}, "output": {"unreadable": reason}})

C = TypeVar("C")


class ConnectionPool(Generic[C]):
    """A bounded, thread-safe pool: at most ``max_size`` connections, each used by one thread at
    a time. ``reset(conn)`` runs when a connection comes back and returns False to discard it.
    """

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        reset: Callable[[C], bool],
        max_size: int = 8,
        timeout: float = 30.0,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self._connect = connect
        self._close = close
        self._reset = reset
        self._max_size = max_size
        self._timeout = timeout
        self._idle: builtins.list[C] = []
        self._size = 0
        self._closed = False
        self._cond = threading.Condition()

    def _acquire(self) -> C:
        deadline = time.monotonic() + self._timeout
        with self._cond:
            while True:
                if self._closed:
                    raise LedgerError("ledger is closed")
                if self._idle:
                    return self._idle.pop()
                if self._size < self._max_size:
                    self._size += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LedgerError(
                        f"no ledger connection free after {self._timeout:.0f} s ({self._max_size} in use)"
                    )
                self._cond.wait(remaining)
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                self._size -= 1
                self._cond.notify()
            raise

    def _release(self, conn: C) -> None:
        try:
            keep = self._reset(conn)
        except Exception:
            keep = False
        with self._cond:
            if keep and not self._closed:
                self._idle.append(conn)
                self._cond.notify()
                return
            self._size -= 1
            self._cond.notify()
        self._safe_close(conn)

    def _safe_close(self, conn: C) -> None:
        with suppress(Exception):
            self._close(conn)

    @contextmanager
    def connection(self) -> Iterator[C]:
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    def close(self) -> None:
        """Close idle connections now; connections in use close when they come back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._size -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            self._safe_close(conn)


class SqlReads(ABC):
    """What both SQL backends share: the read queries (they differ only in the parameter
    placeholder, "?" for SQLite and "%s" for psycopg, and the table name), verification over the
    backend's streamed rows, and closing."""

    _placeholder: str
    _table: str
    _pool: ConnectionPool[Any]
    # False where a text column cannot hold NUL: a filter with one then matches nothing (the
    # database would refuse the query).
    _text_holds_nul = True

    def _unmatchable(self, *values: str | None) -> bool:
        return not self._text_holds_nul and any(v is not None and "\x00" in v for v in values)

    def get(self, decision_id: str) -> LedgerRecord | None:
        if self._unmatchable(decision_id):
            return None
        sql = f"SELECT {SELECT_COLUMNS} FROM {self._table} WHERE decision_id = {self._placeholder}"
        with self._pool.connection() as conn:
            row = conn.execute(sql, (decision_id,)).fetchone()
        return StoredRow(*row).to_record() if row else None

    def get_checked(self, decision_id: str) -> tuple[LedgerRecord, RecordCheck] | None:
        if self._unmatchable(decision_id):
            return None
        p, table = self._placeholder, self._table
        with self._pool.connection() as conn:
            found = conn.execute(f"SELECT {SELECT_COLUMNS} FROM {table} WHERE decision_id = {p}",
                                 (decision_id,)).fetchone()
            if not found:
                return None
            row = StoredRow(*found)
            before = conn.execute(f"SELECT {SELECT_COLUMNS} FROM {table} WHERE seq < {p} "
                                  "ORDER BY seq DESC LIMIT 1", (row.seq,)).fetchone()
            after = conn.execute(f"SELECT {SELECT_COLUMNS} FROM {table} WHERE seq > {p} "
                                 "ORDER BY seq LIMIT 1", (row.seq,)).fetchone()
        check = check_record(row, StoredRow(*before) if before else None,
                             StoredRow(*after) if after else None)
        try:
            record = row.to_record()
        except LedgerError as exc:
            return _unreadable(row, str(exc)), RecordCheck(False, check.chain, row.seq, "hash",
                                                           check.reason or str(exc))
        return record, check

    def list(
        self,
        system: str | None = None,
        outcome: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[LedgerRecord]:
        check_page(limit, offset)
        if self._unmatchable(system, outcome):
            return []
        p = self._placeholder
        where, params = where_clause(p, system, outcome, since, until)
        sql = (f"SELECT {SELECT_COLUMNS} FROM {self._table}{where} "
               f"ORDER BY seq DESC LIMIT {p} OFFSET {p}")
        with self._pool.connection() as conn:
            rows = conn.execute(sql, (*params, limit, offset)).fetchall()
        return [StoredRow(*row).to_record() for row in rows]

    def count(
        self,
        system: str | None = None,
        outcome: str | None = None,
        since: TimeBound = None,
        until: TimeBound = None,
    ) -> int:
        if self._unmatchable(system, outcome):
            return 0
        where, params = where_clause(self._placeholder, system, outcome, since, until)
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT count(*) FROM {self._table}{where}", params).fetchone()
        return int(row[0]) if row else 0

    def head(self) -> AppendResult | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT seq, hash FROM {self._table} ORDER BY seq DESC LIMIT 1").fetchone()
        return AppendResult(row[0], row[1]) if row else None

    @abstractmethod
    def iter_rows(self, after: int = 0, upto: int | None = None) -> Iterator[StoredRow]:
        """Stored rows with after < seq <= upto in seq order, streamed from one read snapshot."""

    def iter_all(self) -> Iterator[LedgerRecord]:
        return self.iter_range()

    def iter_range(self, after: int = 0, upto: int | None = None) -> Iterator[LedgerRecord]:
        for row in self.iter_rows(after, upto):
            yield row.to_record()

    def verify(self, anchor: Anchor | None = None) -> VerifyResult:
        return verify_rows(self.iter_rows(), anchor)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
