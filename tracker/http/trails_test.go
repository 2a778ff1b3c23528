package http_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

// kosliTrail reads get trail as Kosli's printTrailAsTable does: the
// commit's sha1, author and message strings and timestamp a number, every
// event's type a string and timestamp a number.
func kosliTrail(t *testing.T, m map[string]any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Kosli's CLI would panic on %v: %v", m, r)
		}
	}()
	_ = m["name"].(string)
	_ = m["compliance_state"].(string)
	if gc, ok := m["git_commit_info"]; ok {
		g := gc.(map[string]any)
		_, _, _, _ = g["sha1"].(string), g["author"].(string), g["message"].(string), g["timestamp"].(float64)
	}
	for _, ev := range m["events"].([]any) {
		e := ev.(map[string]any)
		_, _ = e["type"].(string), e["timestamp"].(float64)
	}
}

func TestTrailsAttestationsAndSearch(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "app", "template": []string{"unit"}}, 201)
	commit := newCommit
	begin := map[string]any{"name": "t1", "description": "desc", "user_data": map[string]any{"k": []int{1, 2}},
		"git_commit_info": map[string]any{"sha1": commit, "message": "first commit", "author": "Jane Doe <j@x.com>", "timestamp": 1796153450, "branch": "main", "url": "https://github.com/acme/app/commit/" + commit},
		"repo_info":       map[string]any{"url": "https://github.com/acme/app", "name": "acme/app", "id": "42", "provider": "github"},
		"external_urls":   map[string]any{"jira": map[string]any{"href": "https://j/1"}}, "origin_url": "https://ci/1"}
	e.ok("PUT", "/api/v2/trails/acme/app", multipartReq(t, begin, nil), 201)
	e.ok("PUT", "/api/v2/trails/acme/app", multipartReq(t, map[string]any{"name": "t1"}, nil), 200)

	got := e.ok("GET", "/api/v2/trails/acme/app/t1", nil, 200).Object(t)
	kosliTrail(t, got)
	gc := got["git_commit_info"].(map[string]any)
	if gc["sha1"] != commit || gc["author"] != "Jane Doe <j@x.com>" || got["origin_url"] != "https://ci/1" || got["description"] != "desc" ||
		got["user_data"].(map[string]any)["k"] == nil || got["repo_info"].(map[string]any)["id"] != "42" || got["compliance_state"] != "INCOMPLETE" {
		t.Fatalf("trail = %v", got)
	}

	// The artifact under its template name, then attestations bound to it
	// by target_artifacts alone: its compliance follows.
	fp := storetest.FP("app1")
	e.ok("POST", "/api/v2/artifacts/acme/app", map[string]any{"fingerprint": fp, "filename": "app.bin", "git_commit": commit,
		"template_reference_name": "server", "trail_name": "t1", "build_url": "b", "commit_url": "c", "repo_url": ""}, 201)
	state := func() string {
		return e.ok("GET", "/api/v2/artifacts/acme/app/fingerprint/"+fp, nil, 200).Object(t)["state"].(string)
	}
	if s := state(); s != "INCOMPLETE" {
		t.Fatalf("before evidence: %s", s)
	}
	e.ok("POST", "/api/v2/attestations/acme/app/trail/t1/junit", multipartReq(t, map[string]any{"attestation_name": "unit", "target_artifacts": []string{"server"}, "user_data": map[string]any{},
		"junit_results": []any{map[string]any{"name": "s", "failures": 1, "errors": 0, "skipped": 0, "total": 7, "duration": 0.5}}}, nil), 201)
	if s := state(); s != "NON-COMPLIANT" {
		t.Fatalf("after a failing junit bound by target_artifacts: %s", s)
	}
	junit := e.ok("GET", "/api/v2/attestations/acme/app/artifact/"+fp+"/unit", nil, 200).Array(t)
	var data struct {
		JUnit []struct{ Tests, Total int } `json:"junit_results"`
	}
	raw, _ := json.Marshal(junit[0].(map[string]any)["attestation_data"])
	if json.Unmarshal(raw, &data); len(data.JUnit) != 1 || data.JUnit[0].Tests != 7 {
		t.Fatalf("junit_results[].total not read: %s", raw)
	}
	e.ok("POST", "/api/v2/attestations/acme/app/trail/t1/junit", multipartReq(t, map[string]any{"attestation_name": "unit", "target_artifacts": []string{"server"},
		"junit_results": []any{map[string]any{"name": "s", "failures": 0, "errors": 0, "skipped": 0, "total": 7, "duration": 0.5}}}, nil), 201)
	if s := state(); s != "COMPLIANT" {
		t.Fatalf("after a passing junit: %s", s)
	}
	snyk := func(high int) map[string]any {
		return map[string]any{"attestation_name": "snyk", "artifact_fingerprint": fp, "snyk_results": map[string]any{"schema_version": 1,
			"tool": map[string]any{"name": "snyk"}, "results": []any{map[string]any{"high_count": high, "medium_count": 0, "low_count": 0}}}}
	}
	if c := e.ok("POST", "/api/v2/attestations/acme/app/trail/t1/snyk", multipartReq(t, snyk(2), nil), 201).Object(t)["is_compliant"]; c != false {
		t.Fatalf("snyk with 2 highs: is_compliant %v", c)
	}
	if s := state(); s != "NON-COMPLIANT" {
		t.Fatalf("after snyk with highs: %s", s)
	}
	e.ok("POST", "/api/v2/attestations/acme/app/trail/t1/snyk", multipartReq(t, snyk(0), nil), 201)

	// get trail now: COMPLIANT, the artifact under its template name.
	got = e.ok("GET", "/api/v2/trails/acme/app/t1", nil, 200).Object(t)
	kosliTrail(t, got)
	arts := got["compliance_status"].(map[string]any)["artifacts_statuses"].(map[string]any)
	if got["compliance_state"] != "COMPLIANT" || arts["server"].(map[string]any)["is_compliant"] != true {
		t.Fatalf("trail after evidence = %v", got)
	}
	var types []string
	for _, ev := range got["events"].([]any) {
		types = append(types, ev.(map[string]any)["type"].(string))
	}
	if strings.Join(types, ",") != "trail_reported,artifact_creation_reported,artifact_attestation_reported,artifact_attestation_reported" {
		t.Fatalf("events = %v", types)
	}

	// list trails: Kosli's envelope, newest first, filters.
	e.ok("PUT", "/api/v2/trails/acme/app", multipartReq(t, map[string]any{"name": "t2"}, nil), 201)
	var list struct {
		Data []struct {
			Name            string  `json:"name"`
			Description     *string `json:"description"`
			ComplianceState string  `json:"compliance_state"`
		} `json:"data"`
		Pagination struct{ Page, PageCount, Total float64 } `json:"pagination"`
	}
	decode(t, e.ok("GET", "/api/v2/trails/acme?page=1&per_page=20&flow=app", nil, 200).Body, &list)
	if len(list.Data) != 2 || list.Data[0].Name != "t2" || list.Data[1].ComplianceState != "COMPLIANT" {
		t.Fatalf("list trails = %+v", list)
	}
	decode(t, e.ok("GET", "/api/v2/trails/acme?page=1&per_page=20&fingerprint="+fp, nil, 200).Body, &list)
	if len(list.Data) != 1 || list.Data[0].Name != "t1" {
		t.Fatalf("list trails by fingerprint = %+v", list)
	}
	decode(t, e.ok("GET", "/api/v2/trails/acme?page=1&per_page=20&flow=nope", nil, 200).Body, &list)
	if len(list.Data) != 0 {
		t.Fatalf("list trails of an unknown flow = %+v", list)
	}

	// search: a commit or fingerprint prefix.
	var found struct {
		ResolvedTo struct {
			Type      string `json:"type"`
			FullMatch string `json:"full_match"`
			Commits   struct {
				Count int `json:"count"`
			} `json:"commits"`
		} `json:"resolved_to"`
		Artifacts []struct {
			Fingerprint     string   `json:"fingerprint"`
			Flow            string   `json:"flow"`
			HasProvenance   bool     `json:"has_provenance"`
			ComplianceState string   `json:"compliance_state"`
			RunningIn       []string `json:"running_in"`
			History         []struct {
				Event     string  `json:"event"`
				Timestamp float64 `json:"timestamp"`
			} `json:"history"`
		} `json:"artifacts"`
	}
	decode(t, e.ok("GET", "/api/v2/search/acme/sha/"+fp[:10], nil, 200).Body, &found)
	if found.ResolvedTo.Type != "fingerprint" || found.ResolvedTo.FullMatch != fp || len(found.Artifacts) != 1 || found.Artifacts[0].ComplianceState != "COMPLIANT" {
		t.Fatalf("search by fingerprint = %+v", found)
	}
	decode(t, e.ok("GET", "/api/v2/search/acme/sha/"+commit[:8], nil, 200).Body, &found)
	if found.ResolvedTo.Type != "commit" || found.ResolvedTo.FullMatch != commit || found.ResolvedTo.Commits.Count != 1 || len(found.Artifacts) != 1 {
		t.Fatalf("search by commit = %+v", found)
	}

	// get attestation: by name on the trail, by id.
	byName := e.ok("GET", "/api/v2/attestations/acme/app/trail/t1/snyk", nil, 200).Array(t)
	if len(byName) != 2 {
		t.Fatalf("by name: %d attestations, want 2", len(byName))
	}
	id := byName[1].(map[string]any)["attestation_id"].(string)
	var byID struct {
		Data []struct {
			AttestationID   string  `json:"attestation_id"`
			AttestationName string  `json:"attestation_name"`
			AttestationType string  `json:"attestation_type"`
			IsCompliant     bool    `json:"is_compliant"`
			CreatedAt       float64 `json:"created_at"`
			Fingerprint     string  `json:"artifact_fingerprint"`
		} `json:"data"`
	}
	decode(t, e.ok("GET", "/api/v2/attestations/acme?attestation_id="+id, nil, 200).Body, &byID)
	if len(byID.Data) != 1 || byID.Data[0].AttestationType != "snyk" || !byID.Data[0].IsCompliant || byID.Data[0].Fingerprint != fp || byID.Data[0].CreatedAt == 0 {
		t.Fatalf("by id = %+v", byID)
	}
	decode(t, e.ok("GET", "/api/v2/attestations/acme?attestation_id=99999", nil, 200).Body, &byID)
	if len(byID.Data) != 0 {
		t.Fatalf("unknown id = %+v", byID)
	}
	if got := e.ok("GET", "/api/v2/attestations/acme/app/trail/t1/nothing", nil, 200).Array(t); len(got) != 0 {
		t.Fatalf("unknown name = %v", got)
	}

	// Bad input: a 4xx naming the problem, nothing stored.
	// Two artifacts whose fingerprints share the prefix abcde.
	for i, fp := range []string{"abcde1" + storetest.FP("a")[6:], "abcde2" + storetest.FP("b")[6:]} {
		e.ok("POST", "/api/v2/artifacts/acme/app", map[string]any{"fingerprint": fp, "filename": "b", "git_commit": strings.Repeat(string(rune('1'+i)), 40), "trail_name": "t2"}, 201)
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		code               int
		msg                string
	}{
		{"unknown trail", "GET", "/api/v2/trails/acme/app/nope", nil, 404, "Trail with name 'nope' does not exist for Organization 'acme' and Flow 'app'"},
		{"unknown trail attestations", "GET", "/api/v2/attestations/acme/app/trail/nope/unit", nil, 404, "Trail with name 'nope' does not exist"},
		{"bad external url", "PUT", "/api/v2/trails/acme/app", multipartReq(t, map[string]any{"name": "t3", "external_urls": map[string]any{"x": map[string]any{"href": "h", "fingerprint": "abcd"}}}, nil), 400, "Input payload validation failed"},
		{"no such target", "POST", "/api/v2/attestations/acme/app/trail/t1/generic", multipartReq(t, map[string]any{"attestation_name": "g", "target_artifacts": []string{"db"}}, nil), 404, `no artifact named "db"`},
		{"unknown fingerprint", "POST", "/api/v2/attestations/acme/app/trail/t1/generic", multipartReq(t, map[string]any{"attestation_name": "g", "artifact_fingerprint": storetest.FP("zz")}, nil), 404,
			"Artifact with fingerprint " + storetest.FP("zz") + ` does not exist in trail "t1" of flow "app" belonging to organization "acme"`},
		{"snyk without results", "POST", "/api/v2/attestations/acme/app/trail/t1/snyk", multipartReq(t, map[string]any{"attestation_name": "g", "artifact_fingerprint": fp}, nil), 400, "snyk_results"},
		{"search no match", "GET", "/api/v2/search/acme/sha/fffff", nil, 404, "No matches for 'fffff'."},
		{"search ambiguous", "GET", "/api/v2/search/acme/sha/abcde", nil, 400, `"abcde" is ambiguous: it matches fingerprint abcde1`},
		{"search too short", "GET", "/api/v2/search/acme/sha/abc", nil, 400, "too short"},
		{"bad attestation id", "GET", "/api/v2/attestations/acme?attestation_id=x", nil, 400, "attestation_id"},
	} {
		r := e.do(c.method, c.path, e.token, c.body)
		if msg, _ := r.Object(t)["message"].(string); r.Status != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s, want %d %q", c.name, r.Status, r.Body, c.code, c.msg)
		}
	}
	if r := e.do("GET", "/api/v2/trails/acme/app/t3", e.token, nil); r.Status != 404 {
		t.Errorf("trail with a bad external url was stored")
	}
	if got := e.ok("GET", "/api/v2/attestations/acme/app/trail/t1/g", nil, 200).Array(t); len(got) != 0 {
		t.Errorf("refused attestations were stored: %v", got)
	}
}
