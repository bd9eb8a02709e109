"""Vocabulary of kgrepo's ontology and of those it is aligned with. GENERATED: do not edit.

Written by ``python tools/gen_vocab.py`` from ontology/kgrepo.ttl, ontology/imports/MLSchema.ttl and
ontology/imports/prov-o.ttl; ``python tools/gen_vocab.py --check`` fails when it is out of date.
Python keywords get a trailing underscore (``SH.in_`` is ``sh:in``).
"""

from typing import Final

from pyoxigraph import NamedNode

__all__ = ["KG", "MLS", "OWL", "PROV", "RDF", "RDFS", "SH", "XSD"]


class KG:
    """kgrepo's own terms, declared in ontology/kgrepo.ttl."""

    NS: Final[str] = "https://w3id.org/kgrepo#"

    # individual of Status
    Abandoned: Final = NamedNode("https://w3id.org/kgrepo#Abandoned")
    # class
    Agent: Final = NamedNode("https://w3id.org/kgrepo#Agent")
    # class
    Annotation: Final = NamedNode("https://w3id.org/kgrepo#Annotation")
    # class
    Artifact: Final = NamedNode("https://w3id.org/kgrepo#Artifact")
    # class
    ArtifactKind: Final = NamedNode("https://w3id.org/kgrepo#ArtifactKind")
    # individual of TriggerCause
    CodeChange: Final = NamedNode("https://w3id.org/kgrepo#CodeChange")
    # individual of TriggerCause
    DataChange: Final = NamedNode("https://w3id.org/kgrepo#DataChange")
    # class
    Dataset: Final = NamedNode("https://w3id.org/kgrepo#Dataset")
    # class
    DatasetCharacteristic: Final = NamedNode("https://w3id.org/kgrepo#DatasetCharacteristic")
    # class
    Environment: Final = NamedNode("https://w3id.org/kgrepo#Environment")
    # class
    EvaluationMeasure: Final = NamedNode("https://w3id.org/kgrepo#EvaluationMeasure")
    # class
    Event: Final = NamedNode("https://w3id.org/kgrepo#Event")
    # class
    Executable: Final = NamedNode("https://w3id.org/kgrepo#Executable")
    # class
    Execution: Final = NamedNode("https://w3id.org/kgrepo#Execution")
    # class
    Experiment: Final = NamedNode("https://w3id.org/kgrepo#Experiment")
    # individual of Status
    Failed: Final = NamedNode("https://w3id.org/kgrepo#Failed")
    # class
    Flag: Final = NamedNode("https://w3id.org/kgrepo#Flag")
    # class
    HyperParameter: Final = NamedNode("https://w3id.org/kgrepo#HyperParameter")
    # class
    HyperParameterSetting: Final = NamedNode("https://w3id.org/kgrepo#HyperParameterSetting")
    # individual of TriggerCause
    Manual: Final = NamedNode("https://w3id.org/kgrepo#Manual")
    # class
    Metrics: Final = NamedNode("https://w3id.org/kgrepo#Metrics")
    # class
    Model: Final = NamedNode("https://w3id.org/kgrepo#Model")
    # individual of TriggerCause
    OtherCause: Final = NamedNode("https://w3id.org/kgrepo#OtherCause")
    # class
    Package: Final = NamedNode("https://w3id.org/kgrepo#Package")
    # class
    Person: Final = NamedNode("https://w3id.org/kgrepo#Person")
    # class
    Requirement: Final = NamedNode("https://w3id.org/kgrepo#Requirement")
    # individual of TriggerCause
    RequirementFailure: Final = NamedNode("https://w3id.org/kgrepo#RequirementFailure")
    # class
    Run: Final = NamedNode("https://w3id.org/kgrepo#Run")
    # individual of Status
    Running: Final = NamedNode("https://w3id.org/kgrepo#Running")
    # individual of TriggerCause
    Schedule: Final = NamedNode("https://w3id.org/kgrepo#Schedule")
    # class
    SoftwareAgent: Final = NamedNode("https://w3id.org/kgrepo#SoftwareAgent")
    # class
    Status: Final = NamedNode("https://w3id.org/kgrepo#Status")
    # individual of Status
    Succeeded: Final = NamedNode("https://w3id.org/kgrepo#Succeeded")
    # class
    TriggerCause: Final = NamedNode("https://w3id.org/kgrepo#TriggerCause")
    # class
    Workflow: Final = NamedNode("https://w3id.org/kgrepo#Workflow")
    # datatype property
    algorithm: Final = NamedNode("https://w3id.org/kgrepo#algorithm")
    # object property
    annotation: Final = NamedNode("https://w3id.org/kgrepo#annotation")
    # datatype property
    annotationValue: Final = NamedNode("https://w3id.org/kgrepo#annotationValue")
    # object property
    associatedWith: Final = NamedNode("https://w3id.org/kgrepo#associatedWith")
    # object property
    attributedTo: Final = NamedNode("https://w3id.org/kgrepo#attributedTo")
    # object property
    cause: Final = NamedNode("https://w3id.org/kgrepo#cause")
    # datatype property
    codeRepository: Final = NamedNode("https://w3id.org/kgrepo#codeRepository")
    # datatype property
    codeVersion: Final = NamedNode("https://w3id.org/kgrepo#codeVersion")
    # datatype property
    comparison: Final = NamedNode("https://w3id.org/kgrepo#comparison")
    # object property
    concerns: Final = NamedNode("https://w3id.org/kgrepo#concerns")
    # object property
    consumed: Final = NamedNode("https://w3id.org/kgrepo#consumed")
    # datatype property
    createdAt: Final = NamedNode("https://w3id.org/kgrepo#createdAt")
    # datatype property
    digest: Final = NamedNode("https://w3id.org/kgrepo#digest")
    # object property
    environment: Final = NamedNode("https://w3id.org/kgrepo#environment")
    # datatype property
    errorMessage: Final = NamedNode("https://w3id.org/kgrepo#errorMessage")
    # datatype property
    errorType: Final = NamedNode("https://w3id.org/kgrepo#errorType")
    # object property
    evaluates: Final = NamedNode("https://w3id.org/kgrepo#evaluates")
    # object property
    executes: Final = NamedNode("https://w3id.org/kgrepo#executes")
    # object property
    flags: Final = NamedNode("https://w3id.org/kgrepo#flags")
    # object property
    follows: Final = NamedNode("https://w3id.org/kgrepo#follows")
    # datatype property
    framework: Final = NamedNode("https://w3id.org/kgrepo#framework")
    # datatype property
    frameworkVersion: Final = NamedNode("https://w3id.org/kgrepo#frameworkVersion")
    # object property
    generatedBy: Final = NamedNode("https://w3id.org/kgrepo#generatedBy")
    # datatype property
    goal: Final = NamedNode("https://w3id.org/kgrepo#goal")
    # object property
    hasCharacteristic: Final = NamedNode("https://w3id.org/kgrepo#hasCharacteristic")
    # object property
    hasExecution: Final = NamedNode("https://w3id.org/kgrepo#hasExecution")
    # object property
    hasOutput: Final = NamedNode("https://w3id.org/kgrepo#hasOutput")
    # object property
    hasPackage: Final = NamedNode("https://w3id.org/kgrepo#hasPackage")
    # object property
    hasParameter: Final = NamedNode("https://w3id.org/kgrepo#hasParameter")
    # object property
    hasRun: Final = NamedNode("https://w3id.org/kgrepo#hasRun")
    # object property
    hasSetting: Final = NamedNode("https://w3id.org/kgrepo#hasSetting")
    # datatype property
    hasSortKeys: Final = NamedNode("https://w3id.org/kgrepo#hasSortKeys")
    # datatype property
    host: Final = NamedNode("https://w3id.org/kgrepo#host")
    # datatype property
    inputSchema: Final = NamedNode("https://w3id.org/kgrepo#inputSchema")
    # datatype property
    key: Final = NamedNode("https://w3id.org/kgrepo#key")
    # object property
    measure: Final = NamedNode("https://w3id.org/kgrepo#measure")
    # datatype property
    outputSchema: Final = NamedNode("https://w3id.org/kgrepo#outputSchema")
    # object property
    parameter: Final = NamedNode("https://w3id.org/kgrepo#parameter")
    # datatype property
    pid: Final = NamedNode("https://w3id.org/kgrepo#pid")
    # datatype property
    platform: Final = NamedNode("https://w3id.org/kgrepo#platform")
    # datatype property
    priority: Final = NamedNode("https://w3id.org/kgrepo#priority")
    # datatype property
    pythonVersion: Final = NamedNode("https://w3id.org/kgrepo#pythonVersion")
    # datatype property
    reason: Final = NamedNode("https://w3id.org/kgrepo#reason")
    # object property
    reusedFrom: Final = NamedNode("https://w3id.org/kgrepo#reusedFrom")
    # object property
    reusedOutput: Final = NamedNode("https://w3id.org/kgrepo#reusedOutput")
    # datatype property
    role: Final = NamedNode("https://w3id.org/kgrepo#role")
    # datatype property
    scope: Final = NamedNode("https://w3id.org/kgrepo#scope")
    # datatype property
    signature: Final = NamedNode("https://w3id.org/kgrepo#signature")
    # datatype property
    sortKey: Final = NamedNode("https://w3id.org/kgrepo#sortKey")
    # datatype property
    sortKeyFormat: Final = NamedNode("https://w3id.org/kgrepo#sortKeyFormat")
    # object property
    status: Final = NamedNode("https://w3id.org/kgrepo#status")
    # datatype property
    stepKind: Final = NamedNode("https://w3id.org/kgrepo#stepKind")
    # datatype property
    storageType: Final = NamedNode("https://w3id.org/kgrepo#storageType")
    # datatype property
    threshold: Final = NamedNode("https://w3id.org/kgrepo#threshold")
    # object property
    triggeredBy: Final = NamedNode("https://w3id.org/kgrepo#triggeredBy")
    # datatype property
    uri: Final = NamedNode("https://w3id.org/kgrepo#uri")
    # object property
    used: Final = NamedNode("https://w3id.org/kgrepo#used")
    # datatype property
    value: Final = NamedNode("https://w3id.org/kgrepo#value")
    # datatype property
    version: Final = NamedNode("https://w3id.org/kgrepo#version")


