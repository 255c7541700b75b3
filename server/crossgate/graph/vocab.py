"""The crossgate vocabulary: every IRI the code uses, spelled once.

ontology/crossgate.ttl declares these terms (labels, domains, ranges, SKOS/DPV/ELI alignments);
ontology/shapes.ttl constrains them. Code refers to terms only through this module.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

CG = Namespace("https://w3id.org/crossgate/ns#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
EU_AIACT = Namespace("https://w3id.org/dpv/legal/eu/aiact#")
DPV_TECH = Namespace("https://w3id.org/dpv/tech#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# The act all EU AI Act requirement IRIs point to (article-level ELIs are not reliably minted).
EU_AI_ACT_ELI = "http://data.europa.eu/eli/reg/2024/1689/oj"

# Named graphs: one per source. Shipped files get GRAPH_BASE + "shipped/<file stem>",
# imports GRAPH_BASE + "import/<import id>"; revision metadata lives in META_GRAPH.
GRAPH_BASE = "https://w3id.org/crossgate/graph/"
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
META_GRAPH = GRAPH_BASE + "meta"

# Classes
FRAMEWORK = CG.Framework
REQUIREMENT = CG.Requirement  # abstract: one of the three below
OBLIGATION = CG.Obligation  # a legal obligation (EU AI Act article/paragraph, US state section)
CONTROL = CG.Control
POLICY_STATEMENT = CG.PolicyStatement
EVIDENCE_TYPE = CG.EvidenceType
MAPPING = CG.Mapping  # reified crosswalk mapping
RELATION = CG.Relation  # the six relation individuals below are its instances
GATE_PROFILE = CG.GateProfile
GATE_ITEM = CG.GateItem
APPROVAL_RULE = CG.ApprovalRule
THRESHOLD = CG.Threshold
BLOCKING_FINDING_RULE = CG.BlockingFindingRule
DEPLOYMENT_STRATEGY = CG.DeploymentStrategy
JURISDICTION_RULE = CG.JurisdictionRule
GATE_STAGE = CG.GateStage
CHANGE_TYPE_RULE = CG.ChangeTypeRule
MINIMUM_THRESHOLD = CG.MinimumThreshold
REVISION = CG.Revision

# Identity and description
SHORT_ID = CG.shortId  # "euaia:art-9": the contract id (DESIGN.md, Identifiers)
TITLE = DCTERMS.title
SUMMARY = DCTERMS.description  # own-words summary, never the legal text
CITATION = CG.citation  # e.g. "Art. 26(6)" or "N.Y.C. Admin. Code 20-871"
IN_FRAMEWORK = CG.framework  # requirement -> framework (rdfs:subPropertyOf skos:inScheme)
PART_OF = DCTERMS.isPartOf  # paragraph -> article requirement
ELI_PART_OF = ELI.is_part_of  # EU requirement -> EU_AI_ACT_ELI
ELI_NUMBER = ELI.number
JURISDICTION = CG.jurisdiction  # framework's jurisdiction code: EU, US-CO, US-NYC, ...
PUBLISHER = DCTERMS.publisher
ACTOR_CONCEPT = CG.actorConcept  # informative link to a DPV role concept
SEE_ALSO = RDFS.seeAlso

# Legal status and dates
LEGAL_STATUS = CG.legalStatus  # "in_force" | "upcoming" | "repealed" | "superseded" | "proposed"
APPLIES_FROM = CG.appliesFrom  # xsd:date
APPLIES_TO = CG.appliesTo  # xsd:date, last day it applies (repealed/superseded)
REPLACED_BY = DCTERMS.isReplacedBy

# Provenance of a requirement's content (the text it was checked against, and when)
VERIFIED_ON = CG.verifiedOn  # xsd:date of the last check against dcterms:source (SOURCE_DOC)
VERIFICATION_NOTE = CG.verificationNote  # what could not be verified
STATUS_NOTE = CG.statusNote  # dated note on litigation etc.; informative, not applicability

# Applicability conditions (absent = no restriction on that attribute)
APPLIES_TO_JURISDICTION = CG.appliesToJurisdiction
APPLIES_TO_ROLE = CG.appliesToRole
APPLIES_TO_RISK_CLASS = CG.appliesToRiskClass
APPLIES_TO_USE_CASE = CG.appliesToUseCase
APPLIES_TO_TIER = CG.appliesToTier
REQUIRES_PERSONAL_DATA = CG.requiresPersonalData
REQUIRES_USER_FACING = CG.requiresUserFacing

# Mappings
SOURCE = CG.source
TARGET = CG.target
RELATION_P = CG.relation  # -> one of RELATIONS
STRENGTH = CG.strength  # xsd:integer 0..10 (OLIR scale)
RATIONALE = CG.rationale
RATIONALE_TYPE = CG.rationaleType  # "syntactic" | "semantic" | "functional"
AUTHOR = DCTERMS.creator
CREATED = DCTERMS.created
SOURCE_DOC = DCTERMS.source  # where the mapping comes from (document, file name)
DERIVED_FROM = PROV.wasDerivedFrom  # import activity
IMPORT_ID = CG.importId
SOURCE_FILE_SHA256 = CG.sourceFileSha256
SOURCE_SHEET = CG.sourceSheet
SOURCE_ROW = CG.sourceRow
SKOS_MATCH = CG.skosMatch  # relation individual -> the SKOS mapping property it corresponds to

RELATIONS = {name: CG[name] for name in
             ("equal", "superset", "subset", "intersects", "related", "not_related")}

# Gate profiles
GATE_NAME = CG.gateName  # "deployment"
HAS_ITEM = CG.hasItem
HAS_APPROVAL = CG.hasApproval
HAS_THRESHOLD = CG.hasThreshold
HAS_BLOCKING_FINDING = CG.hasBlockingFinding
HAS_STRATEGY = CG.hasStrategy
HAS_JURISDICTION_RULE = CG.hasJurisdictionRule
HAS_STAGE = CG.hasStage
HAS_CHANGE_TYPE = CG.hasChangeType
HAS_MINIMUM = CG.hasMinimum
STAGE_NAME = CG.stageName  # "staging"
STAGE_POSITION = CG.stagePosition  # xsd:integer, 1 = first stage
CHANGE_TYPE = CG.changeType  # gate.input.ChangeType (and the shapes' sh:in)
REQUIRED_APPROVAL_ROLE = CG.requiredApprovalRole  # change type -> role replacing the tier's approvals
STAGE_ORDER_MIN_TIER = CG.stageOrderMinTier  # lowest tier at which stage order is enforced
TIER_CHANGE_WINDOW_DAYS = CG.tierChangeWindowDays  # xsd:integer
MIN_VALUE = CG.minValue  # xsd:decimal
NEAR_MISS_RATIO = CG.nearMissRatio  # xsd:decimal, e.g. 0.1 = within 10% of a threshold
EVIDENCE_TYPE_P = CG.evidenceType  # item / threshold / rule -> evidence type
MIN_TIER = CG.minTier  # "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"
CONDITION = CG.condition  # system flag that must be true: "personal_data", "user_facing", ...
MAX_AGE_DAYS = CG.maxAgeDays  # xsd:integer freshness window
CONTROL_P = CG.control  # gate item -> control it evidences
REMEDIATION = CG.remediation
APPROVER_ROLE = CG.approverRole  # "ml_lead" | "product_lead" | "compliance"
APPROVAL_SCOPE = CG.approvalScope  # "technical" | "business" | "compliance"
METRIC = CG.metric
MAX_VALUE = CG.maxValue  # xsd:decimal
SEVERITY = CG.severity
FINDING_STATUS = CG.findingStatus
TIER = CG.tier
STRATEGY = CG.strategy
TRIGGER_JURISDICTION = CG.triggerJurisdiction
TRIGGER_USE_CASE = CG.triggerUseCase
TRIGGER_ROLE = CG.triggerRole
TRIGGER_RISK_CLASS = CG.triggerRiskClass
ENFORCES = CG.enforces  # jurisdiction rule -> requirement (its dates decide upcoming vs blocking)

# Revisions (in META_GRAPH)
REVISION_NUMBER = CG.revisionNumber
REVISION_OF_GRAPH = CG.graphState  # revision -> blank node {graph, sha256}
GRAPH_P = CG.graph
SHA256 = CG.sha256
MESSAGE = CG.message

TIERS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
LEGAL_STATUSES = ("in_force", "upcoming", "repealed", "superseded", "proposed")

__all__ = ["CG", "DCTERMS", "ELI", "PROV", "RDF", "RDFS", "SKOS", "XSD"]
