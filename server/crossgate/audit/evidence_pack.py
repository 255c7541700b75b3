"""The evidence pack: a zip that proves what was decided for one system, with what evidence,
under which policy — decisions (input and output), an evidence index with the requirements each
piece satisfied, approvals and exceptions, the policy bundle of every revision used, the ledger
verification, and a manifest with the sha256 of every file."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from crossgate.ledger import Ledger, LedgerRecord

PAGE = 500

README = """crossgate evidence pack
=======================
decisions/            one JSON file per decision: the ledger record (sequence number, hashes,
                      revisions) with the normalised input and the decision output
evidence_index.json   every piece of evidence the decisions used: type, result, location, its
                      sha256 as submitted, and the requirements it satisfied (crosswalk included)
approvals_exceptions.json  approvals and exceptions per decision, and the items waived
bundles/              the OPA bundle (policies + compiled data) of every revision used; a decision
                      replays with `opa eval -b BUNDLE -i INPUT data.crossgate.gate.<gate>.decision`
ledger_verification.json   the hash-chain verification of the whole ledger when the pack was made
manifest.json         the sha256 of every other file in this zip
"""


def _records(ledger: Ledger, system: str, since: datetime | None,
             until: datetime | None) -> Iterator[LedgerRecord]:
    """The system's records in sequence order (the ledger lists newest first, by pages)."""
    pages: list[list[LedgerRecord]] = []
    offset = 0
    while True:
        page = ledger.list(system=system, since=since, until=until, limit=PAGE, offset=offset)
        if not page:
            break
        pages.append(page)
        offset += len(page)
    for page in reversed(pages):
        yield from reversed(page)


def _dump(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode()


def write_evidence_pack(
    out: IO[bytes],
    ledger: Ledger,
    bundles_dir: Path,
    system: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Write the zip to `out`; returns the manifest."""
    hashes: dict[str, str] = {}
    evidence_index: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    revisions: set[tuple[str, str]] = set()
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, data: bytes) -> None:
            zf.writestr(name, data)
            hashes[name] = hashlib.sha256(data).hexdigest()

        put("README.txt", README.encode())
        for record in _records(ledger, system, since, until):
            count += 1
            put(f"decisions/{record.seq:08d}-{record.decision_id}.json", _dump(record.to_dict()))
            if record.policy_revision and record.data_revision:
                revisions.add((record.policy_revision, record.data_revision))
            satisfied = record.output.get("satisfied") or {}
            for piece in record.input.get("evidence", []):
                evidence_index.append({
                    "decision_id": record.decision_id, "seq": record.seq,
                    "evidence_id": piece.get("id"), "type": piece.get("type"),
                    "result": piece.get("result"), "collected_at": piece.get("collected_at"),
                    "uri": piece.get("uri"), "sha256": piece.get("sha256"),
                    "requirements_satisfied": sorted(satisfied.get(piece.get("id"), [])),
                })
            approvals.append({
                "decision_id": record.decision_id, "seq": record.seq, "outcome": record.outcome,
                "deployer": record.input.get("release", {}).get("deployer"),
                "approvals": record.input.get("approvals", []),
                "exceptions": record.input.get("exceptions", []),
                "waived": record.output.get("waived", []),
            })
        put("evidence_index.json", _dump(evidence_index))
        put("approvals_exceptions.json", _dump(approvals))
        missing = []
        for policy_revision, data_revision in sorted(revisions):
            path = bundles_dir / f"{policy_revision}-{data_revision}.tar.gz"
            if path.exists():
                put(f"bundles/{path.name}", path.read_bytes())
            else:
                missing.append(path.name)
        verification = ledger.verify()
        put("ledger_verification.json", _dump({
            **verification.as_dict(), "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }))
        manifest = {
            "system": system,
            "from": since.isoformat() if since else None,
            "to": until.isoformat() if until else None,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "decisions": count,
            "evidence": len(evidence_index),
            "bundles": len(revisions) - len(missing),
            "bundles_missing": missing,
            "files": dict(sorted(hashes.items())),
        }
        zf.writestr("manifest.json", _dump(manifest))
    return manifest