class MLS:
    """ML-Schema terms, declared in ontology/imports/MLSchema.ttl."""

    NS: Final[str] = "http://www.w3.org/ns/mls#"

    # class
    Algorithm: Final = NamedNode("http://www.w3.org/ns/mls#Algorithm")
    # class
    Data: Final = NamedNode("http://www.w3.org/ns/mls#Data")
    # class
    DataCharacteristic: Final = NamedNode("http://www.w3.org/ns/mls#DataCharacteristic")
    # class
    Dataset: Final = NamedNode("http://www.w3.org/ns/mls#Dataset")
    # class
    DatasetCharacteristic: Final = NamedNode("http://www.w3.org/ns/mls#DatasetCharacteristic")
    # class
    EvaluationMeasure: Final = NamedNode("http://www.w3.org/ns/mls#EvaluationMeasure")
    # class
    EvaluationProcedure: Final = NamedNode("http://www.w3.org/ns/mls#EvaluationProcedure")
    # class
    EvaluationSpecification: Final = NamedNode("http://www.w3.org/ns/mls#EvaluationSpecification")
    # class
    Experiment: Final = NamedNode("http://www.w3.org/ns/mls#Experiment")
    # class
    Feature: Final = NamedNode("http://www.w3.org/ns/mls#Feature")
    # class
    FeatureCharacteristic: Final = NamedNode("http://www.w3.org/ns/mls#FeatureCharacteristic")
    # class
    HyperParameter: Final = NamedNode("http://www.w3.org/ns/mls#HyperParameter")
    # class
    HyperParameterSetting: Final = NamedNode("http://www.w3.org/ns/mls#HyperParameterSetting")
    # class
    Implementation: Final = NamedNode("http://www.w3.org/ns/mls#Implementation")
    # class
    ImplementationCharacteristic: Final = NamedNode(
        "http://www.w3.org/ns/mls#ImplementationCharacteristic"
    )
    # class
    InformationEntity: Final = NamedNode("http://www.w3.org/ns/mls#InformationEntity")
    # class
    Model: Final = NamedNode("http://www.w3.org/ns/mls#Model")
    # class
    ModelCharacteristic: Final = NamedNode("http://www.w3.org/ns/mls#ModelCharacteristic")
    # class
    ModelEvaluation: Final = NamedNode("http://www.w3.org/ns/mls#ModelEvaluation")
    # class
    Process: Final = NamedNode("http://www.w3.org/ns/mls#Process")
    # class
    Quality: Final = NamedNode("http://www.w3.org/ns/mls#Quality")
    # class
    Run: Final = NamedNode("http://www.w3.org/ns/mls#Run")
    # class
    Software: Final = NamedNode("http://www.w3.org/ns/mls#Software")
    # class
    Study: Final = NamedNode("http://www.w3.org/ns/mls#Study")
    # class
    Task: Final = NamedNode("http://www.w3.org/ns/mls#Task")
    # object property
    achieves: Final = NamedNode("http://www.w3.org/ns/mls#achieves")
    # object property
    definedOn: Final = NamedNode("http://www.w3.org/ns/mls#definedOn")
    # object property
    defines: Final = NamedNode("http://www.w3.org/ns/mls#defines")
    # object property
    executes: Final = NamedNode("http://www.w3.org/ns/mls#executes")
    # object property
    hasHyperParameter: Final = NamedNode("http://www.w3.org/ns/mls#hasHyperParameter")
    # object property
    hasInput: Final = NamedNode("http://www.w3.org/ns/mls#hasInput")
    # object property
    hasOutput: Final = NamedNode("http://www.w3.org/ns/mls#hasOutput")
    # object property
    hasPart: Final = NamedNode("http://www.w3.org/ns/mls#hasPart")
    # object property
    hasQuality: Final = NamedNode("http://www.w3.org/ns/mls#hasQuality")
    # datatype property
    hasValue: Final = NamedNode("http://www.w3.org/ns/mls#hasValue")
    # object property
    implements: Final = NamedNode("http://www.w3.org/ns/mls#implements")
    # object property
    realizes: Final = NamedNode("http://www.w3.org/ns/mls#realizes")
    # object property
    specifiedBy: Final = NamedNode("http://www.w3.org/ns/mls#specifiedBy")


