"""The browser dashboard (/ui): sign-in, role rules and CSRF over plain HTTP; the pages in a real
headless chromium against a real server; the analytics and chart arithmetic as units.

Browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright and write a
screenshot of every page to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossgate.ledger.records import LedgerRecord
from crossgate.web import analytics, charts
from tests.conftest import ARTIFACTS, REPO, LiveServer

CANDIDATES = REPO / "tests" / "fixtures" / "candidates"
SHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

GRAPH_PAGES = ["/ui/overview", "/ui/gaps", "/ui/requirements/euaia:art-14", "/ui/matrix",
               "/ui/requirements/ev:human_oversight_tested"]
LEDGER_PAGES = ["/ui/decisions", "/ui/analytics"]
IMPORT_PAGES = ["/ui/imports"]
# role -> which page groups it may open (admin may open everything).
MAY = {
    "analyst": {"graph", "ledger"},
    "legal": {"graph", "imports"},
    "auditor": {"graph", "ledger", "imports"},
    "admin": {"graph", "ledger", "imports"},
    "ci": set(),
}


def candidate(name: str) -> dict[str, Any]:
    return json.loads((CANDIDATES / f"{name}.json").read_text())  # type: ignore[no-any-return]


@contextmanager
def ui_client(server: LiveServer, role: str | None = None) -> Iterator[httpx.Client]:
    """A client holding the dashboard session cookie of `role` (no redirects followed)."""
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        if role is not None:
            response = client.post("/ui/login", data={"token": server.tokens[role], "next": "/"})
            assert response.status_code == 303, response.text
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


# -- plain HTTP: sign-in, roles, CSRF ----------------------------------------------------------


def test_entry_redirects(server: LiveServer) -> None:
    with ui_client(server) as anon:
        root = anon.get("/")
        assert root.status_code == 303 and root.headers["location"] == "/ui/overview"
        page = anon.get("/ui/gaps?framework=fw:eu-ai-act")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/ui/login?next=")
        assert "%2Fui%2Fgaps" in page.headers["location"]
        form = anon.get("/ui/login")
        assert form.status_code == 200
        assert '<label for="token">' in form.text and 'id="token"' in form.text


def test_login_sets_a_strict_httponly_cookie(server: LiveServer) -> None:
    with ui_client(server) as client:
        response = client.post("/ui/login", data={"token": server.tokens["analyst"],
                                                  "next": "/ui/gaps"})
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/gaps"
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("crossgate_session=")
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # plain http here; Secure only over https
        # an open redirect is not possible through `next`
        evil = client.post("/ui/login", data={"token": server.tokens["analyst"],
                                              "next": "//evil.example/ui/x"})
        assert evil.headers["location"] == "/"


def test_login_refuses_unknown_tokens(server: LiveServer) -> None:
    with ui_client(server) as client:
        response = client.post("/ui/login", data={"token": "cg_not-a-token"})
        assert response.status_code == 401
        assert "set-cookie" not in response.headers
        assert "unknown or revoked" in response.text
        client.cookies.set("crossgate_session", "cg_forged")
        assert client.get("/ui/overview").status_code == 303


@pytest.mark.parametrize("role", sorted(MAY))
def test_role_rules(server: LiveServer, role: str) -> None:
    with ui_client(server, role) as client:
        for group, pages in (("graph", GRAPH_PAGES), ("ledger", LEDGER_PAGES),
                             ("imports", IMPORT_PAGES)):
            for path in pages:
                response = client.get(path)
                expected = 200 if role == "admin" or group in MAY[role] else 403
                assert response.status_code == expected, (role, path, response.text[:300])
                if expected == 403:
                    assert "This page is for:" in response.text
                    assert "admin" in response.text
                else:
                    assert response.headers["content-type"].startswith("text/html")
                    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_ci_is_refused_and_told_who_may(server: LiveServer) -> None:
    with ui_client(server, "ci") as client:
        response = client.get("/ui/overview")
    assert response.status_code == 403
    assert "signed in as &#39;ci&#39;" in response.text
    assert "admin, analyst, auditor, legal" in response.text


def test_posts_need_the_csrf_token(server: LiveServer) -> None:
    with ui_client(server, "legal") as client:
        html = client.get("/ui/imports").text
        token = csrf_of(html)
        # no token, a wrong token, another origin: refused
        assert client.post("/ui/imports/nope/revert").status_code == 403
        assert client.post("/ui/imports/nope/revert", data={"csrf": "0" * 64}).status_code == 403
        assert client.post("/ui/imports/nope/revert", data={"csrf": token},
                           headers={"Origin": "https://evil.example"}).status_code == 403
        # the right token reaches the handler (which knows no such import)
        missing = client.post("/ui/imports/nope/revert", data={"csrf": token})
        assert missing.status_code == 404 and "nope" in missing.text
        # sign-out is a POST with the token too
        assert client.post("/ui/logout").status_code == 403
        out = client.post("/ui/logout", data={"csrf": token})
        assert out.status_code == 303 and out.headers["location"] == "/ui/login"
        assert 'crossgate_session=""' in out.headers["set-cookie"] or \
            "max-age=0" in out.headers["set-cookie"].lower()
    with ui_client(server, "auditor") as auditor:  # may see imports, may not revert
        token = csrf_of(auditor.get("/ui/imports").text)
        refused = auditor.post("/ui/imports/nope/revert", data={"csrf": token})
        assert refused.status_code == 403 and "legal" in refused.text
    with ui_client(server, "analyst") as analyst:  # a token of one session is no use in another
        assert analyst.post("/ui/logout", data={"csrf": token}).status_code == 403


def test_output_is_escaped_and_static_files_are_confined(server: LiveServer) -> None:
    with ui_client(server, "analyst") as client:
        response = client.get("/ui/requirements/<script>alert(1)</script>")
        assert response.status_code == 404
        assert "<script>alert(1)" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        css = client.get("/ui/static/app.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        for bad in ("/ui/static/..%2Fcommon.py", "/ui/static/common.py", "/ui/static/.x.css"):
            assert client.get(bad).status_code == 404, bad


def test_gaps_filters_change_the_rows(server: LiveServer) -> None:
    with ui_client(server, "analyst") as client:
        everything = client.get("/ui/gaps").text
        eu = client.get("/ui/gaps", params={"framework": "fw:eu-ai-act"}).text
        nyc = client.get("/ui/gaps", params=[("jurisdiction", "US-NYC"), ("role", "deployer"),
                                             ("use_case", "employment")]).text
    rows = [len(re.findall(r'<th scope="row"><a href="/ui/requirements/', html))
            for html in (everything, eu, nyc)]
    assert rows[0] > rows[1] > 0 and rows[0] > rows[2]
    assert "us-nyc:" not in eu.split('id="gaps-table"')[1]


@pytest.mark.parametrize(("url", "param", "allowed"), [
    ("/ui/gaps?role=povider", "role", "provider"),
    ("/ui/gaps?risk_class=high+riks", "risk_class", "high-risk"),
    ("/ui/overview?tier=HUGE", "tier", "CRITICAL"),
    ("/ui/overview?jurisdiction=Europe", "jurisdiction", "US-CO"),
    ("/ui/gaps?status=unsatisfeid", "status", "unsatisfied"),
    ("/ui/gaps?framework=fw:nope", "framework", "fw:eu-ai-act"),
    ("/ui/gaps?sources=everything", "sources", "library"),
    ("/ui/overview?as_of=2027-13-01", "as_of", "YYYY-MM-DD"),
    ("/ui/matrix?source=fw:nope", "source", "fw:eu-ai-act"),
    ("/ui/decisions?outcome=alow", "outcome", "allow"),
    ("/ui/analytics?bucket=month", "bucket", "week"),
    ("/ui/analytics?gate=deploymnet", "gate", "deployment"),
])
def test_unknown_dashboard_filter_is_a_422_page_listing_allowed_values(
        server: LiveServer, url: str, param: str, allowed: str) -> None:
    with ui_client(server, "admin") as client:
        response = client.get(url)
    assert response.status_code == 422, (url, response.status_code)
    assert f"{param}:" in response.text and allowed in response.text


def test_dashboard_filters_accept_the_importers_spellings(server: LiveServer) -> None:
    with ui_client(server, "admin") as client:
        for url in ("/ui/gaps?role=Provider&risk_class=high+risk&tier=high",
                    "/ui/overview?jurisdiction=eu&risk_class=none"):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(("page", "query", "param"), [
    ("decisions", "since=0001-01-01", "since"),
    ("decisions", "until=9999-12-31", "until"),
    ("decisions", "since=2026-02-30", "since"),
    ("decisions", f"page={2**63}", "page"),
    ("decisions", "page=99999999999999999999999", "page"),
    ("decisions", "page=-1", "page"),
    ("analytics", "until=9999-12-31", "until"),
    ("analytics", "since=0001-01-01", "since"),
])
def test_dashboard_ledger_pages_refuse_dates_and_pages_out_of_range(
        server: LiveServer, page: str, query: str, param: str) -> None:
    """Year 1 and 9999 and pages past a 64-bit offset were 500s: now a 422 page naming the
    parameter."""
    with ui_client(server, "auditor") as client:
        response = client.get(f"/ui/{page}?{query}")
        assert response.status_code == 422, (query, response.status_code)
        assert f"{param}:" in response.text
        ok = client.get(f"/ui/{page}?since=2026-01-01&until=2261-12-31&page=1")
        assert ok.status_code == 200


def test_matrix_links_the_xlsx_export(server: LiveServer) -> None:
    with ui_client(server, "auditor") as client:
        html = client.get("/ui/matrix", params={"source": "fw:crossgate-controls",
                                                "target": "fw:eu-ai-act"}).text
    assert ('href="/v1/exports/crosswalk?source=fw%3Acrossgate-controls&amp;'
            'target=fw%3Aeu-ai-act&amp;format=xlsx"') in html
    assert "⊇" in html and "superset" in html


def test_import_revert_from_the_dashboard(tmp_path: Path) -> None:
    """A committed import appears with who made it and its diff; legal reverts it."""
    from fastapi.testclient import TestClient

    from crossgate.api.app import create_app
    from crossgate.config import Settings
    from crossgate.runtime import Runtime
    from crossgate.sheets.commit import commit_plan, plan_against_store
    from crossgate.tokens import TokenStore

    settings = Settings(data_dir=tmp_path / "data")
    tokens = TokenStore(settings.tokens_path)
    legal, auditor = tokens.create("legal", "maria"), tokens.create("auditor", "audit")
    tokens.close()
    runtime = Runtime(settings)
    sheet = (b"Source,Targets,Relation,Strength,Rationale,Rationale type\n"
             b"ctrl:CHM-002,euaia:art-14,related,2,Gating touches oversight only indirectly.,"
             b"semantic\n")
    plan, base = plan_against_store(runtime.store, sheet, "oversight.csv", who="maria@example.com")
    result = commit_plan(runtime.store, plan, base,
                         record_dir=settings.data_path / "imports")
    with TestClient(create_app(settings, runtime)) as client:
        client.post("/ui/login", data={"token": auditor})
        listing = client.get("/ui/imports").text
        assert result.import_id in listing and "maria@example.com" in listing
        assert "oversight.csv" in listing and ">Revert<" not in listing  # auditors only look
        detail = client.get(f"/ui/imports/{result.import_id}").text
        assert "Gating touches oversight only indirectly." in detail
        client.post("/ui/login", data={"token": legal})
        token = csrf_of(client.get("/ui/imports").text)
        done = client.post(f"/ui/imports/{result.import_id}/revert", data={"csrf": token},
                           follow_redirects=False)
        assert done.status_code == 303, done.text
        head = runtime.store.head()
        assert head.message == f"revert import {result.import_id}"
        assert head.author == "maria (legal, dashboard)"
        after = client.get(done.headers["location"]).text
        assert f"reverted in revision {head.number}" in after
        again = client.post(f"/ui/imports/{result.import_id}/revert", data={"csrf": token})
        assert again.status_code == 409 and "already reverted" in again.text


# -- units: analytics and chart geometry -------------------------------------------------------


def record(seq: int, system: str, outcome: str, at: str, violations: list[dict[str, Any]]
           | None = None, warnings: list[dict[str, Any]] | None = None,
           evidence: list[dict[str, Any]] | None = None) -> LedgerRecord:
    return LedgerRecord(seq, at, "decision", f"d{seq}", system, "deployment", outcome, None, None,
                        {"evidence": evidence or []},
                        {"violations": violations or [], "warnings": warnings or []},
                        "0" * 64, "1" * 64)


def test_cycle_time_runs_from_first_deny_to_next_allow() -> None:
    records = [
        record(1, "a", "deny", "2026-11-01T10:00:00.000000Z"),
        record(2, "a", "deny", "2026-11-01T11:00:00.000000Z"),
        record(3, "a", "allow", "2026-11-01T14:00:00.000000Z"),  # 4 h
        record(4, "b", "allow", "2026-11-02T09:00:00.000000Z"),
        record(5, "b", "deny", "2026-11-02T10:00:00.000000Z"),
        record(6, "b", "allow", "2026-11-02T11:00:00.000000Z"),  # 1 h
        record(7, "a", "deny", "2026-11-03T10:00:00.000000Z"),  # still open
    ]
    systems, median = analytics.cycle_times(records)
    by_name = {s.system: s for s in systems}
    assert by_name["a"].cycles == [timedelta(hours=4)]
    assert by_name["a"].open_since is not None and by_name["b"].open_since is None
    assert by_name["b"].cycles == [timedelta(hours=1)]
    assert median == timedelta(hours=2, minutes=30)
    assert analytics.human_duration(median) == "2 h 30 min"


def test_pass_rate_buckets_and_reasons() -> None:
    miss = {"code": "missing_evidence", "item": "ev:red_team_exercise"}
    records = [
        record(1, "a", "deny", "2026-11-02T10:00:00.000000Z", [miss, {**miss, "item": "ev:x"}]),
        record(2, "a", "allow", "2026-11-02T12:00:00.000000Z"),
        record(3, "b", "deny", "2026-11-04T10:00:00.000000Z", [miss]),
    ]
    days = analytics.pass_rate(records, "day")
    assert [(d["label"], d["allow"], d["deny"]) for d in days] == [
        ("2026-11-02", 1, 1), ("2026-11-03", 0, 0), ("2026-11-04", 0, 1)]
    weeks = analytics.pass_rate(records, "week")
    assert len(weeks) == 1 and weeks[0]["label"] == "week of 2026-11-02"
    codes, items, denied = analytics.rejection_reasons(records)
    assert denied == 2 and codes == [("missing_evidence", 2)]
    assert items[0] == ("missing_evidence", "ev:red_team_exercise", 2)
    chart = charts.pass_rate_chart(days)
    assert len(chart.bars) == 3 and len(chart.points) == 2  # no rate on an empty day
    assert chart.max_count == 4 and [t["count"] for t in chart.y_ticks] == [0, 1, 2, 3, 4]


def test_near_misses_read_the_metric_and_threshold() -> None:
    warning = {"code": analytics.NEAR_MISS_CODE, "item": "ev:evaluation_results"}
    evidence = [{"id": "ev-8", "type": "ev:evaluation_results",
                 "metrics": {"hallucination_rate": 0.048}}]
    records = [record(1, "a", "allow", "2026-11-02T10:00:00.000000Z", warnings=[warning],
                      evidence=evidence),
               record(2, "a", "allow", "2026-11-02T11:00:00.000000Z",
                      warnings=[{"code": "upcoming_obligation", "item": "euaia:art-14"}])]
    near = analytics.near_misses(records, [{"item": "ev:evaluation_results",
                                            "metric": "hallucination_rate", "max": 0.05}])
    assert len(near) == 1
    assert near[0]["value"] == 0.048 and near[0]["max"] == 0.05
    assert round(near[0]["headroom"], 3) == 0.04


def test_ledger_verification_is_reused_until_the_head_moves(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from crossgate.ledger import open_ledger
    from crossgate.ledger.records import LedgerEntry
    from crossgate.web import ledger_pages

    ledger = open_ledger(None, tmp_path)
    try:
        def add(i: int) -> None:
            ledger.append(LedgerEntry(f"d{i}", "s", "deployment", "allow", None, None, {}, {}))

        add(1)
        first = ledger_pages.verification(ledger)
        assert first["ran"] and first["result"].ok and first["result"].count == 1
        again = ledger_pages.verification(ledger)
        assert not again["ran"] and again["stale_by"] == 0
        monkeypatch.setattr(ledger_pages, "AUTO_VERIFY_MAX", 1)
        add(2)
        stale = ledger_pages.verification(ledger)
        assert not stale["ran"] and stale["stale_by"] == 1
        forced = ledger_pages.verification(ledger, force=True)
        assert forced["ran"] and forced["result"].count == 2
    finally:
        ledger.close()


def test_neighbourhood_layout_puts_sources_left_and_targets_right() -> None:
    incoming = [{"id": f"ctrl:X-{i}", "title": "t", "relation": "subset", "strength": 5,
                 "href": "/x"} for i in range(3)]
    outgoing = [{"id": "us-co:1", "title": "t", "relation": "intersects", "strength": None,
                 "href": None}]
    drawing = charts.neighbourhood({"id": "euaia:art-14", "title": "Human oversight"},
                                   incoming, outgoing)
    center = drawing["center"]
    left = [n for n in drawing["nodes"] if n["id"].startswith("ctrl:")]
    right = [n for n in drawing["nodes"] if n["id"].startswith("us-co:")]
    assert all(n["x"] + n["w"] < center["x"] for n in left)
    assert all(n["x"] > center["x"] + center["w"] for n in right)
    assert len(drawing["edges"]) == 4
    ys = [n["y"] for n in left]
    assert ys == sorted(ys) and len(set(ys)) == 3  # stacked, not overlapping
    many = charts.neighbourhood({"id": "c", "title": ""}, incoming * 20, [])
    assert any(n["label"].startswith("… and") for n in many["nodes"])


def test_stacked_bar_and_heat_levels() -> None:
    segments = charts.stacked_bar({"satisfied": 1, "partial": 1, "unsatisfied": 2,
                                   "not_applicable": 0}, width=100)
    assert [(s["status"], s["w"]) for s in segments] == [
        ("satisfied", 25.0), ("partial", 25.0), ("unsatisfied", 50.0)]
    assert charts.heat_level(0, 0, 0) is None
    assert charts.heat_level(10, 0, 10) == 5 and charts.heat_level(0, 0, 10) == 0
    assert charts.heat_level(4, 2, 10) == 2  # (4 + 1) / 10 = 50 %


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(browser: Any, server: LiveServer, role: str, width: int = 1280,
            height: int = 900) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(server.url + "/ui/login")
    page.fill("#token", server.tokens[role])
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/overview$"))
    return page


def shot(page: Any, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def no_horizontal_overflow(page: Any) -> bool:
    return bool(page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.browser
def test_browser_graph_pages(browser: Any, server: LiveServer) -> None:
    started = time.monotonic()
    page = sign_in(browser, server, "analyst")
    # overview: the coverage table with one stacked bar per framework
    assert page.locator("h1").inner_text() == "Coverage overview"
    assert page.locator("svg.stacked").count() >= 2
    assert page.locator("svg.stacked rect.fill-satisfied").count() > 0
    # keyboard: Tab from the top reaches the skip link first, then the first form control,
    # which has a visible label
    page.goto(server.url + "/ui/overview")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el.closest('main') || !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName))
                return null;
            const label = el.labels && el.labels[0];
            const box = label ? label.getBoundingClientRect() : null;
            return {id: el.id, label: label ? label.innerText : null,
                    visible: !!box && box.width > 0 && box.height > 0,
                    outline: getComputedStyle(el).outlineStyle};
        }""")
        if info:
            break
    assert info, "Tab never reached a form control in main"
    assert info["label"] and info["visible"], info
    assert info["outline"] != "none", "the focused control shows no focus outline"
    # a preset profile reproduces through the URL
    page.click("text=New York City hiring tool, deployer, tier MEDIUM")
    assert "jurisdiction=US-NYC" in page.url
    assert page.locator("td.num").first.is_visible()
    page.click("text=EU and Colorado high-risk provider and deployer, tier HIGH")
    assert page.locator("svg.stacked rect.fill-partial").count() > 0
    shot(page, "overview")

    # gaps: the GET form changes the URL and the rows
    page.goto(server.url + "/ui/gaps")
    all_rows = page.locator("#gaps-table tbody tr").count()
    page.select_option("#framework", "fw:eu-ai-act")
    page.check("input[name=jurisdiction][value='US-NYC']")
    page.click("form.profile-form button[type=submit]")
    page.wait_for_url(re.compile(r".*framework=fw%3Aeu-ai-act.*jurisdiction=US-NYC.*"))
    filtered = page.locator("#gaps-table tbody tr").count()
    assert 0 < filtered < all_rows, (filtered, all_rows)
    page.goto(server.url + "/ui/gaps?framework=fw:eu-ai-act")
    shot(page, "gaps")

    # requirement: facts, mappings tables, the neighbourhood drawing
    page.goto(server.url + "/ui/requirements/euaia:art-14")
    assert "Human oversight" in page.locator("h1").inner_text()
    assert page.locator("svg.neighbourhood").count() == 1
    assert page.locator("svg.neighbourhood path.edge").count() >= 2
    assert page.locator("table.mappings").count() == 2
    assert page.locator("table.mappings").first.locator("tbody tr").count() >= 1
    assert "ev:human_oversight_tested" in page.locator("#paths-h + p + div").inner_text()
    shot(page, "requirement")
    page.click("svg.neighbourhood a >> nth=0")
    page.wait_for_url(re.compile(r".*/ui/requirements/.+"))

    # matrix
    page.goto(server.url + "/ui/matrix?source=fw:crossgate-controls&target=fw:eu-ai-act")
    assert page.locator("table.matrix td.cell.rel-superset").count() > 0
    assert page.locator("a[href^='/v1/exports/crosswalk?']").count() == 1
    shot(page, "matrix")

    # a narrow screen: no page-wide horizontal scrolling, tables scroll in their wrapper
    narrow = sign_in(browser, server, "analyst", width=390, height=844)
    assert no_horizontal_overflow(narrow)
    narrow.click("text=EU and Colorado high-risk provider and deployer, tier HIGH")
    assert no_horizontal_overflow(narrow)
    shot(narrow, "overview-390")
    narrow.goto(server.url + "/ui/gaps")
    assert no_horizontal_overflow(narrow)
    narrow.context.close()
    page.context.close()
    assert time.monotonic() - started < 60


