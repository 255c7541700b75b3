"""Gate analytics over ledger records: pass rate over time, rejection reasons, cycle time from a
system's first deny to its next allow, and near misses.

Pure functions of the records, so they are tested without a server.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from crossgate.ledger.records import LedgerRecord

# The warning code the Rego policies give a metric within the near-miss margin of its maximum
# (rego/lib/evidence.rego, "Metrics within the near-miss margin below their maximum").
NEAR_MISS_CODE = "near_threshold"


def slim(record: LedgerRecord) -> LedgerRecord:
    """The record with only what analytics reads (violation codes and items, near-miss warnings,
    evidence metrics), so a long ledger fits in memory."""
    output = record.output
    slim_output = {
        "violations": [{"code": v.get("code"), "item": v.get("item")}
                       for v in output.get("violations") or []],
        "warnings": [{"code": w.get("code"), "item": w.get("item"), "message": w.get("message")}
                     for w in output.get("warnings") or [] if w.get("code") == NEAR_MISS_CODE],
    }
    slim_input = {"evidence": [{"id": e.get("id"), "type": e.get("type"),
                                "metrics": e.get("metrics")}
                               for e in record.input.get("evidence") or [] if e.get("metrics")]}
    return replace(record, input=slim_input, output=slim_output)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def bucket_start(day: date, size: str) -> date:
    return day - timedelta(days=day.weekday()) if size == "week" else day


def pass_rate(records: Iterable[LedgerRecord], size: str = "day") -> list[dict[str, Any]]:
    """[{label, start, allow, deny}] per day or ISO week (Monday), gaps filled with zeros."""
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for record in records:
        day = parse_time(record.recorded_at).date()
        counts[bucket_start(day, size)][record.outcome] += 1
    if not counts:
        return []
    step = timedelta(days=7 if size == "week" else 1)
    out = []
    current, last = min(counts), max(counts)
    while current <= last:
        c = counts.get(current, Counter())
        label = f"week of {current.isoformat()}" if size == "week" else current.isoformat()
        out.append({"label": label, "start": current, "allow": c["allow"], "deny": c["deny"]})
        current += step
    return out


def choose_bucket(records: list[LedgerRecord]) -> str:
    if not records:
        return "day"
    first = parse_time(records[0].recorded_at)
    last = parse_time(records[-1].recorded_at)
    return "week" if (last - first).days > 45 else "day"


def rejection_reasons(records: Iterable[LedgerRecord], top: int = 15
                      ) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]], int]:
    """(violation codes with counts, (code, item) pairs with counts, denied decisions) over the
    denied decisions, most frequent first."""
    codes: Counter[str] = Counter()
    items: Counter[tuple[str, str]] = Counter()
    denied = 0
    for record in records:
        if record.outcome != "deny":
            continue
        denied += 1
        seen_codes: set[str] = set()
        seen_items: set[tuple[str, str]] = set()
        for violation in record.output.get("violations") or []:
            code = str(violation.get("code") or "?")
            seen_codes.add(code)
            seen_items.add((code, str(violation.get("item") or "")))
        codes.update(seen_codes)
        items.update(seen_items)
    by_code = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))
    by_item = sorted(((c, i, n) for (c, i), n in items.items()), key=lambda t: (-t[2], t[0], t[1]))
    return by_code[:top], by_item[:top], denied


@dataclass
class SystemCycle:
    system: str
    cycles: list[timedelta] = field(default_factory=list)
    open_since: datetime | None = None  # first deny of a streak with no allow yet
    decisions: int = 0

    @property
    def median(self) -> timedelta | None:
        return _median(self.cycles)

    @property
    def last(self) -> timedelta | None:
        return self.cycles[-1] if self.cycles else None


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def cycle_times(records: Iterable[LedgerRecord]) -> tuple[list[SystemCycle], timedelta | None]:
    """Per system (records in ledger order): each deny streak runs from its first deny to the
    next allow. Returns the systems (slowest median first) and the median over all cycles."""
    systems: dict[str, SystemCycle] = {}
    for record in records:
        entry = systems.setdefault(record.system_id, SystemCycle(record.system_id))
        entry.decisions += 1
        moment = parse_time(record.recorded_at)
        if record.outcome == "deny":
            if entry.open_since is None:
                entry.open_since = moment
        elif entry.open_since is not None:
            entry.cycles.append(moment - entry.open_since)
            entry.open_since = None
    everything = [c for s in systems.values() for c in s.cycles]
    ordered = sorted(systems.values(), key=lambda s: (
        -(s.median or timedelta(0)).total_seconds(), s.system))
    return ordered, _median(everything)


def near_misses(records: Iterable[LedgerRecord], thresholds: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """Every near-miss warning with the metric value and its maximum, when the recorded input
    and the gate profile's thresholds tell them."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in thresholds:
        by_item[str(t.get("item"))].append(t)
    out = []
    for record in records:
        for warning in record.output.get("warnings") or []:
            if warning.get("code") != NEAR_MISS_CODE:
                continue
            item = str(warning.get("item") or "")
            found = False
            for t in by_item.get(item, []):
                for evidence in record.input.get("evidence") or []:
                    value = (evidence.get("metrics") or {}).get(t.get("metric"))
                    if evidence.get("type") != item or not isinstance(value, int | float):
                        continue
                    maximum = float(t["max"])
                    found = True
                    out.append({"record": record, "item": item, "metric": t.get("metric"),
                                "value": value, "max": maximum, "evidence": evidence.get("id"),
                                "headroom": (maximum - value) / maximum if maximum else None,
                                "message": warning.get("message")})
            if not found:
                out.append({"record": record, "item": item, "metric": None, "value": None,
                            "max": None, "evidence": None, "headroom": None,
                            "message": warning.get("message")})
    out.sort(key=lambda n: n["record"].seq, reverse=True)
    return out


def human_duration(value: timedelta | None) -> str:
    if value is None:
        return "–"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
