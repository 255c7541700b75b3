"""The verdict for a CI log: violations with their fix first, warnings folded into counts, the
decision and its ledger record last. A deny for one missing item fits in a screen."""

from __future__ import annotations

import click

from crossgate.reports.model import Report


def render(report: Report, colour: bool = False, all_warnings: bool = False) -> str:
    def paint(text: str, **style: object) -> str:
        return click.style(text, **style) if colour else text  # type: ignore[arg-type]

    decision = report.decision
    details = [f"{report.gate} gate"]
    if decision.get("tier"):
        details.append(f"tier {decision['tier']}")
    if decision.get("deployment_strategy"):
        details.append(f"strategy {decision['deployment_strategy']}")
    verdict = paint(report.verdict, fg="green" if report.allow else "red", bold=True)
    lines = [f"{verdict}  {report.subject}  ({', '.join(details)})"]
    for v in report.violations:
        lines.append(f"  {paint('x', fg='red', bold=True)} {v.get('code')}  {v.get('item') or ''}".rstrip())
        lines.append(f"    {v.get('message')}")
        if v.get("remediation"):
            lines.append(f"    fix: {v['remediation']}")
        if v.get("requirements"):
            lines.append(f"    requirements: {', '.join(v['requirements'])}")
    for w in report.waived:
        until = f" until {w['expires_at']}" if w.get("expires_at") else ""
        lines.append(f"  ~ waived {w.get('item')} (approved by {w.get('approved_by')}{until})")
    mark = paint("!", fg="yellow", bold=True)
    if all_warnings:
        for w in report.warnings:
            lines.append(f"  {mark} {w.get('code')}  {w.get('item') or ''}: {w.get('message')}")
    else:
        groups = report.warning_groups()
        for group in groups:
            lines.append(f"  {mark} {group.summary}")
        if groups:
            n = len(report.warnings)
            lines.append(f"    --warnings to list {'it' if n == 1 else f'all {n}'}")
    lines.extend(f"  {words}" for words in report.lifecycle_words())
    satisfied = decision.get("satisfied") or {}
    if satisfied:
        reached = {r for reqs in satisfied.values() for r in reqs}
        lines.append(f"  evidence satisfies {len(reached)} requirement(s) through the crosswalk")
    lines.append(f"  {report.recorded_words()}")
    return "\n".join(lines) + "\n"
