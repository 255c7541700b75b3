"""Which remote endpoints a SPARQL query would call (`SERVICE`), so federation can be refused.

A `SERVICE <url>` clause makes the engine (pyoxigraph, or the remote SPARQL server) send a request
to any URL and return its answer: a server-side request forgery. pyoxigraph 0.5.13 offers no hook
to switch its service handler off from Python, so queries are checked before they reach a store.

Two steps: a tokenizer that follows the SPARQL grammar's terminals skips comments, string
literals and IRIs and looks for the SERVICE keyword (most queries stop here, in microseconds, and
the words "SERVICE" inside a comment or a string never count). Only when the keyword is there is
the query parsed (rdflib's SPARQL parser) to name each endpoint; a query that cannot be parsed
then, or whose parse disagrees with the tokens, is refused: fail closed.
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
    """,
    re.VERBOSE | re.DOTALL,
)
# The keyword as a token: not part of a variable (?service), a prefixed name (ex:service,
# service:x) or a longer word.
_KEYWORD = re.compile(r"(?<![\w?$:\-])SERVICE(?![\w:\-])", re.IGNORECASE)


class FederationRefused(ValueError):
    pass


def _code_only(query: str) -> str:
    """The query with comments, strings and IRIs blanked out (same length)."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), query)


def has_service_keyword(query: str) -> bool:
    return _KEYWORD.search(_code_only(query)) is not None


def service_endpoints(query: str) -> list[str | None]:
    """The endpoint IRI of every SERVICE clause (None for `SERVICE ?var`), resolved against the
    query's PREFIX and BASE declarations. Raises FederationRefused if the query names SERVICE
    but cannot be parsed to say where to."""
    if not has_service_keyword(query):
        return []
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

    def walk(node: object, depth: int = 0) -> None:
        if depth > 500:
            raise FederationRefused("the query uses SERVICE and nests too deeply to be checked")
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append(node)
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list | tuple) or hasattr(node, "asList"):
            for value in node:  # type: ignore[attr-defined]
                walk(value, depth + 1)

    walk(tree)
    if not found:
        raise FederationRefused("the query uses SERVICE in a way that could not be checked")
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
    for endpoint in service_endpoints(query):
        if endpoint is None:
            raise FederationRefused("federated queries are refused: SERVICE with a variable "
                                    "endpoint (SERVICE ?var) is never allowed")
        if endpoint not in allowed:
            raise FederationRefused(f"federated queries are refused: SERVICE <{endpoint}> is "
                                    "not an allowed endpoint")
