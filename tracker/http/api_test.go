package http_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/simreport"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

func TestReadyVersionMetrics(t *testing.T) {
	e := newEnv(t)
	// Kosli's status prints the body as is and its goldens want "OK\n".
	if r := e.do("GET", "/ready", "", nil); r.Status != 200 || string(r.Body) != "OK" {
		t.Fatalf("ready = %d %s", r.Status, r.Body)
	}
	v := e.do("GET", "/version", "", nil).Object(t)
	if _, ok := v["version"].(string); !ok {
		t.Fatalf("version = %v", v)
	}
	e.seed()
	m := e.do("GET", "/metrics", "", nil)
	if m.Status != 200 || !strings.Contains(string(m.Body), `tracker_http_requests_total{code="201",method="PUT",route="/api/v2/flows/:org"} 2`) {
		t.Fatalf("metrics:\n%s", m.Body)
	}
}

// TestShapes decodes every response into map[string]any and checks the
// fields Kosli's CLI reads without nil checks have the right JSON types.
func TestShapes(t *testing.T) {
	e := newEnv(t)
	if got := e.ok("GET", "/api/v2/flows/acme", nil, 200).Array(t); len(got) != 0 {
		t.Fatalf("empty flow list = %v", got)
	}
	for _, p := range []string{"/api/v2/environments/acme", "/api/v2/artifacts/acme"} {
		if r := e.ok("GET", p, nil, 200); strings.TrimSpace(string(r.Body)) != "[]" {
			t.Fatalf("%s = %s, want []", p, r.Body)
		}
	}
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	e.report("aws-beta", 201, replicas("new", 2, 100))
	e.report("aws-beta", 201, replicas("new", 1, 100))
	e.report("aws-beta", 201)

	isArray := func(t *testing.T, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k].([]any); !ok {
				t.Fatalf("%q = %#v, want an array in %v", k, m[k], m)
			}
		}
	}
	isObject := func(t *testing.T, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k].(map[string]any); !ok {
				t.Fatalf("%q = %#v, want an object", k, m[k])
			}
		}
	}
	isString := func(t *testing.T, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k].(string); !ok {
				t.Fatalf("%q = %#v, want a string", k, m[k])
			}
		}
	}
	isNumber := func(t *testing.T, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k].(float64); !ok {
				t.Fatalf("%q = %#v, want a number", k, m[k])
			}
		}
	}

	t.Run("flow", func(t *testing.T) {
		f := e.ok("GET", "/api/v2/flows/acme/runner", nil, 200).Object(t)
		isString(t, f, "name", "description", "visibility")
		isArray(t, f, "template")
		isObject(t, f, "tags")
	})
	t.Run("environment", func(t *testing.T) {
		en := e.ok("GET", "/api/v2/environments/acme/aws-beta", nil, 200).Object(t)
		isString(t, en, "name", "type", "description")
		isObject(t, en, "tags")
		isNumber(t, en, "last_reported_at", "snapshots")
		if en["include_scaling"] != true {
			t.Fatalf("include_scaling default = %v", en["include_scaling"])
		}
	})
	t.Run("artifact", func(t *testing.T) {
		for _, p := range []string{"/api/v2/artifacts/acme/runner/fingerprint/" + storetest.FP("new")[:12]} {
			a := e.ok("GET", p, nil, 200).Object(t)
			isString(t, a, "filename", "flow_name", "fingerprint", "git_commit", "commit_url", "build_url", "html_url", "state")
			isNumber(t, a, "created_at")
			isObject(t, a, "tags")
			isArray(t, a, "running", "exited", "history", "evidence", "deployments", "template")
			if len(a["git_commit"].(string)) < 7 {
				t.Fatalf("git_commit %q", a["git_commit"])
			}
			for _, h := range a["history"].([]any) {
				isString(t, h.(map[string]any), "event")
				isNumber(t, h.(map[string]any), "timestamp")
			}
			for _, x := range a["exited"].([]any) {
				isString(t, x.(map[string]any), "environment_name")
				isNumber(t, x.(map[string]any), "snapshot_index")
			}
		}
		list := e.ok("GET", "/api/v2/artifacts/acme?flow_name=runner", nil, 200).Array(t)
		isArray(t, list[0].(map[string]any), "running", "exited", "history")
		isObject(t, list[0].(map[string]any), "tags")
	})
	t.Run("snapshot", func(t *testing.T) {
		s := e.ok("GET", "/api/v2/snapshots/acme/aws-beta/2", nil, 200).Object(t)
		isNumber(t, s, "index", "timestamp")
		isString(t, s, "type")
		isArray(t, s, "artifacts")
		for _, x := range s["artifacts"].([]any) {
			a := x.(map[string]any)
			isArray(t, a, "creationTimestamp", "deployments")
			isObject(t, a, "annotation")
			an := a["annotation"].(map[string]any)
			isString(t, an, "type")
			isNumber(t, an, "was", "now")
			if an["type"] != "scaled" || len(a["creationTimestamp"].([]any)) != 1 {
				t.Fatalf("scaled artifact = %v", a)
			}
		}
		s = e.ok("GET", "/api/v2/snapshots/acme/aws-beta/-1", nil, 200).Object(t)
		arts := s["artifacts"].([]any)
		if len(arts) != 1 {
			t.Fatalf("latest = %v", s)
		}
		ex := arts[0].(map[string]any)
		if ex["annotation"].(map[string]any)["now"] != 0.0 || len(ex["creationTimestamp"].([]any)) != 0 {
			t.Fatalf("exited entry = %v", ex)
		}
		list := e.ok("GET", "/api/v2/snapshots/acme/aws-beta", nil, 200).Array(t)
		for _, x := range list {
			isNumber(t, x.(map[string]any), "index", "from", "to", "duration")
		}
	})
	t.Run("diff and events", func(t *testing.T) {
		d := e.ok("GET", "/api/v2/env-diff/acme?snappish1=aws-beta~2&snappish2=aws-beta", nil, 200).Object(t)
		for _, k := range []string{"snappish1", "snappish2", "changed", "not-changed"} {
			isObject(t, d, k)
			isArray(t, d[k].(map[string]any), "artifacts")
		}
		for _, x := range e.ok("GET", "/api/v2/environments/acme/aws-beta/events", nil, 200).Array(t) {
			m := x.(map[string]any)
			isString(t, m, "artifact_name", "sha256", "description", "pipeline")
			isNumber(t, m, "snapshot_index", "reported_at")
			isArray(t, m, "deployments")
		}
	})
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	other, err := e.store.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	fp := storetest.FP("new")
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		msg                       string
	}{
		{"write without token", "PUT", "/api/v2/flows/acme", "", map[string]any{"name": "x"}, 401, "missing API token"},
		{"write with wrong token", "PUT", "/api/v2/flows/acme", "nope", map[string]any{"name": "x"}, 401, "invalid API token"},
		{"write with other org's token", "PUT", "/api/v2/flows/acme", other, map[string]any{"name": "x"}, 401, "invalid API token"},
		{"unknown org", "PUT", "/api/v2/flows/ghost", e.token, map[string]any{"name": "x"}, 404, "org ghost not found"},
		{"unknown org anonymous", "GET", "/api/v2/environments/ghost", "", nil, 404, "org ghost not found"},
		{"anonymous public flow", "GET", "/api/v2/flows/acme/runner", "", nil, 200, ""},
		{"anonymous public artifact", "GET", "/api/v2/artifacts/acme/runner/fingerprint/" + fp, "", nil, 200, ""},
		// Issue 12: private is answered like missing, and environments are
		// private unless public (these were 401s that revealed existence).
		{"anonymous private flow", "GET", "/api/v2/flows/acme/secret", "", nil, 404, "flow secret not found in org acme"},
		{"anonymous environments", "GET", "/api/v2/environments/acme", "", nil, 200, ""},
		{"anonymous snapshot", "GET", "/api/v2/snapshots/acme/aws-beta/-1", "", nil, 404, "Environment named 'aws-beta' does not exist for organization 'acme'"},
		{"anonymous report", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", "", map[string]any{"artifacts": []any{}}, 401, "missing API token"},
		{"read with wrong token", "GET", "/api/v2/flows/acme/runner", "nope", nil, 401, "invalid API token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.msg != "" && !strings.Contains(r.Object(t)["message"].(string), tc.msg) {
				t.Fatalf("message = %s, want it to mention %q", r.Body, tc.msg)
			}
		})
	}
	// Anonymous callers list only public flows.
	flows := e.do("GET", "/api/v2/flows/acme", "", nil).Array(t)
	if len(flows) != 1 || flows[0].(map[string]any)["name"] != "runner" {
		t.Fatalf("anonymous flows = %v", flows)
	}
	// Basic auth with the token as password works too (older Kosli CLIs).
	req, _ := http.NewRequest("GET", "/api/v2/environments/acme", nil)
	req.SetBasicAuth("", e.token)
	rec := newRecorder(e, req)
	if rec != 200 {
		t.Fatalf("basic auth = %d", rec)
	}
}

