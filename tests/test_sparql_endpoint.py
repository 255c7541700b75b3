"""/sparql follows the SPARQL 1.1 Protocol; a real SPARQL client library talks to it."""

from __future__ import annotations

import csv
import io

from SPARQLWrapper import CSV, JSON, POST, TSV, XML, SPARQLWrapper

from tests.conftest import LiveServer

COUNT_OBLIGATIONS = """PREFIX cg: <https://w3id.org/crossgate/ns#>
SELECT (COUNT(?o) AS ?n) WHERE { ?o a cg:Obligation }"""


def client(server: LiveServer, role: str = "analyst") -> SPARQLWrapper:
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.addCustomHttpHeader("Authorization", f"Bearer {server.tokens[role]}")
    return sw


def test_sparqlwrapper_get_and_post_in_every_format(server: LiveServer) -> None:
    sw = client(server)
    sw.setQuery(COUNT_OBLIGATIONS)
    sw.setReturnFormat(JSON)
    n = int(sw.query().convert()["results"]["bindings"][0]["n"]["value"])
    assert n >= 65
    sw.setMethod(POST)
    assert int(sw.query().convert()["results"]["bindings"][0]["n"]["value"]) == n
    sw.setReturnFormat(XML)
    xml = sw.query().convert()
    assert xml.getElementsByTagName("literal")[0].firstChild.data == str(n)
    sw.setReturnFormat(CSV)
    rows = list(csv.reader(io.StringIO(sw.query().convert().decode())))
    assert rows == [["n"], [str(n)]]
    sw.setReturnFormat(TSV)
    assert sw.query().convert().decode().splitlines()[1].startswith(f'"{n}"') or \
        sw.query().convert().decode().splitlines()[1].startswith(str(n))


def test_protocol_forms_and_refusals(server: LiveServer) -> None:
    with server.client("analyst") as c:
        direct = c.post("/sparql", content=COUNT_OBLIGATIONS,
                        headers={"Content-Type": "application/sparql-query",
                                 "Accept": "text/csv"})
        assert direct.status_code == 200 and direct.text.startswith("n\r\n")
        construct = c.get("/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE "
                                             "{ ?s ?p ?o } LIMIT 5"},
                          headers={"Accept": "application/n-triples"})
        assert construct.status_code == 200 and construct.text.count("\n") == 5
        update = c.post("/sparql", data={"update": "DROP ALL"})
        assert update.status_code == 400 and "query-only" in update.json()["message"]
        sneaky = c.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"})
        assert sneaky.status_code == 400
        broken = c.get("/sparql", params={"query": "SELEKT nothing"})
        assert broken.status_code == 400 and "SPARQL" in broken.json()["message"]
        too_many = c.get("/sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"})
        assert too_many.status_code == 413 and "LIMIT" in too_many.json()["message"]
        assert c.get("/sparql").status_code == 400
    with server.client("ci") as c:
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 403
    with server.client() as c:
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 401
