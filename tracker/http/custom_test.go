package http_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

const simulatorSchema = `{"type": "object", "required": ["errors", "requests"],
  "properties": {"errors": {"type": "integer", "minimum": 0}, "requests": {"type": "integer"}}}`

func TestCustomAttestationTypes(t *testing.T) {
	e := newEnv(t)
	e.seed()
	// Kosli's create attestation-type: data_json and a type_schema file.
	typ := map[string]any{"name": "sim", "description": "the simulator's report", "evaluator": map[string]any{"content_type": "jq", "rules": []string{".errors == 0", ".requests > 0"}}}
	e.ok("POST", "/api/v2/custom-attestation-types/acme", multipartReq(t, typ, map[string][2]string{"type_schema": {"schema.json", simulatorSchema}}), 201)
	e.ok("POST", "/api/v2/custom-attestation-types/acme", multipartReq(t, map[string]any{"name": "bare"}, nil), 201)
	got := e.ok("GET", "/api/v2/custom-attestation-types/acme/sim", nil, 200).Object(t)
	v := got["versions"].([]any)[0].(map[string]any)
	if v["version"].(float64) != 1 || len(v["evaluator"].(map[string]any)["rules"].([]any)) != 2 || v["type_schema"] == nil {
		t.Fatalf("attestation type = %v", got)
	}

	e.attestArtifact("runner", "new", newCommit)
	fp := storetest.FP("new")
	custom := func(data string) *multipartBody {
		return multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": fp, "type_name": "sim", "user_data": map[string]any{},
			"attestation_data": rawJSON(data)}, nil)
	}
	state := func() string {
		return e.ok("GET", "/api/v2/artifacts/acme/runner/fingerprint/"+fp, nil, 200).Object(t)["state"].(string)
	}
	r := e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/custom", custom(`{"errors": 3, "requests": 100}`), 201).Object(t)
	if r["is_compliant"] != false || r["attestation_type"] != "custom:sim" || state() != "NON-COMPLIANT" {
		t.Fatalf("a rule fails: %v, state %s", r, state())
	}
	r = e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/custom", custom(`{"errors": 0, "requests": 100}`), 201).Object(t)
	if r["is_compliant"] != true || state() != "COMPLIANT" {
		t.Fatalf("every rule holds: %v, state %s", r, state())
	}

	// Bad input: 4xx naming the problem, nothing stored.
	for _, c := range []struct {
		name, path string
		body       *multipartBody
		code       int
		msg        string
	}{
		{"malformed schema", "/api/v2/custom-attestation-types/acme", multipartReq(t, map[string]any{"name": "bad1"}, map[string][2]string{"type_schema": {"s.json", `{"type": "objekt"}`}}), 400, "not a valid JSON Schema"},
		{"schema not JSON", "/api/v2/custom-attestation-types/acme", multipartReq(t, map[string]any{"name": "bad2"}, map[string][2]string{"type_schema": {"s.json", `{nope`}}), 400, "schema is not JSON"},
		{"jq rule does not compile", "/api/v2/custom-attestation-types/acme", multipartReq(t, map[string]any{"name": "bad3", "evaluator": map[string]any{"content_type": "jq", "rules": []string{".errors ==== 0"}}}, nil), 400, `jq rule 1 ".errors ==== 0" does not parse`},
		{"jq undefined function", "/api/v2/custom-attestation-types/acme", multipartReq(t, map[string]any{"name": "bad4", "evaluator": map[string]any{"content_type": "jq", "rules": []string{"nosuchfn(1)"}}}, nil), 400, "does not compile"},
		{"data fails the schema", "/api/v2/attestations/acme/runner/trail/t1/custom", custom(`{"errors": -1, "requests": 1}`), 400, "does not match the schema of attestation type sim"},
		{"unknown type", "/api/v2/attestations/acme/runner/trail/t1/custom", multipartReq(t, map[string]any{"attestation_name": "x", "artifact_fingerprint": fp, "type_name": "nope", "attestation_data": map[string]any{}}, nil), 404, "attestation type nope not found"},
	} {
		r := e.do("POST", c.path, e.token, c.body)
		if msg, _ := r.Object(t)["message"].(string); r.Status != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %s, want %d %q", c.name, r.Status, r.Body, c.code, c.msg)
		}
	}
	for _, n := range []string{"bad1", "bad2", "bad3", "bad4"} {
		if r := e.do("GET", "/api/v2/custom-attestation-types/acme/"+n, e.token, nil); r.Status != 404 {
			t.Errorf("refused type %s was stored", n)
		}
	}
	if n := len(e.ok("GET", "/api/v2/attestations/acme/runner/artifact/"+fp+"/branch-coverage", nil, 200).Array(t)); n != 2 {
		t.Errorf("%d attestations stored, want the 2 accepted ones", n)
	}
	if state() != "COMPLIANT" {
		t.Errorf("a refused attestation changed the state: %s", state())
	}
}

// rawJSON keeps a JSON text as is inside a marshalled request.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestAttachmentsAreStoredAndDownloadable(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	fp := storetest.FP("new")
	html := "<html><body>report</body></html>"
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/t1/generic", multipartReq(t, map[string]any{"attestation_name": "report", "artifact_fingerprint": fp, "is_compliant": true},
		map[string][2]string{"attachment_file": {"report.html", html}}), 201)
	atts := e.ok("GET", "/api/v2/attestations/acme/runner/artifact/"+fp+"/report", nil, 200).Array(t)
	files := atts[0].(map[string]any)["attachments"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["name"] != "report.html" {
		t.Fatalf("attachments = %v", files)
	}
	u := files[0].(map[string]any)["url"].(string)
	path := u[strings.Index(u, "/api/"):]
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || string(body) != html || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("download %s: %d %q %v", path, rec.Code, body, rec.Header())
	}
	if r := e.do("GET", strings.Replace(path, "report.html", "other.html", 1), e.token, nil); r.Status != 404 {
		t.Errorf("unknown attachment: %d", r.Status)
	}
}
