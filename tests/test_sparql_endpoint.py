"""/sparql follows the SPARQL 1.1 Protocol; a real SPARQL client library talks to it."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from SPARQLWrapper import CSV, JSON, POST, TSV, XML, SPARQLWrapper

from tests.conftest import LiveServer, seeded_store, start_server, stop_server
from tests.listener import Listener, recording_endpoint
from tests.procstat import cpu_cores, rss_bytes, tree

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


# -- limits that stop the work, SERVICE, bad input (issue 8) -----------------------------------

ORDER_BY_CARTESIAN = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
                      "ORDER BY ?c ?f ?i LIMIT 1")
COUNT_CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with recording_endpoint() as live:
        yield live


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, listener: Listener) -> Iterator[LiveServer]:
    """A server with a 1 s limit, one worker, a queue of one, and one allow-listed endpoint."""
    live = start_server(tmp_path_factory.mktemp("limited") / "data", env={
        "CROSSGATE_SPARQL_TIMEOUT_S": "1", "CROSSGATE_SPARQL_WORKERS": "1",
        "CROSSGATE_SPARQL_QUEUE": "1",
        "CROSSGATE_SPARQL_SERVICE_ALLOW": f"{listener.url}/allowed, http://example.org/x"})
    yield live
    stop_server(live)


def assert_error_shape(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"code", "message", "errors"} and body["errors"][0]["path"] == "query"
    return body


def settle(pid: int, rss_limit: int, bound_s: float = 15) -> tuple[float, int]:
    """Sample the process tree until it is idle and under `rss_limit`, at most `bound_s`."""
    end = time.monotonic() + bound_s
    while True:
        cores, rss = cpu_cores(pid), rss_bytes(tree(pid))
        if (cores < 0.2 and rss < rss_limit) or time.monotonic() > end:
            return cores, rss


def test_a_timed_out_query_stops_and_frees_its_memory(limited: LiveServer) -> None:
    pid = limited.process.pid
    with limited.client("analyst") as c:
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200
        time.sleep(0.5)
        baseline = rss_bytes(tree(pid))
        for query in (ORDER_BY_CARTESIAN, COUNT_CARTESIAN):
            body = assert_error_shape(c.get("/sparql", params={"query": query}), 503)
            assert "time limit" in body["message"]
        cores, rss = settle(pid, baseline + 64 * 1024 * 1024)
        # Before: each query went on in an abandoned thread (two cores busy, +250 MB/s).
        assert cores < 0.2, f"the server tree still uses {cores:.2f} cores"
        assert rss < baseline + 64 * 1024 * 1024, (rss, baseline)
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200
        assert rss_bytes(tree(pid)) < baseline + 64 * 1024 * 1024  # the new worker too


def test_a_flood_is_refused_with_retry_after(limited: LiveServer) -> None:
    answers: list[httpx.Response] = []

    def send() -> None:
        with limited.client("analyst") as c:
            answers.append(c.get("/sparql", params={"query": COUNT_CARTESIAN}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a.status_code == 503 for a in answers)
    busy = [a for a in answers if "too many" in a.json()["message"]]
    assert busy, [a.json()["message"] for a in answers]  # one runs, one waits, the rest refused
    assert all(int(a.headers["retry-after"]) >= 1 for a in busy)
    with limited.client("analyst") as c:
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200
        workers = [p for p in tree(limited.process.pid) if p != limited.process.pid]
        assert len(workers) == 1  # CROSSGATE_SPARQL_WORKERS=1, however many were refused
        os.kill(workers[0], signal.SIGKILL)  # a worker killed from outside while idle
        time.sleep(0.5)
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200


def test_service_is_refused_and_reaches_nobody(limited: LiveServer, listener: Listener) -> None:
    other = f"{listener.url}/other"
    refused = [
        f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <{other}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{other}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * {{ {{ SELECT ?s WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{other}> {{ ?s ?p ?o }} }} }}",
        f"PREFIX l: <{listener.url}/> SELECT * {{ SERVICE l:other {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}",
        # a prefixed name escaping a quote must not hide what follows it
        f"PREFIX ex: <http://x/> SELECT * {{ BIND(ex:a\\' AS ?z) SERVICE <{other}> "
        "{ ?s ?p ?o } BIND('x' AS ?y) }",
    ]
    with limited.client("analyst") as c:
        for query in refused:
            body = assert_error_shape(c.get("/sparql", params={"query": query}), 400)
            assert "SERVICE" in body["message"], (query, body)
            posted = c.post("/sparql", content=query,
                            headers={"Content-Type": "application/sparql-query"})
            assert posted.status_code == 400
        assert listener.requests == []
        # The word in a comment, a string, an IRI or a variable is not federation.
        harmless = ("# SERVICE <http://x/>\nSELECT ?service WHERE { "
                    "BIND(\"SERVICE <http://x/> { }\" AS ?service) "
                    "OPTIONAL { ?service a <http://example.org/SERVICE> } }")
        answer = c.get("/sparql", params={"query": harmless})
        assert answer.status_code == 200, answer.text
        # An allow-listed endpoint is called, and only that one.
        allowed = f"SELECT ?x WHERE {{ SERVICE <{listener.url}/allowed> {{ ?x ?p ?o }} }}"
        answer = c.get("/sparql", params={"query": allowed})
        assert answer.status_code == 200, answer.text
        assert "from the listener" in answer.text
    assert listener.requests and {path for _m, path in listener.requests} == {"/allowed"}
    listener.requests.clear()


MALFORMED = [
    "SELEKT nothing",
    "SELECT * WHERE {",
    "SELECT * WHERE { ?s ?p ?o } GROUP BY",
    "SELECT * { ?s a ex:Thing }",  # undeclared prefix
    "SELECT * WHERE { BIND(1 AS ?x) BIND(2 AS ?x) }",
    "SELECT ?x WHERE { ?s ?p ?o } ORDER BY",
    "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }",  # was a 500
    "SELECT * WHERE { " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000 + " }",  # crashed pyoxigraph
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "\x00\x01",
    "SELECT * WHERE { ?s ?p \"unterminated }",
    "LOAD <http://example.org/>",
]


def test_bad_queries_are_4xx_with_the_error_shape(limited: LiveServer) -> None:
    with limited.client("analyst") as c:
        for query in MALFORMED:
            for answer in (c.get("/sparql", params={"query": query}),
                           c.post("/sparql", content=query.encode(),
                                  headers={"Content-Type": "application/sparql-query"})):
                assert 400 <= answer.status_code < 500, (query[:60], answer.text[:300])
                assert set(answer.json()) >= {"code", "message", "errors"}
        invalid_utf8 = c.post("/sparql", content=b"SELECT * WHERE { ?s ?p \xff }",
                              headers={"Content-Type": "application/sparql-query"})
        assert 400 <= invalid_utf8.status_code < 500
        assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200


def test_memory_cap_and_no_worker_outlives_the_server(tmp_path: Path) -> None:
    live = start_server(tmp_path / "data", env={"CROSSGATE_SPARQL_TIMEOUT_S": "5",
                                                "CROSSGATE_SPARQL_MEMORY_MB": "200"})
    try:
        with live.client("analyst") as c:
            body = assert_error_shape(c.get("/sparql", params={"query": ORDER_BY_CARTESIAN}), 503)
            # Stopped by the cap in its worker, well before the time limit.
            assert "memory limit (200 MB)" in body["message"], body
            assert c.get("/sparql", params={"query": COUNT_OBLIGATIONS}).status_code == 200
            workers = [p for p in tree(live.process.pid) if p != live.process.pid]
            assert workers, "queries run in worker processes"
            runaway = threading.Thread(target=lambda: _ignore(
                lambda: c.get("/sparql", params={"query": COUNT_CARTESIAN})))
            runaway.start()
            time.sleep(1)
            os.kill(live.process.pid, signal.SIGKILL)  # the server dies mid-query
            live.process.wait()
            runaway.join()
        end = time.monotonic() + 60
        while any(Path(f"/proc/{p}").exists() and _state(p) != "Z" for p in workers):
            assert time.monotonic() < end, "a worker outlived its server"
            time.sleep(0.5)
    finally:
        if live.process.poll() is None:
            stop_server(live)


def _ignore(call) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "Z"
    return stat[stat.rindex(")") + 2]


def test_cli_sparql_has_the_same_limits(tmp_path: Path, listener: Listener) -> None:
    data = tmp_path / "data"
    shutil.copytree(seeded_store(), data)
    env = {**os.environ, "CROSSGATE_SPARQL_TIMEOUT_S": "1"}
    env.pop("CROSSGATE_DATA_DIR", None)

    def cli(query: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crossgate.cli", "sparql", query,
                               "--data-dir", str(data)], capture_output=True, text=True,
                              env=env, timeout=120)

    federated = cli(f"SELECT * WHERE {{ SERVICE <{listener.url}/cli> {{ ?s ?p ?o }} }}")
    assert federated.returncode == 2 and "SERVICE" in federated.stderr
    assert listener.requests == []
    runaway = cli(COUNT_CARTESIAN)  # stopped at its limit, where it used to run on
    assert runaway.returncode == 2 and "time limit" in runaway.stderr
    counted = cli(COUNT_OBLIGATIONS)
    assert counted.returncode == 0 and counted.stdout.startswith("n")


def test_a_worker_sees_each_new_revision(tmp_path: Path) -> None:
    """A read-only open sees the store as of opening: the worker reopens after a commit."""
    from crossgate.graph.query_pool import QueryPool
    from crossgate.graph.sparql import run_query
    from crossgate.graph.store import EmbeddedStore

    store = EmbeddedStore(tmp_path / "graph")
    pool = QueryPool(store.path, workers=1, memory_mb=256)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }"
    try:
        for n in range(1, 4):
            store.commit({f"http://example.org/g{n}": f'<http://example.org/s> '
                          f'<http://example.org/p> "{n}" .\n'}, f"commit {n}")
            raw = run_query(store, count, "text/csv", 10, 100, pool=pool)
            assert raw.body.decode().splitlines()[1] == str(n)
    finally:
        pool.close()
        store.close()
