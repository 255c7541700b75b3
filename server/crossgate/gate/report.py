"""A decision as a readable verdict for a terminal (the CLI's non-JSON output)."""

from __future__ import annotations

from typing import Any


def render(output: dict[str, Any], candidate: dict[str, Any] | None = None) -> str:
    system = (candidate or {}).get("system", {})
    release = (candidate or {}).get("release", {})
    verdict = "ALLOW" if output.get("allow") else "DENY"
    head = f"{verdict}  {system.get('id', '?')} {release.get('version', '')}".rstrip()
    details = []
    if output.get("tier"):
        details.append(f"tier {output['tier']}")
    if output.get("deployment_strategy"):
        details.append(f"strategy {output['deployment_strategy']}")
    lines = [head + (f"  ({', '.join(details)})" if details else "")]
    for v in output.get("violations") or []:
        lines.append(f"  x {v.get('code')}  {v.get('item') or ''}: {v.get('message')}")
        if v.get("remediation"):
            lines.append(f"      fix: {v['remediation']}")
        if v.get("requirements"):
            lines.append(f"      requirements: {', '.join(v['requirements'])}")
    for w in output.get("warnings") or []:
        lines.append(f"  ! {w.get('code')}  {w.get('item') or ''}: {w.get('message')}")
    for item in output.get("waived") or []:
        label = item if isinstance(item, str) else item.get("item")
        lines.append(f"  ~ waived {label}")
    satisfied = output.get("satisfied") or {}
    if satisfied:
        reached = sorted({r for reqs in satisfied.values() for r in reqs})
        lines.append(f"  evidence satisfies {len(reached)} requirement(s) through the crosswalk")
    recorded = output.get("recorded")
    if recorded:
        lines.append(f"  decision {output.get('decision_id')} recorded as ledger "
                     f"#{recorded['seq']}")
    elif output.get("decision_id"):
        what_if = (f", what-if as of {(candidate or {}).get('as_of')}"
                   if output.get("what_if") else "")
        lines.append(f"  decision {output['decision_id']} (not recorded: dry run{what_if})")
    return "\n".join(lines)