@pytest.mark.browser
def test_browser_decisions_and_analytics(browser: Any, server: LiveServer) -> None:
    with server.client("ci") as ci:
        made = []
        for name in ("high_missing_red_team", "high_hallucination_near_limit", "high_pass"):
            response = ci.post("/v1/gate/decide", json=candidate(name))
            if response.status_code != 200 or not response.json().get("decision_id"):
                pytest.skip(f"the gate endpoint did not record a decision "
                            f"({response.status_code}): {response.text[:200]}")
            made.append(response.json())
    denied = made[0]
    assert denied["allow"] is False
    page = sign_in(browser, server, "auditor")
    page.goto(server.url + "/ui/decisions?system=support-summarizer")
    assert "intact" in page.locator("#verify-h").inner_text()
    assert page.locator("#decisions-table tbody tr").count() >= 3
    shot(page, "decisions")
    page.click(f"a[href='/ui/decisions/{denied['decision_id']}']")
    page.wait_for_url(re.compile(rf".*/ui/decisions/{denied['decision_id']}$"))
    text = page.locator("main").inner_text()
    assert "missing_evidence" in text and "ev:red_team_exercise" in text
    assert denied["recorded"]["hash"] in text
    evidence_rows = page.locator("#evidence-table tbody tr")
    assert evidence_rows.count() == len(candidate("high_missing_red_team")["evidence"])
    satisfied = next(iter(denied["satisfied"].values()))
    assert satisfied[0] in evidence_rows.first.inner_text() or satisfied[0] in text
    shot(page, "decision")

    page.goto(server.url + "/ui/analytics")
    assert page.locator("svg.chart rect.fill-deny").count() >= 1
    assert "missing_evidence" in page.locator("#reasons-table").inner_text()
    assert "hallucination_rate" in page.locator("#near-table").inner_text()
    assert page.locator("#cycle-table tbody tr").count() >= 1
    shot(page, "analytics")

    # the overview heatmap now has a column per system
    page.goto(server.url + "/ui/overview")
    assert page.locator("table.heatmap thead th").filter(has_text="support-summarizer").count() == 1
    page.context.close()


