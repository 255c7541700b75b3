"""Chain verification, shared by every backend and by exported files.

The walk is streaming: it keeps only the previous record's hash and the expected next seq, so
memory stays constant whatever the ledger's size. It stops at the first bad record and names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .records import (
    FIELDS,
    GENESIS_HASH,
    HASHED_FIELDS,
    RecordCheck,
    StoredRow,
    VerifyResult,
    canonical_json,
    compute_hash,
)

Anchor = tuple[int, str]


def _short(digest: object) -> str:
    text = str(digest)
    return text[:12] + "…" if len(text) > 12 else text


def recompute(row: StoredRow) -> tuple[str | None, str | None]:
    """(the hash the row's fields give, None) or (None, why the row cannot be hashed).

    input and output must parse as JSON objects stored in canonical form: anything else means
    the row was edited outside the ledger."""
    fields: dict[str, Any] = dict(zip(HASHED_FIELDS, row[: len(HASHED_FIELDS)], strict=True))
    for name in ("input", "output"):
        text = fields[name]
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            return None, f"stored {name} is not valid JSON (record edited)"
        if not isinstance(value, dict):
            return None, f"stored {name} is not a JSON object (record edited)"
        if canonical_json(value) != text:
            return None, f"stored {name} is not in canonical form (record edited)"
        fields[name] = value
    try:
        return compute_hash(fields), None
    except (TypeError, ValueError) as exc:
        return None, f"record cannot be hashed (record edited): {exc}"


def check_record(row: StoredRow, previous: StoredRow | None,
                 following: StoredRow | None) -> RecordCheck:
    """One record's own hash and its place in the chain, from its neighbours in seq order
    (`previous`: the nearest record before it, `following`: the nearest after it, None when
    there is none). What `replay` checks before it trusts a record; `verify_rows` walks the
    whole chain."""
    seq = row.seq
    recomputed, unreadable = recompute(row)
    if unreadable is not None:
        return RecordCheck(False, False, seq, "hash", unreadable)
    hash_ok = recomputed == row.hash
    chain_problem: str | None = None
    if seq == 1:
        expected_prev: str | None = GENESIS_HASH
    elif previous is None or previous.seq != seq - 1:
        expected_prev = None
        chain_problem = f"seq {seq - 1} is missing before seq {seq} (records deleted)"
    else:
        expected_prev = previous.hash
    if chain_problem is None and row.prev_hash != expected_prev:
        before = "the genesis value (64 zeros)" if seq == 1 else f"the hash of seq {seq - 1}"
        chain_problem = f"broken link: prev_hash of seq {seq} is not {before}"
    if chain_problem is None and following is not None:
        if following.seq != seq + 1:
            chain_problem = f"seq {seq + 1} is missing after seq {seq} (records deleted)"
        elif following.prev_hash != row.hash:
            chain_problem = (f"broken link: seq {seq + 1} does not name the hash of seq {seq} "
                             "as its prev_hash (this record was replaced)")
    if not hash_ok:
        return RecordCheck(
            False, chain_problem is None, seq, "hash",
            f"hash mismatch at seq {seq}: content changed after it was recorded "
            f"(stored {_short(row.hash)}, recomputed {_short(recomputed)})")
    if chain_problem is not None:
        return RecordCheck(True, False, seq, "chain", chain_problem)
    return RecordCheck(True, True, seq)


def verify_rows(rows: Iterable[StoredRow], anchor: Anchor | None = None) -> VerifyResult:
    """Walk ``rows`` (in seq order) and check the chain.

    For each record: seq is the next one (contiguous from 1), input and output parse as JSON
    and are stored in canonical form, the stored hash equals the recomputed hash, and prev_hash
    equals the previous record's hash (64 zeros for seq 1).

    ``anchor`` = (seq, hash) is a head published elsewhere earlier (an export, a ticket, a
    transparency log): the record at that seq must carry that hash and must exist, which is how
    truncation of the newest records is caught.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    head: str | None = None

    def bad(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, count, seq, reason, head)

    for row in rows:
        seq = row.seq
        if not isinstance(seq, int) or isinstance(seq, bool):
            return bad(expected_seq, f"record after seq {expected_seq - 1} has a non-integer seq")
        if seq != expected_seq:
            if seq > expected_seq:
                missing = (
                    f"seq {expected_seq} is missing"
                    if seq == expected_seq + 1
                    else f"seqs {expected_seq}..{seq - 1} are missing"
                )
                return bad(seq, f"{missing} (records deleted): chain does not continue")
            return bad(seq, f"seq {seq} appears again after seq {expected_seq - 1}")
        recomputed, unreadable = recompute(row)
        if unreadable is not None:
            return bad(seq, unreadable)
        hash_ok = recomputed == row.hash
        link_ok = row.prev_hash == prev_hash
        if not hash_ok and not link_ok:
            return bad(
                seq,
                "hash mismatch and broken link: this record does not belong here "
                "(records reordered, renumbered, replaced or edited)",
            )
        if not hash_ok:
            return bad(
                seq,
                f"hash mismatch: content changed after it was recorded "
                f"(stored {_short(row.hash)}, recomputed {_short(recomputed)})",
            )
        if not link_ok:
            before = "the genesis value (64 zeros)" if seq == 1 else f"the hash of seq {seq - 1}"
            return bad(
                seq,
                f"broken link: prev_hash is not {before} "
                "(a record before it was removed, replaced or reordered)",
            )
        if anchor is not None and seq == anchor[0] and row.hash != anchor[1]:
            return bad(seq, f"hash {_short(row.hash)} differs from the anchored {_short(anchor[1])}")
        prev_hash = row.hash
        head = row.hash
        count += 1
        expected_seq += 1

    if anchor is not None and count < anchor[0]:
        return VerifyResult(
            False,
            count,
            count + 1,
            f"ledger truncated: it ends at seq {count}, the anchor names seq {anchor[0]}",
            head,
        )
    return VerifyResult(True, count, None, None, head)


def parse_anchor(text: str) -> Anchor:
    """``SEQ:HASH`` (as printed by ``crossgate ledger head``) -> (seq, hash)."""
    seq_text, sep, digest = text.strip().partition(":")
    if not sep or not seq_text.isdigit() or len(digest) != 64:
        raise ValueError(f"anchor must look like SEQ:SHA256HEX, got {text!r}")
    return int(seq_text), digest.lower()


def rows_from_jsonl(lines: Iterable[str], problems: list[str] | None = None) -> Iterator[StoredRow]:
    """Stored rows from an export (one canonical JSON record per line, blank lines skipped).

    At the first line that is not a ledger record the rows end; the reason is appended to
    ``problems`` when given, else ValueError is raised.
    """
    number = 0
    for line in lines:
        number += 1
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or set(data) != set(FIELDS):
                raise ValueError("not a ledger record (wrong fields)")
            values = [data[name] for name in FIELDS]
            for index in (FIELDS.index("input"), FIELDS.index("output")):
                values[index] = canonical_json(values[index])
        except (TypeError, ValueError) as exc:
            message = f"line {number} is unreadable: {exc}"
            if problems is None:
                raise ValueError(message) from exc
            problems.append(message)
            return
        yield StoredRow(*values)


def verify_export(path: str | Path, anchor: Anchor | None = None) -> VerifyResult:
    """Verify an exported JSONL file without any database."""
    problems: list[str] = []
    with open(path, encoding="utf-8") as handle:
        result = verify_rows(rows_from_jsonl(handle, problems), anchor)
    truncated = (result.reason or "").startswith("ledger truncated")
    if problems and (result.ok or truncated):
        return VerifyResult(False, result.count, result.count + 1, problems[0], result.head_hash)
    return result