class PROV:
    """PROV-O terms, declared in ontology/imports/prov-o.ttl."""

    NS: Final[str] = "http://www.w3.org/ns/prov#"

    # class
    Activity: Final = NamedNode("http://www.w3.org/ns/prov#Activity")
    # class
    ActivityInfluence: Final = NamedNode("http://www.w3.org/ns/prov#ActivityInfluence")
    # class
    Agent: Final = NamedNode("http://www.w3.org/ns/prov#Agent")
    # class
    AgentInfluence: Final = NamedNode("http://www.w3.org/ns/prov#AgentInfluence")
    # class
    Association: Final = NamedNode("http://www.w3.org/ns/prov#Association")
    # class
    Attribution: Final = NamedNode("http://www.w3.org/ns/prov#Attribution")
    # class
    Bundle: Final = NamedNode("http://www.w3.org/ns/prov#Bundle")
    # class
    Collection: Final = NamedNode("http://www.w3.org/ns/prov#Collection")
    # class
    Communication: Final = NamedNode("http://www.w3.org/ns/prov#Communication")
    # class
    Delegation: Final = NamedNode("http://www.w3.org/ns/prov#Delegation")
    # class
    Derivation: Final = NamedNode("http://www.w3.org/ns/prov#Derivation")
    # class
    EmptyCollection: Final = NamedNode("http://www.w3.org/ns/prov#EmptyCollection")
    # class
    End: Final = NamedNode("http://www.w3.org/ns/prov#End")
    # class
    Entity: Final = NamedNode("http://www.w3.org/ns/prov#Entity")
    # class
    EntityInfluence: Final = NamedNode("http://www.w3.org/ns/prov#EntityInfluence")
    # class
    Generation: Final = NamedNode("http://www.w3.org/ns/prov#Generation")
    # class
    Influence: Final = NamedNode("http://www.w3.org/ns/prov#Influence")
    # class
    InstantaneousEvent: Final = NamedNode("http://www.w3.org/ns/prov#InstantaneousEvent")
    # class
    Invalidation: Final = NamedNode("http://www.w3.org/ns/prov#Invalidation")
    # class
    Location: Final = NamedNode("http://www.w3.org/ns/prov#Location")
    # class
    Organization: Final = NamedNode("http://www.w3.org/ns/prov#Organization")
    # class
    Person: Final = NamedNode("http://www.w3.org/ns/prov#Person")
    # class
    Plan: Final = NamedNode("http://www.w3.org/ns/prov#Plan")
    # class
    PrimarySource: Final = NamedNode("http://www.w3.org/ns/prov#PrimarySource")
    # class
    Quotation: Final = NamedNode("http://www.w3.org/ns/prov#Quotation")
    # class
    Revision: Final = NamedNode("http://www.w3.org/ns/prov#Revision")
    # class
    Role: Final = NamedNode("http://www.w3.org/ns/prov#Role")
    # class
    SoftwareAgent: Final = NamedNode("http://www.w3.org/ns/prov#SoftwareAgent")
    # class
    Start: Final = NamedNode("http://www.w3.org/ns/prov#Start")
    # class
    Usage: Final = NamedNode("http://www.w3.org/ns/prov#Usage")
    # object property
    actedOnBehalfOf: Final = NamedNode("http://www.w3.org/ns/prov#actedOnBehalfOf")
    # object property
    activity: Final = NamedNode("http://www.w3.org/ns/prov#activity")
    # object property
    agent: Final = NamedNode("http://www.w3.org/ns/prov#agent")
    # object property
    alternateOf: Final = NamedNode("http://www.w3.org/ns/prov#alternateOf")
    # annotation property
    aq: Final = NamedNode("http://www.w3.org/ns/prov#aq")
    # object property
    atLocation: Final = NamedNode("http://www.w3.org/ns/prov#atLocation")
    # datatype property
    atTime: Final = NamedNode("http://www.w3.org/ns/prov#atTime")
    # annotation property
    category: Final = NamedNode("http://www.w3.org/ns/prov#category")
    # annotation property
    component: Final = NamedNode("http://www.w3.org/ns/prov#component")
    # annotation property
    constraints: Final = NamedNode("http://www.w3.org/ns/prov#constraints")
    # annotation property
    definition: Final = NamedNode("http://www.w3.org/ns/prov#definition")
    # annotation property
    dm: Final = NamedNode("http://www.w3.org/ns/prov#dm")
    # annotation property
    editorialNote: Final = NamedNode("http://www.w3.org/ns/prov#editorialNote")
    # annotation property
    editorsDefinition: Final = NamedNode("http://www.w3.org/ns/prov#editorsDefinition")
    # datatype property
    endedAtTime: Final = NamedNode("http://www.w3.org/ns/prov#endedAtTime")
    # object property
    entity: Final = NamedNode("http://www.w3.org/ns/prov#entity")
    # object property
    generated: Final = NamedNode("http://www.w3.org/ns/prov#generated")
    # datatype property
    generatedAtTime: Final = NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
    # object property
    hadActivity: Final = NamedNode("http://www.w3.org/ns/prov#hadActivity")
    # object property
    hadGeneration: Final = NamedNode("http://www.w3.org/ns/prov#hadGeneration")
    # object property
    hadMember: Final = NamedNode("http://www.w3.org/ns/prov#hadMember")
    # object property
    hadPlan: Final = NamedNode("http://www.w3.org/ns/prov#hadPlan")
    # object property
    hadPrimarySource: Final = NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")
    # object property
    hadRole: Final = NamedNode("http://www.w3.org/ns/prov#hadRole")
    # object property
    hadUsage: Final = NamedNode("http://www.w3.org/ns/prov#hadUsage")
    # object property
    influenced: Final = NamedNode("http://www.w3.org/ns/prov#influenced")
    # object property
    influencer: Final = NamedNode("http://www.w3.org/ns/prov#influencer")
    # object property
    invalidated: Final = NamedNode("http://www.w3.org/ns/prov#invalidated")
    # datatype property
    invalidatedAtTime: Final = NamedNode("http://www.w3.org/ns/prov#invalidatedAtTime")
    # annotation property
    inverse: Final = NamedNode("http://www.w3.org/ns/prov#inverse")
    # annotation property
    n: Final = NamedNode("http://www.w3.org/ns/prov#n")
    # annotation property
    order: Final = NamedNode("http://www.w3.org/ns/prov#order")
    # object property
    qualifiedAssociation: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedAssociation")
    # object property
    qualifiedAttribution: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedAttribution")
    # object property
    qualifiedCommunication: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedCommunication")
    # object property
    qualifiedDelegation: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedDelegation")
    # object property
    qualifiedDerivation: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedDerivation")
    # object property
    qualifiedEnd: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedEnd")
    # annotation property
    qualifiedForm: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedForm")
    # object property
    qualifiedGeneration: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedGeneration")
    # object property
    qualifiedInfluence: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedInfluence")
    # object property
    qualifiedInvalidation: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedInvalidation")
    # object property
    qualifiedPrimarySource: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedPrimarySource")
    # object property
    qualifiedQuotation: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedQuotation")
    # object property
    qualifiedRevision: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedRevision")
    # object property
    qualifiedStart: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedStart")
    # object property
    qualifiedUsage: Final = NamedNode("http://www.w3.org/ns/prov#qualifiedUsage")
    # annotation property
    sharesDefinitionWith: Final = NamedNode("http://www.w3.org/ns/prov#sharesDefinitionWith")
    # annotation property, object property
    specializationOf: Final = NamedNode("http://www.w3.org/ns/prov#specializationOf")
    # datatype property
    startedAtTime: Final = NamedNode("http://www.w3.org/ns/prov#startedAtTime")
    # annotation property
    todo: Final = NamedNode("http://www.w3.org/ns/prov#todo")
    # annotation property
    unqualifiedForm: Final = NamedNode("http://www.w3.org/ns/prov#unqualifiedForm")
    # object property
    used: Final = NamedNode("http://www.w3.org/ns/prov#used")
    # datatype property
    value: Final = NamedNode("http://www.w3.org/ns/prov#value")
    # object property
    wasAssociatedWith: Final = NamedNode("http://www.w3.org/ns/prov#wasAssociatedWith")
    # object property
    wasAttributedTo: Final = NamedNode("http://www.w3.org/ns/prov#wasAttributedTo")
    # object property
    wasDerivedFrom: Final = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    # object property
    wasEndedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasEndedBy")
    # object property
    wasGeneratedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy")
    # object property
    wasInfluencedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasInfluencedBy")
    # object property
    wasInformedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasInformedBy")
    # object property
    wasInvalidatedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasInvalidatedBy")
    # object property
    wasQuotedFrom: Final = NamedNode("http://www.w3.org/ns/prov#wasQuotedFrom")
    # annotation property, object property
    wasRevisionOf: Final = NamedNode("http://www.w3.org/ns/prov#wasRevisionOf")
    # object property
    wasStartedBy: Final = NamedNode("http://www.w3.org/ns/prov#wasStartedBy")


