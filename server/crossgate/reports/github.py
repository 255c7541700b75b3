"""GitHub Actions: `::error`/`::warning` workflow commands (annotations on the candidate file)
and a Markdown job summary for `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

from crossgate.reports.codes import help_for
from crossgate.reports.model import Report


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: object) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


def render(report: Report, colour: bool = False, **_: object) -> str:
    lines = []
    file = report.candidate_path
    for v in report.violations:
        message = str(v.get("message") or v.get("code"))
        if v.get("remediation"):
            message += f"\nFix: {v['remediation']}"
        lines.append(command("error", message, file=file,
                             line=report.line_of(v.get("item")) if file else None,
                             title=f"{v.get('code')} {v.get('item') or ''}".strip()))
    for group in report.warning_groups():  # folded: one annotation per kind, not forty
        lines.append(command("warning", group.summary, file=file,
                             title=f"crossgate: {help_for(group.code).name}"))
    lines.append(command("notice", f"{report.verdict} {report.subject}: {report.recorded_words()}",
                         title=f"crossgate {report.gate} gate"))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    """The job summary: verdict, a table of violations with their fixes, warning counts."""
    decision = report.decision
    icon = "✅" if report.allow else "❌"
    out = [f"## {icon} crossgate {report.gate} gate: {report.verdict} `{report.subject}`", ""]
    facts = [f"tier **{decision.get('tier')}**"] if decision.get("tier") else []
    if decision.get("deployment_strategy"):
        facts.append(f"strategy **{decision['deployment_strategy']}**")
    if facts:
        out += [", ".join(facts), ""]
    if report.violations:
        out += ["| | violation | item | what to do |", "|---|---|---|---|"]
        for v in report.violations:
            out.append(f"| ❌ | `{v.get('code')}` | `{_cell(v.get('item'))}` | "
                       f"{_cell(v.get('message'))} **Fix:** {_cell(v.get('remediation'))} |")
        out.append("")
    for w in report.waived:
        out.append(f"- waived `{_cell(w.get('item'))}` (approved by {_cell(w.get('approved_by'))}, "
                   f"until {_cell(w.get('expires_at'))})")
    groups = report.warning_groups()
    if groups:
        out += ["", "<details><summary>Warnings (not blocking)</summary>", ""]
        out += [f"- {g.summary}" for g in groups]
        out += ["", "</details>"]
    out += ["", f"_{report.recorded_words()}_", ""]
    return "\n".join(out)


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")