// TestBadInput sends each kind of bad input and checks the 4xx, that the
// message names the problem, and that nothing was stored.
func TestBadInput(t *testing.T) {
	e := newEnv(t, func(o *trackerhttp.Config) { o.MaxBodyBytes = 0 })
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	e.report("aws-beta", 201, replicas("new", 1, 1))
	fp := storetest.FP("new")
	big := `{"artifacts": [` + strings.Repeat(`{"digests":{"a":"`+fp+`"},"creationTimestamp":1},`, 10<<20/90) + `{"digests":{"a":"` + fp + `"}}]}`
	if len(big) <= 10<<20 {
		t.Fatalf("payload only %d bytes", len(big))
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"unknown flow", "POST", "/api/v2/artifacts/acme/nope", map[string]any{"fingerprint": storetest.FP("x"), "filename": "x", "git_commit": newCommit}, 404, "flow nope not found"},
		{"unknown environment", "PUT", "/api/v2/environments/acme/nope/report/ECS", map[string]any{"artifacts": []any{}}, 404, "Environment named 'nope' does not exist for organization 'acme'"},
		{"unknown fingerprint", "GET", "/api/v2/artifacts/acme/runner/fingerprint/" + storetest.FP("zzz"), nil, 404, "not found in flow runner"},
		{"unknown commit", "GET", "/api/v2/artifacts/acme/runner/commit_sha/abcdef1", nil, 404, "no artifact with git commit abcdef1"},
		{"snapshot past the end", "GET", "/api/v2/snapshots/acme/aws-beta/7", nil, 404, "environment aws-beta has 1 snapshot"},
		{"snapshot of unknown environment", "GET", "/api/v2/snapshots/acme/nope/-1", nil, 404, "Environment named 'nope' does not exist for organization 'acme'"},
		{"malformed expression", "GET", "/api/v2/snapshots/acme/aws-beta/abc", nil, 400, "malformed snapshot expression"},
		{"malformed time", "GET", "/api/v2/snapshots/acme/aws-beta/@{yesterday}", nil, 400, "invalid time"},
		{"malformed diff expression", "GET", "/api/v2/env-diff/acme?snappish1=aws-beta%23x&snappish2=aws-beta", nil, 400, "malformed snapshot expression"},
		{"missing diff expression", "GET", "/api/v2/env-diff/acme?snappish1=aws-beta", nil, 400, "snappish2"},
		{"not JSON", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", "{not json", 400, "invalid JSON"},
		{"unknown report type", "PUT", "/api/v2/environments/acme/aws-beta/report/k9s", map[string]any{"artifacts": []any{map[string]any{"digests": map[string]any{"other": storetest.FP("other")}, "creationTimestamp": 1}}}, 400, `unknown report type "k9s"`},
		{"empty body", "PUT", "/api/v2/flows/acme", "", 400, "empty body"},
		{"artifacts not an array", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", `{"artifacts": "x"}`, 400, "must be an array"},
		{"artifacts missing", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", `{"containers": []}`, 400, `"artifacts" is required`},
		{"digest not a fingerprint", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", `{"artifacts": [{"digests": {"img": "abc"}}]}`, 400, "invalid fingerprint"},
		{"wrong field type", "POST", "/api/v2/artifacts/acme/runner", `{"fingerprint": 5}`, 400, `field "fingerprint" must be a string`},
		{"short git commit", "POST", "/api/v2/artifacts/acme/runner", map[string]any{"fingerprint": storetest.FP("y"), "filename": "y", "git_commit": "abc"}, 400, "at least 7 hex digits"},
		{"10 MB payload", "PUT", "/api/v2/environments/acme/aws-beta/report/ECS", big, 413, "too large"},
		{"10 MB attachment", "POST", "/api/v2/attestations/acme/runner/trail/t1/generic",
			multipartReq(t, map[string]any{"attestation_name": "big", "artifact_fingerprint": fp}, map[string][2]string{"attachment_file": {"big.bin", strings.Repeat("x", 10<<20+1)}}), 413, "too large"},
		{"junit not XML", "POST", "/api/v2/attestations/acme/runner/trail/t1/junit",
			multipartReq(t, map[string]any{"attestation_name": "unit-tests", "artifact_fingerprint": fp}, map[string][2]string{"junit_file": {"junit.xml", "this is not xml"}}), 400, "is not XML"},
		{"unknown attestation type", "POST", "/api/v2/attestations/acme/runner/trail/t1/magic", multipartReq(t, map[string]any{"attestation_name": "x"}, nil), 400, "unknown attestation type"},
		{"attestation without name", "POST", "/api/v2/attestations/acme/runner/trail/t1/generic", multipartReq(t, map[string]any{"artifact_fingerprint": fp}, nil), 400, "attestation_name is required"},
		{"deployment to unknown environment", "POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": fp, "environment": "mars"}, 404, "environment mars not found"},
		{"deployment of unknown artifact", "POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": storetest.FP("q"), "environment": "aws-beta"}, 404, "not found in flow runner"},
		{"bad page", "GET", "/api/v2/snapshots/acme/aws-beta?page=-3", nil, 400, "page"},
		{"bad environment type", "PUT", "/api/v2/environments/acme", map[string]any{"name": "e", "type": "mainframe"}, 400, "invalid environment type"},
		{"bad flow name", "PUT", "/api/v2/flows/acme", map[string]any{"name": "a/b"}, 400, "invalid flow name"},
		{"bad deployment status", "PUT", "/api/v2/deployments/acme/runner/1/status", map[string]any{"status": "boom"}, 400, "invalid deployment status"},
		{"status of unknown deployment", "PUT", "/api/v2/deployments/acme/runner/9/status", map[string]any{"status": "failed"}, 404, "deployment #9 not found"},
		{"unknown API route", "GET", "/api/v2/nothing", nil, 404, "no route"},
		{"template not YAML", "PUT", "/api/v2/flows/acme/template_file",
			multipartReq(t, map[string]any{"name": "tpl"}, map[string][2]string{"template_file": {"t.yml", "trail: [unclosed"}}), 400, "not a valid YAML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %.300s", r.Status, tc.status, r.Body)
			}
			msg, _ := r.Object(t)["message"].(string)
			if !strings.Contains(msg, tc.msg) {
				t.Fatalf("message %q does not mention %q", msg, tc.msg)
			}
		})
	}
	// Nothing was stored by the bad requests.
	if n := len(e.ok("GET", "/api/v2/snapshots/acme/aws-beta", nil, 200).Array(t)); n != 1 {
		t.Fatalf("snapshots after bad input = %d, want 1", n)
	}
	if r := e.ok("GET", "/api/v2/artifacts/acme", nil, 200); r.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("artifacts after bad input = %s", r.Header.Get("X-Total-Count"))
	}
	if n := len(e.ok("GET", "/api/v2/flows/acme", nil, 200).Array(t)); n != 2 {
		t.Fatalf("flows after bad input = %d", n)
	}
	if n := len(e.ok("GET", "/api/v2/deployments/acme/runner", nil, 200).Array(t)); n != 0 {
		t.Fatalf("deployments after bad input = %d", n)
	}
	a := e.ok("GET", "/api/v2/artifacts/acme/runner/fingerprint/"+fp, nil, 200).Object(t)
	if len(a["evidence"].([]any)) != 0 {
		t.Fatalf("evidence after bad input = %v", a["evidence"])
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	e.seed()
	first := e.attestArtifact("runner", "new", newCommit)
	again := e.ok("POST", "/api/v2/artifacts/acme/runner", map[string]any{"fingerprint": storetest.FP("new"), "filename": "other-name", "git_commit": newCommit}, 200).Object(t)
	if again["filename"] != first["filename"] || again["created_at"] != first["created_at"] {
		t.Fatalf("second attest changed the artifact: %v", again)
	}
	if r := e.ok("GET", "/api/v2/artifacts/acme?flow_name=runner", nil, 200); r.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("artifacts = %s", r.Body)
	}
	e.report("aws-beta", 201, replicas("new", 2, 5))
	e.clk.Advance(time.Minute)
	r := e.report("aws-beta", 200, replicas("new", 2, 5))
	if r["created"] != false || r["index"] != 1.0 {
		t.Fatalf("repeat = %v", r)
	}
	env := e.ok("GET", "/api/v2/environments/acme/aws-beta", nil, 200).Object(t)
	if env["snapshots"] != 1.0 || env["last_reported_at"] == env["last_modified_at"] {
		t.Fatalf("environment after repeat = %v", env)
	}
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "runner", "visibility": "public", "description": "new"}, 200)
	e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "aws-beta", "type": "ECS"}, 200)
	e.ok("PUT", "/api/v2/trails/acme/runner", map[string]any{"name": "t1"}, 201)
	e.ok("PUT", "/api/v2/trails/acme/runner", multipartReq(t, map[string]any{"name": "t1"}, nil), 200)
}

