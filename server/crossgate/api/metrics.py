"""Prometheus metrics (prometheus_client), one registry per app."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter("crossgate_decisions", "Gate decisions",
                                 ["gate", "outcome"], registry=self.registry)
        self.violations = Counter("crossgate_decision_violations", "Violations in decisions",
                                  ["gate", "code"], registry=self.registry)
        self.latency = Histogram(
            "crossgate_decision_latency_seconds", "Time to decide (evaluation and recording)",
            ["gate"], registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
        self.graph_revision = Gauge("crossgate_graph_revision", "Graph revision number",
                                    registry=self.registry)
        self.policy = Info("crossgate_policy", "Current policy and data revisions",
                           registry=self.registry)

    def observe_decision(self, gate: str, output: dict[str, Any], seconds: float) -> None:
        self.decisions.labels(gate, "allow" if output.get("allow") else "deny").inc()
        for violation in output.get("violations") or []:
            self.violations.labels(gate, str(violation.get("code"))).inc()
        self.latency.labels(gate).observe(seconds)
