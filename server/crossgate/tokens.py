"""API tokens: random bearer secrets stored only as their SHA-256, each with one role.

Tokens are 256-bit random values, so a fast hash is the right tool (a password KDF buys nothing
against brute force of a 256-bit secret, and would cost every request milliseconds).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROLES = ("analyst", "legal", "ci", "auditor", "admin")
PREFIX = "cg_"


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: str
    revoked_at: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS tokens (
                 id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
                 hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)"""
        )

    def create(self, role: str, name: str) -> str:
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
        if not name.strip():
            raise TokenError("a token needs a name (who or what uses it)")
        token = PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)",
                (name.strip(), role, _hash(token), datetime.now(UTC).isoformat(timespec="seconds")),
            )
        return token

    def lookup(self, token: str) -> TokenInfo | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, role, created_at, revoked_at FROM tokens "
                "WHERE hash = ? AND revoked_at IS NULL",
                (_hash(token),),
            ).fetchone()
        return TokenInfo(*row) if row else None

    def list(self) -> list[TokenInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY id"
            ).fetchall()
        return [TokenInfo(*row) for row in rows]

    def revoke(self, token_id: int) -> TokenInfo:
        with self._lock:
            cur = self._db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(timespec="seconds"), token_id),
            )
            if cur.rowcount == 0:
                raise TokenError(f"no active token with id {token_id}")
            row = self._db.execute(
                "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE id = ?",
                (token_id,),
            ).fetchone()
        return TokenInfo(*row)

    def is_empty(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 0

    def close(self) -> None:
        self._db.close()