// TestConcurrentReporters reports from parallel goroutines, each a
// different set: snapshot numbers must be exactly 1..N.
func TestConcurrentReporters(t *testing.T) {
	e := newEnv(t)
	e.seed()
	const workers, each = 8, 5
	var wg sync.WaitGroup
	statuses := make(chan int, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				n := 1 + w + k*workers // distinct replica counts: every report changes the set
				arts := []map[string]any{}
				for i := 0; i < n; i++ {
					arts = append(arts, map[string]any{"digests": map[string]string{"img": storetest.FP("c")}, "creationTimestamp": 1})
				}
				statuses <- e.do("PUT", "/api/v2/environments/acme/aws-prod/report/ECS", e.token, map[string]any{"artifacts": arts}).Status
			}
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 201 {
			t.Fatalf("report status %d", s)
		}
	}
	list := e.ok("GET", "/api/v2/snapshots/acme/aws-prod?per_page=100", nil, 200).Array(t)
	var idx []int
	for _, x := range list {
		idx = append(idx, int(x.(map[string]any)["index"].(float64)))
	}
	sort.Ints(idx)
	for i, n := range idx {
		if n != i+1 {
			t.Fatalf("snapshot numbers %v are not 1..%d", idx, workers*each)
		}
	}
	if len(idx) != workers*each {
		t.Fatalf("%d snapshots, want %d", len(idx), workers*each)
	}
}

