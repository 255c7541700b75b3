"""Crosswalk reasoning: how far coverage travels along mappings (DESIGN.md, contract).

A mapping passes coverage from its source to its target: `equal` and `superset` pass full
coverage, `subset` and `intersects` pass partial coverage, `related` and `not_related` pass none
and so end a path. Along a path full∘full = full and anything∘partial = partial. Cycles are cut
and paths are bounded (MAX_DEPTH mappings). A target reached by an all-full path is reached
fully; otherwise, if any passing path reaches it, partially. Among equals the shortest path wins.

Measured (measurements.md): per-source breadth-first search is sub-millisecond, while a full
transitive closure of a large crosswalk takes minutes; so we search per source, per revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

FULL = "full"
PARTIAL = "partial"
PASSES = {"equal": FULL, "superset": FULL, "subset": PARTIAL, "intersects": PARTIAL,
          "related": None, "not_related": None}
MAX_DEPTH = 6


def compose(a: str | None, b: str | None) -> str | None:
    """Coverage of two consecutive steps: None (no coverage) absorbs, partial beats full."""
    if a is None or b is None:
        return None
    return FULL if a == FULL and b == FULL else PARTIAL


@dataclass(frozen=True)
class Reach:
    coverage: str  # full | partial
    path: tuple[str, ...]  # source ... target, short ids

    def better_than(self, other: Reach | None) -> bool:
        if other is None:
            return True
        if self.coverage != other.coverage:
            return self.coverage == FULL
        return (len(self.path), self.path) < (len(other.path), other.path)


class Crosswalk:
    def __init__(self, edges: Iterable[tuple[str, str, str]], max_depth: int = MAX_DEPTH) -> None:
        """edges: (source, target, relation). Parallel edges keep the best coverage."""
        self.max_depth = max_depth
        self.passing = nx.DiGraph()
        for source, target, relation in edges:
            if relation not in PASSES:
                raise ValueError(f"unknown relation {relation!r}")
            coverage = PASSES[relation]
            if coverage is None or source == target:
                continue
            current = self.passing.get_edge_data(source, target)
            if current is None or (current["coverage"] == PARTIAL and coverage == FULL):
                self.passing.add_edge(source, target, coverage=coverage)
        self.full = nx.subgraph_view(
            self.passing, filter_edge=lambda u, v: self.passing[u][v]["coverage"] == FULL
        )

    def reach(self, source: str) -> dict[str, Reach]:
        """Every node the source's coverage reaches, with the best coverage and its path."""
        if source not in self.passing:
            return {}
        out: dict[str, Reach] = {}
        full_paths = nx.single_source_shortest_path(self.full, source, cutoff=self.max_depth)
        for target, path in full_paths.items():
            if target != source:
                out[target] = Reach(FULL, tuple(path))
        any_paths = nx.single_source_shortest_path(self.passing, source, cutoff=self.max_depth)
        for target, path in any_paths.items():
            if target != source and target not in out:
                out[target] = Reach(PARTIAL, tuple(path))
        return out

    def reach_from(self, sources: Iterable[str]) -> dict[str, Reach]:
        """The best reach of any of the sources, per target."""
        best: dict[str, Reach] = {}
        for source in sorted(set(sources)):
            for target, reach in self.reach(source).items():
                if reach.better_than(best.get(target)):
                    best[target] = reach
        return best
