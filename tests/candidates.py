"""The candidate fixtures (tests/fixtures/candidates) as tests send them.

The files' timestamps are written for one day, FIXTURE_DAY (the two Colorado files carry their
own what-if `as_of`, since their point is the date a rule starts). A recorded decision is made
at the server's clock and may not carry `as_of`, so a test that records one sends `current()`:
every timestamp moved by the whole days from the fixture's day to today (UTC), which keeps each
piece's age within a day of what the file says. A test that needs the exact fixture day sends
`what_if()` as a dry run.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

CANDIDATES = Path(__file__).resolve().parent / "fixtures" / "candidates"
FIXTURE_DAY = date(2026, 11, 15)
_STAMPS = ("collected_at", "approved_at", "expires_at")


def names() -> list[str]:
    return sorted(p.stem for p in CANDIDATES.glob("*.json") if p.stem != "expected")


def load(name: str) -> dict[str, Any]:
    """The file as it is."""
    body: dict[str, Any] = json.loads((CANDIDATES / f"{name}.json").read_text())
    return body


def day_of(body: dict[str, Any]) -> date:
    return date.fromisoformat(body["as_of"]) if body.get("as_of") else FIXTURE_DAY


def what_if(name: str) -> dict[str, Any]:
    """The candidate with the what-if as_of its timestamps are written for (dry runs only)."""
    body = load(name)
    body["as_of"] = day_of(body).isoformat()
    return body


def current(name: str, today: date | None = None) -> dict[str, Any]:
    """The candidate moved to today: no as_of, every timestamp shifted by whole days."""
    return shifted(load(name), today)


def shifted(body: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    delta = (today or datetime.now(UTC).date()) - day_of(body)
    out = {k: v for k, v in body.items() if k != "as_of"}
    for key in ("evidence", "approvals", "exceptions"):
        out[key] = [_shift(piece, delta) for piece in body.get(key, [])]
    return out


def _shift(piece: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    out = dict(piece)
    for key in _STAMPS:
        if isinstance(out.get(key), str):
            moment = datetime.fromisoformat(out[key].replace("Z", "+00:00")) + delta
            out[key] = moment.isoformat().replace("+00:00", "Z")
    return out


_WHAT_IF_DIR: Path | None = None


def what_if_dir() -> Path:
    """A directory holding every fixture as `what_if()` gives it, for tests that hand a file
    path to the CLI or a CI script with --dry-run (written once per test session)."""
    global _WHAT_IF_DIR
    if _WHAT_IF_DIR is None:
        _WHAT_IF_DIR = Path(tempfile.mkdtemp(prefix="crossgate-what-if-"))
        for name in names():
            (_WHAT_IF_DIR / f"{name}.json").write_text(json.dumps(what_if(name), indent=2) + "\n")
    return _WHAT_IF_DIR


if __name__ == "__main__":
    # `python -m tests.candidates NAME` prints the fixture dated today, ready to be recorded
    # (the README's CI example uses it).
    import sys

    if len(sys.argv) != 2 or sys.argv[1] not in names():
        sys.exit(f"usage: python -m tests.candidates NAME   (one of: {', '.join(names())})")
    print(json.dumps(current(sys.argv[1]), indent=2))