func TestAttestations(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	fp := storetest.FP("new")
	state := func() string {
		t.Helper()
		return e.ok("GET", "/api/v2/artifacts/acme/runner/fingerprint/"+fp, nil, 200).Object(t)["state"].(string)
	}
	failing := `<testsuites><testsuite name="a" tests="2" failures="1" errors="0"><testcase name="x"/><testcase name="y"><failure/></testcase></testsuite></testsuites>`
	r := e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/junit",
		multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": fp}, map[string][2]string{"junit_file": {"junit.xml", failing}}), 201).Object(t)
	if r["is_compliant"] != false || state() != "NON-COMPLIANT" {
		t.Fatalf("failing junit = %v, state %s", r, state())
	}
	r = e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/junit",
		multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": fp, "junit_results": []map[string]any{{"name": "a", "tests": 3}}}, nil), 201).Object(t)
	if r["is_compliant"] != true || state() != "COMPLIANT" {
		t.Fatalf("clean junit = %v, state %s", r, state())
	}
	r = e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/simulator",
		multipartReq(t, map[string]any{"attestation_name": "simulator", "artifact_fingerprint": fp, "simulator_report": simreport.Report{Schema: simreport.Schema, Total: 10, Errors: 3, Failure: "3 errors"}},
			map[string][2]string{"attachment_file": {"report.html", "<html></html>"}}), 201).Object(t)
	if r["is_compliant"] != false || state() != "NON-COMPLIANT" || fmt.Sprint(r["files"]) != "[report.html]" {
		t.Fatalf("simulator = %v, state %s", r, state())
	}
	r = e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/generic",
		map[string]any{"attestation_name": "simulator", "artifact_fingerprint": fp, "is_compliant": true}, 201).Object(t)
	if state() != "COMPLIANT" {
		t.Fatalf("latest of a name should count: %v state %s", r, state())
	}
	// Trail-level evidence (no fingerprint) on a trail.
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/coverage",
		multipartReq(t, map[string]any{"attestation_name": "cov", "coverage_percent": 40, "min_coverage_percent": 80}, nil), 201)
	// A template from a YAML file.
	f := e.ok("PUT", "/api/v2/flows/acme/template_file", multipartReq(t, map[string]any{"name": "tpl", "visibility": "private"},
		map[string][2]string{"template_file": {"t.yml", "version: 1\ntrail:\n  attestations:\n    - name: review\n      type: generic\n  artifacts:\n    - name: app\n      attestations:\n        - name: unit-tests\n          type: junit\n"}}), 201).Object(t)
	if fmt.Sprint(f["template"]) != "[review unit-tests]" {
		t.Fatalf("template = %v", f["template"])
	}
}

