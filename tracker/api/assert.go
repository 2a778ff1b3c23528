package api

import (
	"strconv"

	"github.com/minitwit-cd/kit/tracker/model"
)

// ArtifactAssertion is the answer of assert artifact
// (GET /api/v2/asserts/{org}/fingerprint/{fp}?flow_name=&environment_name=):
// Kosli's shape, which its CLI reads with type assertions, so compliant,
// scope, environment, policy_evaluations and flows are always present.
type ArtifactAssertion struct {
	Compliant         bool               `json:"compliant"`
	Scope             string             `json:"scope"`
	Environment       string             `json:"environment"`
	Fingerprint       string             `json:"fingerprint"`
	PolicyEvaluations []PolicyEvaluation `json:"policy_evaluations"`
	Flows             []AssertedFlow     `json:"flows"`
}

// PolicyEvaluation is one environment policy's verdict. The tracker
// attaches no policies, so the list is always empty; the type is here so
// that clients decode Kosli's full shape.
type PolicyEvaluation struct {
	PolicyName      string `json:"policy_name"`
	Status          string `json:"status"`
	RuleEvaluations []any  `json:"rule_evaluations"`
}

// AssertedFlow is the artifact as one flow holding it sees it.
type AssertedFlow struct {
	Flow             string           `json:"flow"`
	Trail            string           `json:"trail"`
	ArtifactName     string           `json:"artifact_name"`
	HTMLURL          string           `json:"html_url"`
	ComplianceStatus ComplianceStatus `json:"compliance_status"`
}

// ComplianceStatus is an artifact's (or a trail's) compliance with the
// status of each attestation its template asks for, plus any unexpected.
type ComplianceStatus struct {
	Status               string              `json:"status"`
	IsCompliant          bool                `json:"is_compliant"`
	AttestationsStatuses []AttestationStatus `json:"attestations_statuses"`
}

// AttestationStatus is one row of attestations_statuses: status COMPLETE
// when reported, MISSING when the template asks for it and it is not;
// attestation_id is null when missing.
type AttestationStatus struct {
	AttestationName string  `json:"attestation_name"`
	AttestationType string  `json:"attestation_type"`
	AttestationID   *string `json:"attestation_id"`
	Status          string  `json:"status"`
	IsCompliant     bool    `json:"is_compliant"`
	Unexpected      bool    `json:"unexpected"`
}

// Attestation statuses.
const (
	StatusComplete = "COMPLETE"
	StatusMissing  = "MISSING"
)

// FromAttestationStatuses converts a view's attestation statuses.
func FromAttestationStatuses(v model.ArtifactView) []AttestationStatus {
	out := []AttestationStatus{}
	for _, s := range v.AttestationStatuses() {
		row := AttestationStatus{AttestationName: s.Name, Status: StatusMissing, Unexpected: s.Unexpected}
		if s.Present {
			id := strconv.FormatInt(s.Evidence.ID, 10)
			row.AttestationType, row.AttestationID = s.Evidence.Type, &id
			row.Status, row.IsCompliant = StatusComplete, s.Evidence.Compliant
		}
		out = append(out, row)
	}
	return out
}

// FromAssertion converts an assertion; htmlURL gives each flow's artifact
// page.
func FromAssertion(a model.Assertion, htmlURL func(model.Artifact) string) ArtifactAssertion {
	out := ArtifactAssertion{Compliant: a.Compliant, Scope: a.Scope, Environment: a.Environment, Fingerprint: a.Fingerprint,
		PolicyEvaluations: []PolicyEvaluation{}, Flows: []AssertedFlow{}}
	for _, v := range a.Flows {
		out.Flows = append(out.Flows, AssertedFlow{
			Flow: v.Artifact.Flow, Trail: v.Artifact.Trail, ArtifactName: v.Artifact.Name, HTMLURL: htmlURL(v.Artifact),
			ComplianceStatus: ComplianceStatus{Status: v.State, IsCompliant: v.State == model.Compliant, AttestationsStatuses: FromAttestationStatuses(v)},
		})
	}
	return out
}