class RDF:
    """RDF terms kgrepo uses."""

    NS: Final[str] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

    type: Final = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


class RDFS:
    """RDF Schema terms kgrepo uses."""

    NS: Final[str] = "http://www.w3.org/2000/01/rdf-schema#"

    Literal: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#Literal")
    comment: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    domain: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#domain")
    label: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    range: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#range")
    subClassOf: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    subPropertyOf: Final = NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")


class XSD:
    """XML Schema datatypes kgrepo writes."""

    NS: Final[str] = "http://www.w3.org/2001/XMLSchema#"

    anyURI: Final = NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")
    boolean: Final = NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
    dateTime: Final = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    decimal: Final = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    double: Final = NamedNode("http://www.w3.org/2001/XMLSchema#double")
    integer: Final = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    string: Final = NamedNode("http://www.w3.org/2001/XMLSchema#string")


class OWL:
    """OWL terms kgrepo uses."""

    NS: Final[str] = "http://www.w3.org/2002/07/owl#"

    Class: Final = NamedNode("http://www.w3.org/2002/07/owl#Class")
    DatatypeProperty: Final = NamedNode("http://www.w3.org/2002/07/owl#DatatypeProperty")
    NamedIndividual: Final = NamedNode("http://www.w3.org/2002/07/owl#NamedIndividual")
    ObjectProperty: Final = NamedNode("http://www.w3.org/2002/07/owl#ObjectProperty")


