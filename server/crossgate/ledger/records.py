"""Ledger records: the fields, the canonical JSON and the hash rule.

A record is one gate decision. Its ``hash`` is the sha256 (lowercase hex) of the canonical JSON
of every other field, ``prev_hash`` included, so each record commits to the whole chain before
it. The first record's ``prev_hash`` is 64 zeros. :func:`canonical_json` is the single
serialisation used for writing, verifying and exporting; nothing else may re-encode a record
before hashing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

GENESIS_HASH = "0" * 64
KINDS = frozenset({"decision"})
OUTCOMES = frozenset({"allow", "deny"})

# Every field of a record, in display order. HASHED_FIELDS is what the hash covers.
FIELDS: tuple[str, ...] = (
    "seq",
    "recorded_at",
    "kind",
    "decision_id",
    "system_id",
    "gate",
    "outcome",
    "policy_revision",
    "data_revision",
    "input",
    "output",
    "prev_hash",
    "hash",
)
HASHED_FIELDS: tuple[str, ...] = FIELDS[:-1]


class LedgerError(Exception):
    """Base class of ledger failures (storage unavailable, bad entry, ...)."""


class DuplicateDecisionError(LedgerError, ValueError):
    """A record with this decision_id is already in the ledger; nothing was appended."""


class LedgerNotFoundError(LedgerError):
    """The ledger does not exist and the caller asked not to create it."""


def canonical_json(value: Any) -> str:
    """The one canonical JSON text: sorted keys, no spaces, UTF-8 characters kept as they are.

    NaN and infinities are refused (they are not JSON). Encode the result as UTF-8 to hash it.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def compute_hash(fields: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of ``fields`` minus ``hash`` (if present).

    Every other key takes part, so pass exactly the record's fields (HASHED_FIELDS).
    """
    body = {key: value for key, value in fields.items() if key != "hash"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def normalise_json_object(value: Any, name: str) -> dict[str, Any]:
    """Round-trip a JSON object through the canonical text.

    What is hashed at append time must be exactly what a verifier parses back later: tuples
    become lists, non-string keys become strings (and sort as strings), and values JSON cannot
    hold are refused here rather than producing a record that can never verify.
    """
    if not isinstance(value, Mapping):
        raise LedgerError(f"{name} must be a JSON object, not {type(value).__name__}")
    try:
        text = canonical_json(dict(value))
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"{name} is not JSON-serialisable: {exc}") from exc
    result: dict[str, Any] = json.loads(text)
    return result


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_timestamp(value: datetime | str | None = None) -> str:
    """RFC 3339 UTC with microseconds and ``Z``: ``2026-11-02T10:00:00.000000Z``.

    One fixed width means text order is time order, which ``list(since=..., until=...)`` relies
    on. Naive datetimes (and strings without an offset) are taken as UTC.
    """
    if value is None:
        moment = datetime.now(UTC)
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise LedgerError(f"not an RFC 3339 timestamp: {value!r}") from exc
    else:
        raise LedgerError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What a caller appends; the ledger adds seq, prev_hash and hash (and recorded_at)."""

    decision_id: str
    system_id: str
    gate: str
    outcome: str
    policy_revision: str | None
    data_revision: str | None
    input: Mapping[str, Any]
    output: Mapping[str, Any]
    kind: str = "decision"
    recorded_at: datetime | str | None = None  # None: the time of the append

    def seal(self, seq: int, prev_hash: str, now: datetime | None = None) -> LedgerRecord:
        """Validate and build the record that goes after ``prev_hash`` at position ``seq``."""
        for name in ("decision_id", "system_id", "gate"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise LedgerError(f"{name} must be a non-empty string")
        for name in ("policy_revision", "data_revision"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise LedgerError(f"{name} must be a string or None")
        if self.kind not in KINDS:
            raise LedgerError(f"kind must be one of {sorted(KINDS)}, not {self.kind!r}")
        if self.outcome not in OUTCOMES:
            raise LedgerError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")
        fields: dict[str, Any] = {
            "seq": seq,
            "recorded_at": format_timestamp(self.recorded_at if self.recorded_at is not None else now),
            "kind": self.kind,
            "decision_id": self.decision_id,
            "system_id": self.system_id,
            "gate": self.gate,
            "outcome": self.outcome,
            "policy_revision": self.policy_revision,
            "data_revision": self.data_revision,
            "input": normalise_json_object(self.input, "input"),
            "output": normalise_json_object(self.output, "output"),
            "prev_hash": prev_hash,
        }
        try:
            digest = compute_hash(fields)
        except UnicodeEncodeError as exc:  # lone surrogates cannot be UTF-8
            raise LedgerError(f"entry holds text that is not valid Unicode: {exc}") from exc
        return LedgerRecord(**fields, hash=digest)


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One stored record, as read back (input and output parsed)."""

    seq: int
    recorded_at: str
    kind: str
    decision_id: str
    system_id: str
    gate: str
    outcome: str
    policy_revision: str | None
    data_revision: str | None
    input: dict[str, Any] = field(repr=False)
    output: dict[str, Any] = field(repr=False)
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def hashed_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def to_json(self) -> str:
        """The export line: canonical JSON of every field, hash included."""
        return canonical_json(self.to_dict())

    def row(self) -> StoredRow:
        """The storage form: input and output as their canonical JSON text."""
        return StoredRow(**{**self.to_dict(), "input": canonical_json(self.input),
                            "output": canonical_json(self.output)})


class StoredRow(NamedTuple):
    """A record as the database holds it: the same fields, input and output as JSON text.

    The column order of both backends is this order (COLUMNS).
    """

    seq: int
    recorded_at: str
    kind: str
    decision_id: str
    system_id: str
    gate: str
    outcome: str
    policy_revision: str | None
    data_revision: str | None
    input: str
    output: str
    prev_hash: str
    hash: str

    def to_record(self) -> LedgerRecord:
        try:
            parsed_input = json.loads(self.input)
            parsed_output = json.loads(self.output)
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"record {self.seq} holds unreadable JSON: {exc}") from exc
        return LedgerRecord(**{**self._asdict(), "input": parsed_input,
                               "output": parsed_output})


COLUMNS: tuple[str, ...] = StoredRow._fields
assert COLUMNS == FIELDS


class AppendResult(NamedTuple):
    """Where a record landed: unpacks as ``seq, hash``."""

    seq: int
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain.

    ``count`` is the number of records found intact (all of them when ``ok``; those before
    ``first_bad_seq`` otherwise). ``head_hash`` is the hash of the last intact record (None for
    an empty ledger): publish it somewhere else to detect later truncation.
    """

    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ok, count, first_bad_seq, reason, head_hash."""
        return {
            "ok": self.ok,
            "count": self.count,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "head_hash": self.head_hash,
        }


@dataclass(frozen=True)
class RecordCheck:
    """One record checked on its own: its hash, and its place in the chain (seq continuity and
    prev_hash links to its neighbours). ``failed`` names the first check that failed ("hash" or
    "chain"), ``reason`` says how."""

    hash: bool
    chain: bool
    seq: int
    failed: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.hash and self.chain
