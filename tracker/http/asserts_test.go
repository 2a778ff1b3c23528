package http_test

import (
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

// kosliAssert reads an assert artifact response the way Kosli's CLI does
// (assertArtifact.go printAssertAsTable): type assertions on a generic
// map, which panic on a wrong type, so a bad field fails the test here.
func kosliAssert(t *testing.T, body map[string]any) (compliant bool, scope string, flows []map[string]any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Kosli's CLI would panic on %v: %v", body, r)
		}
	}()
	compliant = body["compliant"].(bool)
	scope = body["scope"].(string)
	if scope == "environment" {
		_ = body["environment"].(string)
	}
	if scope == "environment" || scope == "policy" {
		_ = body["policy_evaluations"].([]any)
	}
	for _, f := range body["flows"].([]any) {
		m := f.(map[string]any)
		_ = m["flow"].(string)
		_ = m["html_url"].(string)
		for _, s := range m["compliance_status"].(map[string]any)["attestations_statuses"].([]any) {
			_ = s.(map[string]any)
		}
		flows = append(flows, m)
	}
	return compliant, scope, flows
}

func attestationStatuses(f map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, s := range f["compliance_status"].(map[string]any)["attestations_statuses"].([]any) {
		m := s.(map[string]any)
		out[m["attestation_name"].(string)] = m
	}
	return out
}

func TestAssertArtifact(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	fp := storetest.FP("new")

	// Flow scope, template branch-coverage not yet reported: refused.
	compliant, scope, flows := kosliAssert(t, e.ok("GET", "/api/v2/asserts/acme/fingerprint/"+fp+"?flow_name=runner", nil, 200).Object(t))
	if compliant || scope != "flow" || len(flows) != 1 || flows[0]["flow"] != "runner" {
		t.Fatalf("before evidence: compliant=%v scope=%s flows=%v", compliant, scope, flows)
	}
	if !strings.Contains(flows[0]["html_url"].(string), "/acme/flows/runner/artifacts/"+fp) {
		t.Fatalf("html_url = %v", flows[0]["html_url"])
	}
	st := attestationStatuses(flows[0])
	if st["branch-coverage"]["status"] != "MISSING" || st["branch-coverage"]["is_compliant"] != false {
		t.Fatalf("missing attestation = %v", st)
	}

	// A failing attestation keeps it refused; a passing one lets it on.
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/generic",
		multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": fp, "is_compliant": false}, nil), 201)
	compliant, _, flows = kosliAssert(t, e.ok("GET", "/api/v2/asserts/acme/fingerprint/"+fp, nil, 200).Object(t))
	st = attestationStatuses(flows[0])
	if compliant || st["branch-coverage"]["status"] != "COMPLETE" || st["branch-coverage"]["is_compliant"] != false {
		t.Fatalf("failing attestation: compliant=%v %v", compliant, st)
	}
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/generic",
		multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": fp, "is_compliant": true}, nil), 201)
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/generic",
		multipartReq(t, map[string]any{"attestation_name": "extra", "artifact_fingerprint": fp, "is_compliant": true}, nil), 201)
	compliant, scope, flows = kosliAssert(t, e.ok("GET", "/api/v2/asserts/acme/fingerprint/"+fp+"?environment_name=aws-prod", nil, 200).Object(t))
	st = attestationStatuses(flows[0])
	if !compliant || scope != "environment" || st["branch-coverage"]["is_compliant"] != true || st["extra"]["unexpected"] != true {
		t.Fatalf("after passing evidence: compliant=%v scope=%s %v", compliant, scope, st)
	}

	// Bad input: a 4xx naming the problem, Kosli's exact words where its
	// CLI tests pin them.
	unknown := storetest.FP("nobody")
	for _, c := range []struct {
		name, path string
		status     int
		msg        string
	}{
		{"unknown in flow", "/api/v2/asserts/acme/fingerprint/" + unknown + "?flow_name=runner", 404,
			"Artifact with fingerprint '" + unknown + "' does not exist in flow 'runner' belonging to organization 'acme'"},
		{"unknown in org", "/api/v2/asserts/acme/fingerprint/" + unknown, 404, "Artifact with fingerprint '" + unknown + "' does not exist in organization 'acme'"},
		{"short fingerprint", "/api/v2/asserts/acme/fingerprint/" + fp[:12], 400, "want 64 hex digits"},
		{"unknown environment", "/api/v2/asserts/acme/fingerprint/" + fp + "?environment_name=mars", 404, "mars"},
		{"unknown flow", "/api/v2/asserts/acme/fingerprint/" + fp + "?flow_name=nope", 404, "flow nope not found"},
		{"policy", "/api/v2/asserts/acme/fingerprint/" + fp + "?policy_name=p1", 400, "no policies"},
	} {
		r := e.do("GET", c.path, e.token, nil)
		msg, _ := r.Object(t)["message"].(string)
		if r.Status != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, r.Status, msg, c.status, c.msg)
		}
	}
}
