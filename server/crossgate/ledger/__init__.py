"""Append-only, hash-chained decision ledger (SQLite by default, PostgreSQL by URL).

    ledger = open_ledger(settings.ledger_url, settings.data_path)
    seq, digest = ledger.append(LedgerEntry(decision_id=..., system_id=..., gate="deployment",
                                            outcome="deny", policy_revision=..., data_revision=...,
                                            input={...}, output={...}))
    assert ledger.verify().ok

See docs/ledger.md for the record format and the hash rule.
"""

from __future__ import annotations

from pathlib import Path

from .base import Ledger
from .records import (
    FIELDS,
    GENESIS_HASH,
    HASHED_FIELDS,
    AppendResult,
    DuplicateDecisionError,
    LedgerEntry,
    LedgerError,
    LedgerNotFoundError,
    LedgerRecord,
    RecordCheck,
    VerifyResult,
    canonical_json,
    compute_hash,
)
from .sqlite import SqliteLedger
from .verify import parse_anchor, verify_export, verify_rows

SQLITE_FILENAME = "ledger.sqlite"

__all__ = [
    "FIELDS",
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "SQLITE_FILENAME",
    "AppendResult",
    "DuplicateDecisionError",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerNotFoundError",
    "LedgerRecord",
    "RecordCheck",
    "SqliteLedger",
    "VerifyResult",
    "canonical_json",
    "compute_hash",
    "open_ledger",
    "parse_anchor",
    "verify_export",
    "verify_rows",
]


def open_ledger(url: str | None, data_dir: str | Path, *, create: bool = True) -> Ledger:
    """The configured ledger.

    ``url`` None or empty: SQLite at ``data_dir/ledger.sqlite``. ``postgresql://...`` or
    ``postgres://...`` (``postgresql+psycopg://`` too): PostgreSQL. ``sqlite:///path`` names
    another SQLite file. ``create=False`` raises LedgerNotFoundError instead of creating an
    empty ledger (what a verifier wants).
    """
    if not url:
        return SqliteLedger(Path(data_dir) / SQLITE_FILENAME, create=create)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres") or scheme.startswith(("postgresql+", "postgres+")):
        from .postgresql import PostgresLedger  # psycopg is imported only when used

        return PostgresLedger(url, create=create)
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        if not path or path == "/":
            raise LedgerError(f"no file in ledger URL {url!r}")
        # sqlite:///relative/x.sqlite -> relative/x.sqlite; sqlite:////abs/x.sqlite -> /abs/...
        return SqliteLedger(path[1:] if path.startswith("/") else path, create=create)
    raise LedgerError(
        f"unsupported ledger URL {url.split('://', 1)[0]!r}://...: "
        "use postgresql://... or leave it unset for SQLite in the data directory"
    )