@pytest.mark.browser
def test_browser_roles_and_imports(browser: Any, server: LiveServer) -> None:
    ci = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    ci.goto(server.url + "/ui/login")
    shot(ci, "login")
    ci.fill("#token", server.tokens["ci"])
    ci.click("form.stack button[type=submit]")
    ci.wait_for_load_state()
    response = ci.goto(server.url + "/ui/overview")
    assert response is not None and response.status == 403
    assert "This page is for: admin, analyst, auditor, legal" in ci.locator("main").inner_text()
    shot(ci, "forbidden")
    ci.context.close()

    legal = sign_in(browser, server, "legal")
    legal.goto(server.url + "/ui/imports")
    assert legal.locator("h1").inner_text() == "Imports"
    shot(legal, "imports")
    legal.click("text=Sign out")
    legal.wait_for_url(re.compile(r".*/ui/login$"))
    legal.goto(server.url + "/ui/overview")
    assert "/ui/login" in legal.url
    legal.context.close()


def test_docs_screenshots_are_current() -> None:
    """docs/img holds copies of the screenshots the browser tests write (refresh them by hand
    with: cp test-artifacts/screenshots/*.png docs/img/)."""
    docs = REPO / "docs" / "dashboard.md"
    assert docs.exists()
    for name in re.findall(r"\(img/([\w-]+\.png)\)", docs.read_text()):
        assert (REPO / "docs" / "img" / name).exists(), name


