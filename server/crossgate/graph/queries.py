"""Named SPARQL queries, kept in one place so each can be measured (bench/store_bench.py).

Query shape matters more than the engine (measurements.md: OPTIONAL + !BOUND answered in 34 ms
what FILTER NOT EXISTS took 159 s for), so the gap query uses MINUS, never FILTER NOT EXISTS
(bench/results/store.md: 343 ms for MINUS, 505 ms for OPTIONAL, minutes for NOT EXISTS at 100x).

Every query is DISTINCT: over a union default graph pyoxigraph 0.5.13 returns a triple once per
graph that holds it (Oxigraph issue 1919, fixed after 0.5.13), so a triple an import repeats
would otherwise come back twice.
"""

from __future__ import annotations

from crossgate.graph import vocab as V

PREFIXES = f"""PREFIX cg: <{V.CG}>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

FRAMEWORKS = PREFIXES + """
SELECT DISTINCT ?fw ?id ?title ?jurisdiction ?publisher WHERE {
  ?fw a cg:Framework ; cg:shortId ?id .
  OPTIONAL { ?fw dcterms:title ?title }
  OPTIONAL { ?fw cg:jurisdiction ?jurisdiction }
  OPTIONAL { ?fw dcterms:publisher ?publisher }
}"""

REQUIREMENTS = PREFIXES + """
SELECT DISTINCT ?r ?id ?kind ?title ?summary ?citation ?fwid ?parent ?status ?from ?to ?replacedBy WHERE {
  VALUES ?kind { cg:Obligation cg:Control cg:PolicyStatement }
  ?r a ?kind ; cg:shortId ?id .
  OPTIONAL { ?r dcterms:title ?title }
  OPTIONAL { ?r dcterms:description ?summary }
  OPTIONAL { ?r cg:citation ?citation }
  OPTIONAL { ?r cg:framework ?fw . ?fw cg:shortId ?fwid }
  OPTIONAL { ?r dcterms:isPartOf ?parent }
  OPTIONAL { ?r cg:legalStatus ?status }
  OPTIONAL { ?r cg:appliesFrom ?from }
  OPTIONAL { ?r cg:appliesTo ?to }
  OPTIONAL { ?r dcterms:isReplacedBy ?replacedBy }
}"""

APPLICABILITY = PREFIXES + """
SELECT DISTINCT ?r ?p ?v WHERE {
  VALUES ?p { cg:appliesToJurisdiction cg:appliesToRole cg:appliesToRiskClass
              cg:appliesToUseCase cg:appliesToTier cg:requiresPersonalData cg:requiresUserFacing }
  ?r ?p ?v .
}"""

EVIDENCE_TYPES = PREFIXES + """
SELECT DISTINCT ?e ?id ?title ?summary WHERE {
  ?e a cg:EvidenceType ; cg:shortId ?id .
  OPTIONAL { ?e dcterms:title ?title }
  OPTIONAL { ?e dcterms:description ?summary }
}"""

MAPPINGS = PREFIXES + """
SELECT DISTINCT ?m ?source ?target ?relation ?strength ?rationale ?rationaleType ?author ?created
       ?sourceDoc ?importId ?sheet ?row ?fileSha WHERE {
  ?m a cg:Mapping ; cg:source ?source ; cg:target ?target ; cg:relation ?rel .
  ?rel skos:notation ?relation .
  OPTIONAL { ?m cg:strength ?strength }
  OPTIONAL { ?m cg:rationale ?rationale }
  OPTIONAL { ?m cg:rationaleType ?rationaleType }
  OPTIONAL { ?m dcterms:creator ?author }
  OPTIONAL { ?m dcterms:created ?created }
  OPTIONAL { ?m dcterms:source ?sourceDoc }
  OPTIONAL { ?m cg:importId ?importId }
  OPTIONAL { ?m cg:sourceSheet ?sheet }
  OPTIONAL { ?m cg:sourceRow ?row }
  OPTIONAL { ?m cg:sourceFileSha256 ?fileSha }
}"""

GATE_PROFILES = PREFIXES + """
SELECT DISTINCT ?p ?id ?name ?nearMiss ?skew ?maxExceptionDays ?blockingWaivers ?waiverRole
                ?stageOrderMinTier ?tierWindow WHERE {
  ?p a cg:GateProfile ; cg:shortId ?id ; cg:gateName ?name .
  OPTIONAL { ?p cg:nearMissRatio ?nearMiss }
  OPTIONAL { ?p cg:clockSkewSeconds ?skew }
  OPTIONAL { ?p cg:maxExceptionDays ?maxExceptionDays }
  OPTIONAL { ?p cg:allowsBlockingWaivers ?blockingWaivers }
  OPTIONAL { ?p cg:blockingWaiverRole ?waiverRole }
  OPTIONAL { ?p cg:stageOrderMinTier ?stageOrderMinTier }
  OPTIONAL { ?p cg:tierChangeWindowDays ?tierWindow }
}"""

GATE_ITEMS = PREFIXES + """
SELECT DISTINCT ?p ?evid ?minTier ?condition ?maxAge ?ctrlid ?title ?remediation WHERE {
  ?p cg:hasItem ?i . ?i cg:evidenceType ?e ; cg:minTier ?minTier . ?e cg:shortId ?evid .
  OPTIONAL { ?i cg:condition ?condition }
  OPTIONAL { ?i cg:maxAgeDays ?maxAge }
  OPTIONAL { ?i cg:control ?c . ?c cg:shortId ?ctrlid }
  OPTIONAL { ?i dcterms:title ?title }
  OPTIONAL { ?i cg:remediation ?remediation }
}"""

GATE_APPROVALS = PREFIXES + """
SELECT DISTINCT ?p ?role ?scope ?minTier WHERE {
  ?p cg:hasApproval ?a . ?a cg:approverRole ?role ; cg:minTier ?minTier .
  OPTIONAL { ?a cg:approvalScope ?scope }
}"""

GATE_THRESHOLDS = PREFIXES + """
SELECT DISTINCT ?p ?evid ?metric ?max WHERE {
  ?p cg:hasThreshold ?t . ?t cg:evidenceType ?e ; cg:metric ?metric ; cg:maxValue ?max .
  ?e cg:shortId ?evid .
}"""

GATE_MINIMUMS = PREFIXES + """
SELECT DISTINCT ?p ?evid ?metric ?min ?minTier WHERE {
  ?p cg:hasMinimum ?t . ?t cg:evidenceType ?e ; cg:metric ?metric ; cg:minValue ?min ;
     cg:minTier ?minTier . ?e cg:shortId ?evid .
}"""

# One row per stage, plus one per evidence type it lists (?evid unbound when it lists none).
GATE_STAGES = PREFIXES + """
SELECT DISTINCT ?p ?name ?position ?title ?evid WHERE {
  ?p cg:hasStage ?s . ?s cg:stageName ?name ; cg:stagePosition ?position .
  OPTIONAL { ?s dcterms:title ?title }
  OPTIONAL { ?s cg:evidenceType ?e . ?e cg:shortId ?evid }
}"""

# One row per change type, plus one per evidence type and per approval role it lists.
GATE_CHANGE_TYPES = PREFIXES + """
SELECT DISTINCT ?p ?name ?title ?evid ?role WHERE {
  ?p cg:hasChangeType ?c . ?c cg:changeType ?name .
  OPTIONAL { ?c dcterms:title ?title }
  OPTIONAL { ?c cg:evidenceType ?e . ?e cg:shortId ?evid }
  OPTIONAL { ?c cg:requiredApprovalRole ?role }
}"""

GATE_BLOCKING = PREFIXES + """
SELECT DISTINCT ?p ?severity ?status WHERE {
  ?p cg:hasBlockingFinding ?b . ?b cg:severity ?severity .
  OPTIONAL { ?b cg:findingStatus ?status }
}"""

GATE_STRATEGIES = PREFIXES + """
SELECT DISTINCT ?p ?tier ?strategy WHERE { ?p cg:hasStrategy ?s . ?s cg:tier ?tier ; cg:strategy ?strategy }
"""

GATE_RULES = PREFIXES + """
SELECT DISTINCT ?p ?rule ?id ?title ?jurisdiction ?evid ?maxAge ?reqid ?remediation WHERE {
  ?p cg:hasJurisdictionRule ?rule . ?rule cg:shortId ?id ; cg:triggerJurisdiction ?jurisdiction ;
     cg:evidenceType ?e . ?e cg:shortId ?evid .
  OPTIONAL { ?rule dcterms:title ?title }
  OPTIONAL { ?rule cg:maxAgeDays ?maxAge }
  OPTIONAL { ?rule cg:enforces ?req . ?req cg:shortId ?reqid }
  OPTIONAL { ?rule cg:remediation ?remediation }
}"""

GATE_RULE_TRIGGERS = PREFIXES + """
SELECT DISTINCT ?rule ?p ?v WHERE {
  VALUES ?p { cg:triggerUseCase cg:triggerRole cg:triggerRiskClass }
  ?x cg:hasJurisdictionRule ?rule . ?rule ?p ?v .
}"""

# The analyst's question as one query: obligations with no mapping at all from a control.
# (Coverage through longer paths is computed by graph/coverage.py; this is the fast first look.)
UNMAPPED_OBLIGATIONS = PREFIXES + """
SELECT DISTINCT ?id ?title WHERE {
  ?o a cg:Obligation ; cg:shortId ?id .
  OPTIONAL { ?o dcterms:title ?title }
  MINUS { ?m cg:target ?o ; cg:source ?c . ?c a cg:Control }
} ORDER BY ?id"""