class SH:
    """The SHACL subset of ontology/shapes.ttl (the only features kgrepo's validator supports)."""

    NS: Final[str] = "http://www.w3.org/ns/shacl#"

    IRI: Final = NamedNode("http://www.w3.org/ns/shacl#IRI")
    Literal: Final = NamedNode("http://www.w3.org/ns/shacl#Literal")
    NodeShape: Final = NamedNode("http://www.w3.org/ns/shacl#NodeShape")
    datatype: Final = NamedNode("http://www.w3.org/ns/shacl#datatype")
    flags: Final = NamedNode("http://www.w3.org/ns/shacl#flags")
    in_: Final = NamedNode("http://www.w3.org/ns/shacl#in")
    maxCount: Final = NamedNode("http://www.w3.org/ns/shacl#maxCount")
    message: Final = NamedNode("http://www.w3.org/ns/shacl#message")
    minCount: Final = NamedNode("http://www.w3.org/ns/shacl#minCount")
    minLength: Final = NamedNode("http://www.w3.org/ns/shacl#minLength")
    name: Final = NamedNode("http://www.w3.org/ns/shacl#name")
    nodeKind: Final = NamedNode("http://www.w3.org/ns/shacl#nodeKind")
    path: Final = NamedNode("http://www.w3.org/ns/shacl#path")
    pattern: Final = NamedNode("http://www.w3.org/ns/shacl#pattern")
    property: Final = NamedNode("http://www.w3.org/ns/shacl#property")
    targetClass: Final = NamedNode("http://www.w3.org/ns/shacl#targetClass")
