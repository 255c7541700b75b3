"""PostgreSQL ledger (psycopg 3): for several API processes sharing one ledger.

Appends are serialised by a transaction-scoped advisory lock taken before reading the head, so
concurrent writers in any number of processes chain one after another. The advisory lock needs
no table privilege, so the application role can be limited to SELECT and INSERT (see
docs/ledger.md); ``seq`` being the primary key is the backstop if a writer ignored the lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from .base import SELECT_COLUMNS, ConnectionPool, SqlReads
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

TABLE = "crossgate_ledger"
# Advisory lock keys (any bigint; these spell "cgledger" and "cgschema" in ASCII).
APPEND_LOCK = int.from_bytes(b"cgledger", "big") & 0x7FFF_FFFF_FFFF_FFFF
SCHEMA_LOCK = int.from_bytes(b"cgschema", "big") & 0x7FFF_FFFF_FFFF_FFFF

# input and output are TEXT holding the exact canonical JSON that was hashed. JSONB would be
# handier to query, but it does not keep the bytes: it reorders object keys (shorter keys
# first), drops duplicate keys, rewrites numbers (1e2 -> 100) and whitespace, so the stored
# form would no longer be the hashed form and a byte-level edit could not be told apart from
# JSONB's own normalisation. recorded_at is TEXT for the same reason (timestamptz would
# re-render it). Query JSON ad hoc with input::jsonb when needed.
SCHEMA: tuple[str, ...] = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq bigint PRIMARY KEY,
        recorded_at text NOT NULL,
        kind text NOT NULL,
        decision_id text NOT NULL UNIQUE,
        system_id text NOT NULL,
        gate text NOT NULL,
        outcome text NOT NULL,
        policy_revision text,
        data_revision text,
        input text NOT NULL,
        output text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_system ON {TABLE} (system_id, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_outcome ON {TABLE} (outcome, seq)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_recorded_at ON {TABLE} (recorded_at)",
    # Append-only by construction; verify() still detects whoever disables this.
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$""",
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TABLE}_no_change'
                       AND tgrelid = '{TABLE}'::regclass) THEN
            CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
                FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TABLE}_no_truncate'
                       AND tgrelid = '{TABLE}'::regclass) THEN
            CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
                FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only();
        END IF;
    END $$""",
)

INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style ``postgresql+psycopg://``; libpq takes postgres(ql)://."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)


class PostgresLedger(SqlReads):
    """Ledger in table ``crossgate_ledger`` of the database at ``url``."""

    _placeholder = "%s"
    _table = TABLE
    _text_holds_nul = False  # PostgreSQL text cannot hold NUL: no record has one

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        pool_size: int = 8,
        timeout_s: float = 30.0,
        connect_timeout_s: int = 10,
    ) -> None:
        self.url = normalise_url(url)
        self._connect_kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in self.url:
            self._connect_kwargs["connect_timeout"] = connect_timeout_s
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self._connect, psycopg.Connection.close, self._reset, pool_size, timeout_s
        )
        try:
            with self._pool.connection() as conn:
                exists = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
                if exists is None or exists[0] is None:
                    if not create:
                        raise LedgerNotFoundError(f"no table {TABLE} in the ledger database")
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                        for statement in SCHEMA:
                            conn.execute(statement)
        except BaseException:
            self._pool.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, **self._connect_kwargs)
        except psycopg.OperationalError as exc:
            raise LedgerError(f"cannot connect to the ledger database: {exc}") from exc

    @staticmethod
    def _reset(conn: psycopg.Connection[Any]) -> bool:
        if conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.rollback()
        return conn.info.transaction_status == TransactionStatus.IDLE

    def append(self, entry: LedgerEntry) -> AppendResult:
        for attempt in range(3):
            with self._pool.connection() as conn:
                try:
                    with conn.transaction():
                        # Serialise writers: nobody else can read the head until we commit.
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
                        last = conn.execute(
                            f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"
                        ).fetchone()
                        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                        record = entry.seal(seq, prev)
                        conn.execute(INSERT, tuple(record.row()))
                    return AppendResult(record.seq, record.hash)
                except pg_errors.UniqueViolation as exc:
                    constraint = exc.diag.constraint_name or ""
                    if "decision_id" in constraint:
                        raise DuplicateDecisionError(
                            f"decision {entry.decision_id!r} is already recorded"
                        ) from exc
                    # A writer that bypassed the lock took our seq: read the head again.
                    if attempt == 2:
                        raise LedgerError(f"append failed: {exc}") from exc
                except psycopg.Error as exc:
                    raise LedgerError(f"append failed: {exc}") from exc
        raise AssertionError("unreachable")

    def iter_rows(self, after: int = 0, upto: int | None = None) -> Iterator[StoredRow]:
        """Stored rows in seq order through a server-side cursor (one snapshot, bounded memory)."""
        with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name="crossgate_ledger_iter") as cursor,
        ):
            cursor.itersize = 500
            cursor.execute(f"SELECT {SELECT_COLUMNS} FROM {TABLE} WHERE seq > %s AND seq <= %s ORDER BY seq",
                           (after, upto if upto is not None else 2**62))
            for row in cursor:
                yield StoredRow(*row)

    def __repr__(self) -> str:
        return f"PostgresLedger({re.sub(r'://[^@/]*@', '://***@', self.url)!r})"
