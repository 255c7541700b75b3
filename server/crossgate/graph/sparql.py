"""Read-only SPARQL with a time limit and a row limit, answered in the format asked for.

Results are produced as SPARQL-results JSON (or N-Triples for graph queries) by the store under a
deadline and a size cap, counted, then converted by pyoxigraph's own serialisers: no hand-written
result format. Federated queries (SERVICE) are refused unless the endpoint is allow-listed, and
over the embedded store a `QueryPool` evaluates the query in a worker that is killed at the limit.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyoxigraph as ox

from crossgate.graph.query_check import QueryRefused, check_depth, check_federation
from crossgate.graph.query_pool import QueryPool
from crossgate.graph.store import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    EmbeddedStore,
    GraphStore,
    QueryLimitExceeded,
    RawResult,
    RowLimitExceeded,
    StoreError,
)

_UPDATE = re.compile(
    r"^\s*((PREFIX|BASE)\s[^\n]*\n\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


class SparqlError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Negotiated:
    results: str  # media type for SELECT/ASK
    graph: str  # media type for CONSTRUCT/DESCRIBE


def negotiate(accept: str | None) -> Negotiated:
    """Pick result formats from an Accept header (first supported wins; JSON/Turtle default)."""
    results, graph = "application/sparql-results+json", "text/turtle"
    found_results = found_graph = False
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("application/json",):
            media = "application/sparql-results+json"
        if media in ("application/xml", "text/xml"):
            media = "application/sparql-results+xml"
        if not found_results and media in RESULT_FORMATS:
            results, found_results = media, True
        if not found_graph and media in GRAPH_FORMATS:
            graph, found_graph = media, True
    return Negotiated(results, graph)


def run_query(
    store: GraphStore, query: str, accept: str | None, timeout_s: float, max_rows: int,
    *, allowed_services: frozenset[str] = frozenset(), pool: QueryPool | None = None,
) -> RawResult:
    """Evaluate a caller's query within the limits; every refusal is a SparqlError."""
    if _UPDATE.match(query):
        raise SparqlError(400, "this endpoint is query-only: SPARQL updates are not accepted")
    try:
        check_depth(query)
        check_federation(query, allowed_services)
    except QueryRefused as exc:
        raise SparqlError(400, str(exc)) from exc
    wanted = negotiate(accept)
    deadline = time.monotonic() + timeout_s
    try:
        if pool is not None and isinstance(store, EmbeddedStore):
            raw = pool.query_bounded(store, query, deadline, max_rows)
        else:
            raw = store.query_bounded(query, deadline, max_rows)
    except RowLimitExceeded as exc:
        raise SparqlError(413, str(exc)) from exc
    except QueryLimitExceeded as exc:
        raise SparqlError(503, f"{exc} ({timeout_s:g} s); narrow the query or add a LIMIT") \
            from exc
    except SyntaxError as exc:
        raise SparqlError(400, f"not a valid SPARQL query: {exc}") from exc
    except StoreError as exc:
        raise SparqlError(502, str(exc)) from exc
    except (ValueError, RuntimeError, OSError) as exc:
        # pyoxigraph raises RuntimeError for evaluation errors (e.g. an unbound SERVICE name)
        raise SparqlError(400, f"query failed: {exc}") from exc
    if raw.media_type == "application/n-triples":
        triples = list(ox.parse(raw.body, format=ox.RdfFormat.N_TRIPLES))
        graph_fmt = GRAPH_FORMATS[wanted.graph]
        return RawResult(ox.serialize(triples, format=graph_fmt) or b"", graph_fmt.media_type)
    if wanted.results == "application/sparql-results+json":
        return RawResult(raw.body, "application/sparql-results+json")
    fmt = RESULT_FORMATS[wanted.results]
    parsed = ox.parse_query_results(raw.body, format=ox.QueryResultsFormat.JSON)
    return RawResult(parsed.serialize(format=fmt) or b"", fmt.media_type)
