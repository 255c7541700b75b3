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


# --- the stages before a fixture's --------------------------------------------------------------
#
# At MEDIUM and above a production decision needs an allowed, recorded decision for the same
# system and version at staging (DESIGN.md, "Release lifecycle"). The fixtures describe the
# production step; `promote` records the steps before it, so a test's production decision is
# judged on what the fixture is about. `promoted_history` is the same thing as the history
# document an engine reads, for tests that evaluate policies without a server.

#: The shipped deployment profile's stages, in order (tests/test_content.py holds it to the graph).
STAGES = ("development", "staging", "production")


def earlier_stages(body: dict[str, Any]) -> list[str]:
    stage = body["release"]["stage"]
    return list(STAGES[:STAGES.index(stage)]) if stage in STAGES else []


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def passing_at(body: dict[str, Any], stage: str, required: dict[str, Any]) -> dict[str, Any]:
    """The fixture's system and release at `stage`, with passing evidence of every item and an
    approval of every role in `required` (a dry run's answer), each by a different person."""
    now = datetime.now(UTC) - timedelta(minutes=1)
    metrics = {"ev:evaluation_results": {"hallucination_rate": 0.01},
               "ev:logging_verified": {"retention_days": 3650}}
    return {
        "gate": body.get("gate", "deployment"), "system": body["system"],
        "release": {**body["release"], "stage": stage},
        "evidence": [{"id": f"promote-{i}", "type": item, "result": "pass",
                      "collected_at": _stamp(now), "metrics": metrics.get(item, {})}
                     for i, item in enumerate(required["items"])],
        "approvals": [{"role": role, "approver": f"{role}.promoter@example.com",
                       "approved_at": _stamp(now)} for role in required["approvals"]],
    }


def promote(client: Any, body: dict[str, Any]) -> list[str]:
    """Record allowed decisions for the candidate's system and version at every stage before
    its own, through the API (`client` posts to a live server with the ci role); returns their
    decision ids. Fails the test if one is not allowed."""
    ids = []
    for stage in earlier_stages(body):
        probe = {**body, "release": {**body["release"], "stage": stage}}
        probe.pop("as_of", None)
        dry = client.post("/v1/gate/decide", params={"dry_run": "true"}, json=probe)
        assert dry.status_code == 200, dry.text
        step = passing_at(body, stage, dry.json()["required"])
        recorded = client.post("/v1/gate/decide", json=step).json()
        assert recorded["allow"], (stage, recorded["violations"])
        ids.append(recorded["decision_id"])
    return ids


def promoted_history(*bodies: dict[str, Any]) -> dict[str, Any]:
    """The history document after `promote` of each body (crossgate.gate.history's shape)."""
    systems: dict[str, Any] = {}
    for seq, body in enumerate(bodies, start=1):
        for stage in earlier_stages(body):
            entry = {"decision_id": f"promoted-{seq}-{stage}", "seq": seq,
                     "at": "2026-11-01T00:00:00Z", "at_ns": 1793491200000000000,
                     "tier": body["system"]["risk_tier"], "change_type": body["release"]["change_type"]}
            mine = systems.setdefault(body["system"]["id"], {"releases": {}, "latest": None})
            mine["releases"].setdefault(body["release"]["version"], {})[stage] = entry
            mine["latest"] = entry
    return {"seq": len(bodies), "systems": systems}