@pytest.mark.browser
def test_browser_gate_profile_page_shows_the_lifecycle(browser: Any, server: LiveServer) -> None:
    page = sign_in(browser, server, "analyst")
    page.click("nav >> text=Gate profiles")
    page.wait_for_url(re.compile(r".*/ui/profiles/deployment$"))
    assert page.locator("h1").inner_text() == "Gate profiles"
    stages = page.locator("section:has(h2#stages-h)").inner_text()
    assert "development" in stages and "staging" in stages and "production" in stages
    assert "From tier MEDIUM up" in stages
    rollback = page.locator("section:has(h2#kinds-h) tr:has(th:text-is('rollback'))").inner_text()
    assert "ev:rollback_tested" in rollback and "ml_lead" in rollback
    provenance = page.locator("section:has(h2#items-h) tr:has(a:text-is('ev:model_provenance'))")
    # kept at development and for a model change, dropped for a prompt change
    cells = provenance.locator("td").all_inner_texts()
    headers = page.locator("section:has(h2#items-h) thead th").all_inner_texts()[1:]
    assert dict(zip(headers, cells, strict=True))["development"] == "yes"
    assert dict(zip(headers, cells, strict=True))["prompt"] == "no"
    limits = page.locator("section:has(h2#limits-h)").inner_text()
    assert "retention_days of ev:logging_verified at least 1095 from tier HIGH" in limits
    shot(page, "profile", full_page=True)
    page.goto(server.url + "/ui/profiles/nope")
    assert "No gate profile 'nope'" in page.locator("main").inner_text()
