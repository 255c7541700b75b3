"""Crosswalk composition rules (DESIGN.md contract), by example and by property."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate.graph.closure import FULL, PARTIAL, PASSES, Crosswalk, compose

RELATIONS = sorted(PASSES)


def test_composition_table() -> None:
    assert compose(FULL, FULL) == FULL
    assert compose(FULL, PARTIAL) == PARTIAL
    assert compose(PARTIAL, FULL) == PARTIAL
    assert compose(PARTIAL, PARTIAL) == PARTIAL
    assert compose(FULL, None) is None and compose(None, FULL) is None


def test_relations_pass_the_documented_coverage() -> None:
    assert {r: PASSES[r] for r in RELATIONS} == {
        "equal": FULL, "superset": FULL, "subset": PARTIAL, "intersects": PARTIAL,
        "related": None, "not_related": None,
    }


def test_chain_full_then_partial_then_related_stops() -> None:
    cw = Crosswalk([("ev", "c", "superset"), ("c", "o1", "equal"), ("o1", "o2", "intersects"),
                    ("o2", "o3", "superset"), ("o3", "o4", "related")])
    reach = cw.reach("ev")
    assert reach["c"].coverage == FULL and reach["o1"].coverage == FULL
    assert reach["o1"].path == ("ev", "c", "o1")
    assert reach["o2"].coverage == PARTIAL and reach["o3"].coverage == PARTIAL
    assert "o4" not in reach


def test_full_path_beats_shorter_partial_path() -> None:
    cw = Crosswalk([("ev", "o", "subset"), ("ev", "c", "equal"), ("c", "o", "superset")])
    assert cw.reach("ev")["o"].coverage == FULL
    assert cw.reach("ev")["o"].path == ("ev", "c", "o")


def test_cycles_are_cut_and_depth_is_bounded() -> None:
    cw = Crosswalk([("a", "b", "equal"), ("b", "a", "equal"), ("b", "c", "equal")])
    assert set(cw.reach("a")) == {"b", "c"}
    chain = [(f"n{i}", f"n{i + 1}", "equal") for i in range(10)]
    cw = Crosswalk(chain, max_depth=3)
    assert set(cw.reach("n0")) == {"n1", "n2", "n3"}


def test_reach_from_many_sources_keeps_the_best() -> None:
    cw = Crosswalk([("e1", "o", "intersects"), ("e2", "o", "equal")])
    assert cw.reach_from(["e1", "e2"])["o"].coverage == FULL
    assert cw.reach_from(["e1"])["o"].coverage == PARTIAL


nodes = st.sampled_from(["a", "b", "c", "d", "e", "f"])
edges = st.lists(st.tuples(nodes, nodes, st.sampled_from(RELATIONS)), max_size=14)


def brute_force(edge_list: list[tuple[str, str, str]], source: str, depth: int) -> dict[str, str]:
    """Enumerate every simple path up to `depth` edges; compose coverage along each."""
    graph = nx.MultiDiGraph()
    for s, t, r in edge_list:
        if s != t:
            graph.add_edge(s, t, coverage=PASSES[r])
    best: dict[str, str] = {}
    if source not in graph:
        return best
    for target in graph.nodes:
        if target == source:
            continue
        for path in nx.all_simple_edge_paths(graph, source, target, cutoff=depth):
            cov: str | None = FULL
            for u, v, k in path:
                cov = compose(cov, graph[u][v][k]["coverage"])
            if cov == FULL or (cov == PARTIAL and best.get(target) != FULL):
                best[target] = cov
    return best


@settings(max_examples=300, deadline=None)
@given(edges, nodes, st.integers(min_value=1, max_value=4))
def test_reach_matches_enumeration_of_all_paths(edge_list, source, depth) -> None:  # type: ignore[no-untyped-def]
    reach = Crosswalk(edge_list, max_depth=depth).reach(source)
    assert {t: r.coverage for t, r in reach.items()} == brute_force(edge_list, source, depth)
    for target, r in reach.items():
        assert r.path[0] == source and r.path[-1] == target
        assert len(set(r.path)) == len(r.path), "paths never repeat a node"
        assert len(r.path) - 1 <= depth