func TestDORAMetrics(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "v1", newCommit)
	fp := storetest.FP("v1")
	for i, status := range []string{"", "failed", "", "rolled_back"} {
		e.clk.Advance(time.Hour)
		d := e.ok("POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": fp, "environment": "aws-prod", "status": status}, 201).Object(t)
		if d["deployment_id"] != float64(i+1) {
			t.Fatalf("deployment %v", d)
		}
	}
	e.clk.Advance(time.Hour)
	e.ok("PUT", "/api/v2/deployments/acme/runner/3/status", map[string]any{"status": "failed"}, 200)
	e.report("aws-prod", 201, replicas("v1", 1, 1))
	ms := e.ok("GET", "/api/v2/flows/acme/runner/metrics?days=7", nil, 200).Array(t)
	if len(ms) != 1 {
		t.Fatalf("metrics = %v", ms)
	}
	m := ms[0].(map[string]any)
	if m["environment_name"] != "aws-prod" || m["deployments"] != 4.0 || m["change_failure_rate"] != 0.75 || m["failed_deployments"] != 3.0 {
		t.Fatalf("metrics = %v", m)
	}
	// Lead time: commit one hour before T0, running 5 hours after T0.
	if m["lead_time_seconds"] != 6*3600.0 || m["lead_time_samples"] != 1.0 {
		t.Fatalf("lead time = %v", m)
	}
	// #2 failed, recovered by #3 an hour later… which was later marked
	// failed, so #2's recovery is unknown; none of the failures recovered.
	if m["recoveries"] != 0.0 {
		t.Fatalf("recoveries = %v", m)
	}
	if r := e.do("GET", "/api/v2/flows/acme/runner/metrics?days=zero", e.token, nil); r.Status != 400 {
		t.Fatalf("bad days = %d", r.Status)
	}
}

