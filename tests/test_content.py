"""The shipped ontology, shapes and crosswalk content: parse, validate, count, cross-check."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "crossgate.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
CONTENT = sorted((ROOT / "crosswalks").glob("*.ttl"))

CG = "https://w3id.org/crossgate/ns#"
ID = "https://w3id.org/crossgate/id/"
SH = "http://www.w3.org/ns/shacl#"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
PREFIXES = f"""
PREFIX cg: <{CG}>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX ev: <{ID}ev/>
PREFIX ctrl: <{ID}ctrl/>
PREFIX fw: <{ID}fw/>
PREFIX gate: <{ID}gate/>
"""

# The deployment profile of DESIGN.md ("The shipped deployment gate profile").
PROFILE = {
    "LOW": ["risk_classification", "model_provenance", "adversarial_testing_basic",
            "resilience_plan", "logging_verified", "rollback_tested", "runtime_security_notified",
            "evaluation_results", "bias_fairness_check"],
    "MEDIUM": ["adversarial_test_suite", "data_governance_review", "secrets_management_verified",
               "guardrails_tested", "monitoring_dashboards", "oncall_rotation"],
    "HIGH": ["red_team_exercise", "regulatory_compliance_verified", "domain_guardrail_testing",
             "judge_evaluation_calibrated", "human_oversight_tested", "incident_response_runbook",
             "privacy_impact_assessment"],
    "CRITICAL": ["independent_adversarial_assessment", "risk_acceptance_signoff",
                 "immutable_logging_verified", "realtime_judge_operational",
                 "oversight_escalation_tested", "board_briefing", "staged_deployment_plan",
                 "regulatory_notifications_filed"],
}
CONDITIONS = {"privacy_impact_assessment": "personal_data", "bias_fairness_check": "user_facing",
              "regulatory_notifications_filed": "regulatory_notifications_required"}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def graph(ontology: Graph) -> Graph:
    g = Graph()
    g += ontology
    for path in CONTENT:
        g.parse(path, format="turtle")
    return g


def count(graph: Graph, where: str) -> int:
    rows = list(graph.query(PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0][0])


def ask(graph: Graph, where: str) -> bool:
    return bool(graph.query(PREFIXES + f"ASK {{ {where} }}").askAnswer)


def test_every_file_parses_on_its_own() -> None:
    assert len(CONTENT) >= 11
    for path in [ONTOLOGY, SHAPES, *CONTENT]:
        assert len(Graph().parse(path, format="turtle")) > 0, path


def test_ontology_declares_every_vocab_term(ontology: Graph) -> None:
    from crossgate.graph import vocab

    cg_terms = {str(v) for v in vars(vocab).values()
                if isinstance(v, URIRef) and str(v).startswith(CG)}
    cg_terms |= {str(v) for v in vocab.RELATIONS.values()}
    declared = {str(s) for s in ontology.subjects(RDF.type, None)}
    assert sorted(cg_terms - declared) == []


def test_relations_carry_skos_and_notation(ontology: Graph) -> None:
    rows = ontology.query(PREFIXES + """
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?n ?m WHERE { ?r a cg:Relation, skos:Concept ; skos:notation ?n .
                             OPTIONAL { ?r cg:skosMatch ?m } }""")
    got = {str(n): (str(m).rsplit("#", 1)[-1] if m else None) for n, m in rows}
    assert got == {"equal": "exactMatch", "superset": "narrowMatch", "subset": "broadMatch",
                   "intersects": "closeMatch", "related": "relatedMatch", "not_related": None}


def test_ontology_and_content_conform_to_shapes(graph: Graph, shapes: Graph) -> None:
    conforms, _report, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text[:5000]


def test_counts(graph: Graph) -> None:
    eu = "?x a cg:Obligation ; cg:framework fw:eu-ai-act"
    assert count(graph, eu) >= 40
    assert count(graph, "?x a cg:Obligation ; cg:framework ?f . ?f cg:jurisdiction ?j "
                        "FILTER STRSTARTS(?j, 'US-')") >= 25
    assert count(graph, "?x a cg:Control ; cg:framework fw:crossgate-controls") >= 40
    assert count(graph, "?x a cg:PolicyStatement ; cg:framework fw:internal-policy") >= 10
    assert count(graph, "?x a cg:Mapping") >= 150
    assert count(graph, "?x a cg:Control ; cg:shortId 'ctrl:CHM-002'") == 1
    for rel in ("equal", "superset", "subset", "intersects", "related", "not_related"):
        assert count(graph, f"?x a cg:Mapping ; cg:relation cg:{rel}") >= 1, rel


def test_short_ids_match_iris(graph: Graph) -> None:
    from crossgate.graph.ids import to_iri

    for node, short in graph.subject_objects(URIRef(CG + "shortId")):
        assert str(node) == to_iri(str(short)), (node, short)


def test_eu_dates_and_status(graph: Graph) -> None:
    def row(short: str) -> tuple[str, str]:
        q = PREFIXES + f"""SELECT ?from ?status WHERE {{
            ?x cg:shortId "{short}" ; cg:appliesFrom ?from ; cg:legalStatus ?status }}"""
        [(applies_from, status)] = list(graph.query(q))
        return str(applies_from), str(status)

    assert row("euaia:art-9") == ("2027-12-02", "upcoming")
    assert row("euaia:art-6-1") == ("2028-08-02", "upcoming")
    assert row("euaia:art-5-1-a") == ("2025-02-02", "in_force")
    assert row("euaia:art-50-1") == ("2026-08-02", "in_force")
    assert row("euaia:art-53-1-a") == ("2025-08-02", "in_force")
    assert row("us-co:sb26-189") == ("2027-01-01", "upcoming")
    assert row("us-nyc:20-871") == ("2023-07-05", "in_force")
    for paragraph in ("euaia:art-26-6", "euaia:art-26-11", "euaia:art-73-3", "euaia:art-73-4"):
        assert count(graph, f"?x cg:shortId '{paragraph}' ; dcterms:isPartOf ?a . "
                            "?a a cg:Obligation") == 1, paragraph


def test_every_obligation_has_citation_source_and_verification_date(graph: Graph) -> None:
    """Each shipped legal requirement says where it comes from and when it was last checked."""
    rows = graph.query(PREFIXES + """SELECT ?id ?cit ?src ?on WHERE {
        ?x a cg:Obligation ; cg:shortId ?id .
        OPTIONAL { ?x cg:citation ?cit } OPTIONAL { ?x dcterms:source ?src }
        OPTIONAL { ?x cg:verifiedOn ?on } }""")
    missing = [str(i) for i, cit, src, on in rows
               if not (cit and str(cit).strip() and src and str(src).strip() and on)]
    assert missing == []
    dates = {str(on) for _i, _c, _s, on in rows}
    assert dates and all(d <= "2026-12-02" for d in dates), dates
    assert all(on.datatype == URIRef(XSD_DATE) for _i, _c, _s, on in rows)
    # what could not be verified is said, never silently dropped
    unverified = [str(i) for i, cit, _s, _o in rows if "unverified" in str(cit).lower()]
    assert unverified and count(graph, """?x a cg:Obligation ; cg:citation ?c .
        FILTER (CONTAINS(LCASE(?c), "unverified"))
        FILTER NOT EXISTS { ?x cg:verificationNote ?n }""") == 0


def test_content_re_verified_in_december_2026(graph: Graph) -> None:
    """Known problems of the first release fixed, new items present with their own dates."""
    def status(short: str) -> tuple[str, str]:
        [(f, st)] = list(graph.query(PREFIXES + f"""SELECT ?f ?s WHERE {{
            ?x cg:shortId "{short}" ; cg:appliesFrom ?f ; cg:legalStatus ?s }}"""))
        return str(f), str(st)

    # the Omnibus points are split, in force today and scoped to generative systems
    assert count(graph, "?x cg:shortId 'euaia:art-5-new-ncii-csam'") == 0
    for short in ("euaia:art-5-1-ncii", "euaia:art-5-1-csam"):
        assert status(short) == ("2026-12-02", "in_force")
        assert ask(graph, f"?x cg:shortId '{short}' ; cg:appliesToUseCase 'generative-ai' ; "
                          "dcterms:isPartOf/cg:shortId 'euaia:art-5'")
        assert not ask(graph, f"?x cg:shortId '{short}' ; cg:appliesToRiskClass ?r")
    parts = {"euaia:art-49-2": "euaia:art-49", "euaia:art-99-3": "euaia:art-99",
             "euaia:art-111-1": "euaia:art-111", "euaia:art-111-2": "euaia:art-111",
             "euaia:art-111-3": "euaia:art-111", "euaia:art-52-1": "euaia:art-52",
             "euaia:art-55-1-c": "euaia:art-55", "euaia:art-27-3": "euaia:art-27"}
    for part, whole in parts.items():
        assert ask(graph, f"?x cg:shortId '{part}' ; dcterms:isPartOf/cg:shortId '{whole}'"), part
    assert status("euaia:art-111-1") == ("2030-12-31", "upcoming")
    assert status("euaia:art-101") == ("2026-08-02", "in_force")
    assert status("euaia:art-86") == ("2027-12-02", "upcoming")
    for short in ("euaia:art-4a", "euaia:art-51", "euaia:art-99", "us-nyc:20-872",
                  "us-tx:552.101", "us-co:sb26-189-enforcement", "us-ct:pa26-15-1",
                  "us-ny:gbl-1421", "us-ca:bpc-22603", "us-ca:crc-ads-records",
                  "us-wa:hb1170-provenance", "us-fed:take-it-down-3"):
        assert count(graph, f"?x a cg:Obligation ; cg:shortId '{short}'") == 1, short
    # Colorado SB 26-189's domains exclude legal services; litigation is a dated note
    assert not ask(graph, "?x cg:framework fw:us-co-sb26-189 ; cg:appliesToUseCase 'legal-services'")
    assert ask(graph, "?x cg:shortId 'us-co:sb26-189' ; cg:statusNote ?n "
                      "FILTER STRSTARTS(?n, '2026-04-27: ')")
    # Utah's disclosure duties cite the renumbered chapter 13-77
    assert count(graph, "?x cg:framework fw:us-ut-aipa ; cg:citation ?c "
                        "FILTER CONTAINS(?c, '13-75')") == 0
    # the GPAI Code of Practice is a framework whose chapters map to Arts 53 and 55
    targets = {str(t) for (t,) in graph.query(PREFIXES + """SELECT ?t WHERE {
        ?m a cg:Mapping ; cg:source ?c ; cg:target/cg:shortId ?t .
        ?c cg:framework fw:eu-gpai-code-of-practice }""")}
    assert targets == {"euaia:art-53-1-a", "euaia:art-53-1-b", "euaia:art-53-1-c", "euaia:art-55",
                       "euaia:art-55-1-a", "euaia:art-55-1-c"}
    # every obligation added here is mapped from at least one control
    new = ("euaia:art-5-1-ncii", "euaia:art-5-1-csam", "euaia:art-4a", "euaia:art-49-2",
           "euaia:art-51", "euaia:art-52", "euaia:art-86", "euaia:art-99", "euaia:art-99-3",
           "euaia:art-99-4", "euaia:art-99-5", "euaia:art-101", "euaia:art-111",
           "euaia:art-111-1", "euaia:omnibus-art-50-2-transition", "euaia:art-55-1-a",
           "euaia:art-55-1-b", "euaia:art-55-1-c", "euaia:art-55-1-d", "euaia:art-27-1",
           "euaia:art-27-3", "us-co:sb26-189-enforcement",
           "us-nyc:20-872", "us-tx:552.101", "us-tx:552.105", "us-ct:pa26-15-1",
           "us-ct:pa26-15-frontier-whistleblowers", "us-ct:pa26-15-ai-companions",
           "us-ct:pa26-15-employment-admt", "us-ny:gbl-1421", "us-ny:gbl-1422",
           "us-ny:gbl-1427", "us-ny:gbl-1428", "us-ca:bpc-22602", "us-ca:bpc-22603",
           "us-ca:bpc-22605", "us-ca:bpc-22604", "us-ca:crc-ads-discrimination", "us-ca:crc-ads-records",
           "us-wa:hb1170-provenance", "us-wa:hb1170-agency-disclosure", "us-fed:take-it-down-3",
           "us-fed:take-it-down-2")
    mapped = {str(i) for (i,) in graph.query(PREFIXES + """SELECT ?i WHERE {
        ?x a cg:Obligation ; cg:shortId ?i . ?m a cg:Mapping ; cg:target ?x ;
        cg:source/cg:framework ?f . FILTER (?f != fw:eu-ai-act) }""")}
    assert [n for n in new if n not in mapped] == []


def test_readme_lists_the_sources(graph: Graph) -> None:
    readme = (ROOT / "crosswalks" / "README.md").read_text()
    section = readme.split("## Sources", 1)[1]
    for needle in ("2024/1689", "2026/1744", "coag.gov", "Tex. Bus. & Com. Code", "Utah Code",
                   "Public Act 26-15", "Article 44-B", "22601", "TAKE IT DOWN", "HB 1170"):
        assert needle in section, needle


def test_superseded_colorado_never_operative(graph: Graph) -> None:
    q = PREFIXES + """SELECT ?x ?by ?byStatus ?to WHERE {
        ?x cg:framework fw:us-co-sb24-205 ; cg:legalStatus ?s .
        OPTIONAL { ?x cg:appliesTo ?to }
        OPTIONAL { ?x dcterms:isReplacedBy ?by .
                   ?by cg:framework fw:us-co-sb26-189 ; cg:legalStatus ?byStatus } }"""
    rows = list(graph.query(q))
    assert len(rows) >= 5
    for x, by, by_status, to in rows:
        assert to is None, x
        assert by is not None, f"{x} has no replacement in SB 26-189"
        assert str(by_status) == "upcoming"


def test_gate_profile_matches_design(graph: Graph) -> None:
    q = PREFIXES + """SELECT ?ev ?tier ?cond ?ctrl ?age WHERE {
        gate:deployment a cg:GateProfile ; cg:gateName "deployment" ; cg:hasItem ?i .
        ?i cg:evidenceType ?ev ; cg:minTier ?tier ; cg:control ?ctrl ; cg:maxAgeDays ?age ;
           cg:remediation ?rem ; dcterms:title ?t .
        ?ev a cg:EvidenceType .
        ?ctrl a cg:Control ; cg:framework fw:crossgate-controls .
        OPTIONAL { ?i cg:condition ?cond } }"""
    got = {str(ev).rsplit("/", 1)[-1]: (str(tier), str(cond) if cond else None)
           for ev, tier, cond, _ctrl, _age in graph.query(q)}
    expected = {ev: (tier, CONDITIONS.get(ev)) for tier, evs in PROFILE.items() for ev in evs}
    assert got == expected
    controls = [ctrl for _ev, _tier, _cond, ctrl, _age in graph.query(q)]
    assert len(set(controls)) == len(controls), "one control per gate item"

    approvals = {(str(r), str(s), str(t)) for r, s, t in graph.query(PREFIXES + """
        SELECT ?r ?s ?t WHERE { gate:deployment cg:hasApproval ?a .
            ?a cg:approverRole ?r ; cg:approvalScope ?s ; cg:minTier ?t }""")}
    assert approvals == {("ml_lead", "technical", "LOW"), ("product_lead", "business", "HIGH"),
                         ("compliance", "compliance", "CRITICAL")}
    strategies = dict(graph.query(PREFIXES + """SELECT ?t ?s WHERE {
        gate:deployment cg:hasStrategy ?x . ?x cg:tier ?t ; cg:strategy ?s }"""))
    assert {str(k): str(v) for k, v in strategies.items()} == {
        "LOW": "direct", "MEDIUM": "limited", "HIGH": "canary", "CRITICAL": "shadow-then-canary"}
    [(metric, max_value)] = list(graph.query(PREFIXES + """SELECT ?m ?v WHERE {
        gate:deployment cg:hasThreshold ?x .
        ?x cg:evidenceType ev:evaluation_results ; cg:metric ?m ; cg:maxValue ?v }"""))
    assert (str(metric), float(max_value)) == ("hallucination_rate", 0.05)
    assert count(graph, "gate:deployment cg:hasBlockingFinding ?x . "
                        "?x cg:severity 'critical' ; cg:findingStatus 'open'") == 1
    assert ask(graph, "gate:deployment cg:nearMissRatio 0.1")


def test_jurisdiction_rules(graph: Graph) -> None:
    q = PREFIXES + """SELECT ?rule ?j ?ev ?req ?from WHERE {
        gate:deployment cg:hasJurisdictionRule ?rule .
        ?rule cg:triggerJurisdiction ?j ; cg:evidenceType ?ev ; cg:enforces ?req .
        ?ev a cg:EvidenceType .
        ?req a cg:Obligation . OPTIONAL { ?req cg:appliesFrom ?from } }"""
    rules = {str(r).rsplit("/", 1)[-1]: (str(j), str(ev).rsplit("/", 1)[-1],
                                          str(req).removeprefix(ID), str(f) if f else None)
             for r, j, ev, req, f in graph.query(q)}
    assert rules["rule-nyc-aedt-bias-audit"] == ("US-NYC", "bias_audit", "us-nyc/20-871",
                                                 "2023-07-05")
    assert rules["rule-co-admt-impact-assessment"][:2] == ("US-CO", "impact_assessment")
    assert rules["rule-co-admt-impact-assessment"][3] == "2027-01-01"
    assert ("EU", "conformity_assessment", "euaia/art-43", "2027-12-02") in rules.values()
    assert ("EU", "fria_completed", "euaia/art-27", "2027-12-02") in rules.values()
    assert ask(graph, "gate:rule-nyc-aedt-bias-audit cg:triggerUseCase 'employment' ; "
                      "cg:maxAgeDays 365")


def test_every_reference_is_declared(graph: Graph) -> None:
    declared = set(graph.subjects(RDF.type, None))
    links = ["source", "target", "control", "evidenceType", "enforces", "framework"]
    dangling = [(str(s), p, str(o)) for p in links
                for s, o in graph.subject_objects(URIRef(CG + p)) if o not in declared]
    for prop in ("isReplacedBy", "isPartOf"):
        dangling += [(str(s), prop, str(o)) for s, o in
                     graph.subject_objects(URIRef("http://purl.org/dc/terms/" + prop))
                     if o not in declared]
    assert dangling == []


def test_mapping_provenance_and_cycle(graph: Graph) -> None:
    assert count(graph, """?x a cg:Mapping .
        FILTER NOT EXISTS { ?x cg:strength ?s ; cg:rationale ?r ; dcterms:creator ?c ;
                                dcterms:created ?d ; dcterms:source ?src }""") == 0
    assert count(graph, """?x a cg:Mapping ; cg:source ?a ; cg:target ?b ; cg:relation cg:equal .
        ?y a cg:Mapping ; cg:source ?b ; cg:target ?a ; cg:relation cg:equal .""") >= 2


def test_evidence_reaches_obligations(graph: Graph) -> None:
    """Gate evidence reaches EU and US obligations through full and partial mappings."""
    full = "cg:equal|cg:superset"
    reach = """?g cg:hasItem/cg:evidenceType ?ev .
        ?m1 cg:source ?ev ; cg:target ?c ; cg:relation ?r1 .
        ?m2 cg:source ?c ; cg:target ?x ; cg:relation ?r2 . ?x a cg:Obligation ."""
    full_filter = f"FILTER (?r1 IN ({full.replace('|', ', ')}) && " \
                  f"?r2 IN ({full.replace('|', ', ')}))"
    assert count(graph, reach + full_filter) >= 10
    assert count(graph, reach + "FILTER (?r2 IN (cg:subset, cg:intersects))") >= 15


def _mapping(**overrides: object) -> Graph:
    g = Graph()
    m = URIRef(ID + "map/test-bad")
    g.add((m, RDF.type, URIRef(CG + "Mapping")))
    g.add((m, URIRef(CG + "source"), URIRef(ID + "ctrl/CHM-002")))
    g.add((m, URIRef(CG + "target"), URIRef(ID + "euaia/art-17")))
    g.add((m, URIRef(CG + "relation"), URIRef(CG + "subset")))
    g.add((m, URIRef(CG + "strength"), Literal(4)))
    for prop, value in overrides.items():
        g.remove((m, URIRef(CG + prop), None))
        g.add((m, URIRef(CG + prop), value))  # type: ignore[arg-type]
    return g


def _violations(data: Graph, ontology: Graph, shapes: Graph) -> list[tuple[str, str, str]]:
    conforms, report, _text = validate(data + ontology, shacl_graph=shapes, inference="rdfs")
    assert not conforms
    results = report.subjects(RDF.type, URIRef(SH + "ValidationResult"))
    return [(str(report.value(r, URIRef(SH + "focusNode"))),
             str(report.value(r, URIRef(SH + "resultPath"))),
             str(report.value(r, URIRef(SH + "resultMessage")))) for r in results]


def test_base_mapping_fixture_is_valid(ontology: Graph, shapes: Graph) -> None:
    conforms, _report, text = validate(_mapping() + ontology, shacl_graph=shapes,
                                       inference="rdfs")
    assert conforms, text


def test_strength_out_of_range_is_rejected(ontology: Graph, shapes: Graph) -> None:
    found = _violations(_mapping(strength=Literal(11)), ontology, shapes)
    assert len(found) == 1
    focus, path, message = found[0]
    assert focus == ID + "map/test-bad"
    assert path == CG + "strength"
    assert "0 to 10" in message


def test_unknown_relation_is_rejected(ontology: Graph, shapes: Graph) -> None:
    found = _violations(_mapping(relation=URIRef(CG + "roughly_equal")), ontology, shapes)
    assert len(found) == 1
    focus, path, message = found[0]
    assert focus == ID + "map/test-bad"
    assert path == CG + "relation"
    assert "cg:intersects" in message


def test_self_mapping_and_literal_source_are_rejected(ontology: Graph, shapes: Graph) -> None:
    same = _violations(_mapping(target=URIRef(ID + "ctrl/CHM-002")), ontology, shapes)
    assert [(p, "different" in m) for _f, p, m in same] == [(CG + "target", True)]
    literal = _violations(_mapping(source=Literal("ctrl:CHM-002")), ontology, shapes)
    assert [p for _f, p, _m in literal] == [CG + "source"]


def test_bad_requirement_values_are_rejected(ontology: Graph, shapes: Graph) -> None:
    g = Graph()
    req = URIRef(ID + "euaia/art-999")
    g.add((req, RDF.type, URIRef(CG + "Obligation")))
    g.add((req, URIRef(CG + "shortId"), Literal("Euaia art 999")))
    g.add((req, URIRef(CG + "appliesFrom"), Literal("2027-12-02")))
    g.add((req, URIRef(CG + "appliesToRole"), Literal("user")))
    g.add((req, URIRef(CG + "legalStatus"), Literal("active")))
    g.add((req, URIRef(CG + "appliesToRiskClass"), Literal("high")))
    g.add((req, URIRef(CG + "appliesFrom"), Literal("2027-12-02", datatype=URIRef(XSD_DATE))))
    paths = {p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
             for _f, p, _m in _violations(g, ontology, shapes)}
    assert {"shortId", "title", "framework", "citation", "appliesFrom", "appliesToRole",
            "legalStatus", "appliesToRiskClass"} <= paths


def test_dangling_links_are_caught_under_rdfs_inference(ontology: Graph, shapes: Graph) -> None:
    """The server validates with RDFS inference and keeps only the batch's own focus nodes, so a
    link to an undeclared framework, control or evidence type must fail on the linking node."""
    g = Graph()
    ctrl = URIRef(ID + "ctrl/TST-001")
    item = URIRef(ID + "gate/test-item")
    g.add((ctrl, RDF.type, URIRef(CG + "Control")))
    g.add((ctrl, URIRef(CG + "shortId"), Literal("ctrl:TST-001")))
    g.add((ctrl, URIRef("http://purl.org/dc/terms/title"), Literal("Test control")))
    g.add((ctrl, URIRef(CG + "framework"), URIRef(ID + "fw/no-such-framework")))
    g.add((item, RDF.type, URIRef(CG + "GateItem")))
    g.add((item, URIRef("http://purl.org/dc/terms/title"), Literal("Test item")))
    g.add((item, URIRef(CG + "evidenceType"), URIRef(ID + "ev/no_such_evidence")))
    g.add((item, URIRef(CG + "minTier"), Literal("LOW")))
    g.add((item, URIRef(CG + "control"), URIRef(ID + "ctrl/NO-SUCH")))
    own = {(f, p.rsplit("#", 1)[-1]) for f, p, _m in _violations(g, ontology, shapes)
           if URIRef(f) in set(g.subjects())}
    assert own == {(str(ctrl), "framework"), (str(item), "evidenceType"), (str(item), "control")}
