"""Checks on a caller's SPARQL text before any engine sees it: federation and nesting depth.

Federation: a `SERVICE <url>` clause makes the engine (pyoxigraph, or the remote SPARQL server) send a request
to any URL and return its answer: a server-side request forgery. pyoxigraph 0.5.13 offers no hook
to switch its service handler off from Python, so queries are checked before they reach a store.

A tokenizer that follows the SPARQL grammar's terminals blanks out comments, string literals,
IRIs and backslash escapes (a prefixed name may escape a quote or a `#`) and looks for the SERVICE
keyword: the word inside a comment, a string, an IRI, a variable or a prefixed name never counts.
Without an allow-list any SERVICE is refused there (in microseconds, never parsing an attacker's
text in the server). With one, the query is parsed (rdflib's SPARQL parser) to name each endpoint;
a query that cannot be parsed, is longer than MAX_CHECKED, or whose parse finds a different
number of SERVICE clauses than the tokenizer, is refused: fail closed.

Nesting: pyoxigraph 0.5.13 parses and evaluates recursively and crashes the process (SIGSEGV)
on a query nested a few thousand levels deep (about 3,000 `{`, 20 KB of text); a worker would
die, and before workers the server did. Real queries nest a few levels; past MAX_DEPTH the query
is refused.
"""

from __future__ import annotations

import re

_SKIP = re.compile(
    r"""\#[^\n\r]*
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '''(?:[^'\\]|\\.|'(?!''))*'''
      | "(?:[^"\\\n\r]|\\.)*"
      | '(?:[^'\\\n\r]|\\.)*'
      | <[^<>"{}|^`\\\x00-\x20]*>
      | \\.
    """,
    re.VERBOSE | re.DOTALL,
)
# The keyword as a token: not part of a variable (?service), a prefixed name (ex:service,
# service:x) or a longer word.
_KEYWORD = re.compile(r"(?<![\w?$:\-])SERVICE(?![\w:\-])", re.IGNORECASE)


MAX_DEPTH = 100
# rdflib's parser takes about 0.2 ms a character on hostile input, holding the GIL.
MAX_CHECKED = 8 * 1024


class QueryRefused(ValueError):
    pass


class FederationRefused(QueryRefused):
    pass


def _code_only(query: str) -> str:
    """The query with comments, strings and IRIs blanked out (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), query)


def check_depth(query: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse (QueryRefused) brackets nested deeper than `max_depth` outside strings/IRIs."""
    depth = deepest = 0
    for char in _code_only(query):
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > max_depth:
                raise QueryRefused(f"the query nests brackets more than {max_depth} deep")
        elif char in "})]":
            depth = max(0, depth - 1)


def _service_clauses(query: str) -> list[str]:
    """What follows each SERVICE keyword token (for messages), in order."""
    out = []
    for match in _KEYWORD.finditer(_code_only(query)):
        target = _TARGET.match(query, match.end())
        out.append(target.group(1) if target else "")
    return out


_TARGET = re.compile(r"\s*(?:SILENT\s+)?(<[^>\s]*>|[?$]\w+|[^\s{]+)", re.IGNORECASE)


def _parsed_endpoints(query: str) -> list[str | None]:
    """The endpoint IRI of every SERVICE clause (None for `SERVICE ?var`), resolved against the
    query's PREFIX and BASE declarations, by rdflib's parser."""
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    try:
        tree = parseQuery(query)
        prologue = translatePrologue(tree[0], None)
    except (Exception, RecursionError) as exc:
        raise FederationRefused(
            f"the query uses SERVICE and could not be checked ({type(exc).__name__})") from exc
    found: list[CompValue] = []

    def walk(node: object) -> None:
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple) or hasattr(node, "asList"):
            for value in node:  # type: ignore[attr-defined]
                walk(value)

    walk(tree)  # depth is bounded by check_depth
    out: list[str | None] = []
    for pattern in found:
        term = pattern["term"]
        if isinstance(term, Variable):
            out.append(None)
            continue
        try:
            iri = prologue.absolutize(term)
        except Exception as exc:  # an undeclared prefix
            raise FederationRefused(f"the SERVICE endpoint {term} could not be resolved") from exc
        out.append(str(iri) if isinstance(iri, URIRef) else None)
    return out


def check_federation(query: str, allowed: frozenset[str]) -> None:
    """Refuse (FederationRefused) a query that would call an endpoint not in `allowed`."""
    clauses = _service_clauses(query)
    if not clauses:
        return
    refused = "federated queries are refused"
    if not allowed:
        raise FederationRefused(f"{refused}: SERVICE {clauses[0]} (no endpoint is allowed)")
    if len(query) > MAX_CHECKED:
        raise FederationRefused(f"{refused}: a query using SERVICE may be at most "
                                f"{MAX_CHECKED} characters long to be checked")
    endpoints = _parsed_endpoints(query)
    if len(endpoints) != len(clauses):
        raise FederationRefused(f"{refused}: the query uses SERVICE in a way that could not "
                                "be checked")
    for endpoint in endpoints:
        if endpoint is None:
            raise FederationRefused(f"{refused}: SERVICE with a variable endpoint "
                                    "(SERVICE ?var) is never allowed")
        if endpoint not in allowed:
            raise FederationRefused(f"{refused}: SERVICE <{endpoint}> is not an allowed "
                                    "endpoint")