func TestUIFallback(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(299)
		fmt.Fprint(w, "ui:"+r.URL.Path)
	})
	e := newEnv(t, func(o *trackerhttp.Config) { o.UI = ui })
	for _, p := range []string{"/", "/flows/runner", "/static/app.css"} {
		r := e.do("GET", p, "", nil)
		if r.Status != 299 || string(r.Body) != "ui:"+p {
			t.Fatalf("%s = %d %s", p, r.Status, r.Body)
		}
	}
	if r := e.do("GET", "/api/v2/unknown", "", nil); r.Status != 404 {
		t.Fatalf("API 404 went to the UI: %d %s", r.Status, r.Body)
	}
}

// TestReportTypes: every one of Kosli's report routes is accepted, in any
// case, by an environment of its type, and records its snapshot; a report
// of another type, or to a logical environment, is a 400 that stores
// nothing.
func TestReportTypes(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for _, typ := range []string{"docker", "server", "K8S", "k8s", "ECS", "lambda", "S3", "azure-apps"} {
		t.Run(typ, func(t *testing.T) {
			env := "env-" + typ
			e.do("PUT", "/api/v2/environments/acme", e.token, map[string]any{"name": env, "type": typ})
			arts := []any{map[string]any{"digests": map[string]any{"app": storetest.FP(typ)}, "creationTimestamp": 1}}
			r := e.do("PUT", "/api/v2/environments/acme/"+env+"/report/"+typ, e.token, map[string]any{"artifacts": arts})
			if r.Status != 201 {
				t.Fatalf("report/%s: status %d, want 201: %s", typ, r.Status, r.Body)
			}
			if idx := r.Object(t)["index"]; idx != float64(1) {
				t.Fatalf("report/%s: snapshot index %v, want 1", typ, idx)
			}
		})
	}
	arts := map[string]any{"artifacts": []any{map[string]any{"digests": map[string]any{"app": storetest.FP("x")}, "creationTimestamp": 1}}}
	e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "everything", "type": "logical", "included_environments": []string{"aws-beta", "aws-prod"}}, 201)
	for _, c := range []struct{ env, typ, msg string }{
		{"aws-beta", "docker", "aws-beta is of type ECS: a docker report does not match"},
		{"env-docker", "server", "env-docker is of type docker: a server report does not match"},
		{"everything", "docker", "everything is logical"},
	} {
		r := e.do("PUT", "/api/v2/environments/acme/"+c.env+"/report/"+c.typ, e.token, arts)
		if msg, _ := r.Object(t)["message"].(string); r.Status != 400 || !strings.Contains(msg, c.msg) {
			t.Errorf("report/%s to %s: %d %s, want 400 %q", c.typ, c.env, r.Status, r.Body, c.msg)
		}
	}
	if got := e.ok("GET", "/api/v2/environments/acme/aws-beta", nil, 200).Object(t)["state"]; got != nil {
		t.Errorf("aws-beta took a mismatched report: state %v", got)
	}
}
