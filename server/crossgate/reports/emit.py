"""Where each report goes (`--format F [--output FILE]` pairs) and what the exit code is."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from crossgate.reports import FORMATS, github
from crossgate.reports.model import Report

FAIL_ON = ("violations", "warnings")


@dataclass(frozen=True)
class Target:
    format: str
    path: Path | None  # None: standard output


def pairs_from_argv(argv: Sequence[str]) -> list[tuple[str, str | None]]:
    """`--format F [--output FILE]` pairs in the order the command line gives them: each
    --output belongs to the --format before it. (The option parser keeps each option's values
    but not how the two options interleave, so the order is read from the arguments.)"""
    pairs: list[tuple[str, str | None]] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in ("--format", "--output"):
            if not eq:
                i += 1
                value = args[i] if i < len(args) else ""
            if name == "--format":
                pairs.append((value, None))
            elif pairs and pairs[-1][1] is None:
                pairs[-1] = (pairs[-1][0], value)
            else:
                raise ValueError(f"--output {value} follows no --format of its own: write "
                                 "--format F --output FILE for each report")
        elif arg == "--":
            break
        i += 1
    return pairs


def targets(pairs: Sequence[tuple[str, str | None]]) -> list[Target]:
    """The reports to write: text to standard output when no format is given; `-` or no
    --output means standard output, of which there is one. ValueError says what is wrong."""
    pairs = list(pairs) or [("text", None)]
    unknown = [f for f, _ in pairs if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r}; formats are: {', '.join(FORMATS)}")
    out = [Target(f, None if path in (None, "-") else Path(path)) for f, path in pairs]
    to_stdout = [t.format for t in out if t.path is None]
    if len(to_stdout) > 1:
        raise ValueError(f"{' and '.join(to_stdout)} would both go to standard output; give all "
                         "but one of them an --output FILE")
    return out


def write(report: Report, where: Sequence[Target], stdout: TextIO, *, colour: bool = False,
          all_warnings: bool = False, environ: Mapping[str, str] = os.environ) -> None:
    for target in where:
        text = FORMATS[target.format](report, colour=colour and target.path is None,
                                      all_warnings=all_warnings)
        if target.path is None:
            stdout.write(text)
        else:
            target.path.parent.mkdir(parents=True, exist_ok=True)
            target.path.write_text(text, encoding="utf-8")
        if target.format == "github" and environ.get("GITHUB_STEP_SUMMARY"):
            with open(environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
                summary.write(github.summary(report))


def exit_code(decision: Mapping[str, Any], fail_on: str = "violations") -> int:
    """0 only for a literal allow (and, with fail_on=warnings, no warnings); else 1."""
    if decision.get("allow") is not True:
        return 1
    if fail_on == "warnings" and decision.get("warnings"):
        return 1
    return 0


def use_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
