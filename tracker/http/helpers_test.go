package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// clock is the fake time of the test (testenv.Clock).
type clock = testenv.Clock

// env is one server under test over a real SQLite file.
type env struct {
	t     *testing.T
	h     http.Handler
	store model.Store
	clk   *clock
	token string
}

func newEnv(t *testing.T, opts ...func(*trackerhttp.Config)) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tracker.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tok, err := store.CreateOrg(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(storetest.T0)
	o := trackerhttp.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now}
	for _, f := range opts {
		f(&o)
	}
	return &env{t: t, h: trackerhttp.New(store, o), store: store, clk: clk, token: tok}
}

// response is a decoded reply.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into any (objects as map[string]any).
func (r response) JSON(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.Body)
	}
	return v
}

func (r response) Object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("response is not a JSON object: %s", r.Body)
	}
	return m
}

func (r response) Array(t *testing.T) []any {
	t.Helper()
	a, ok := r.JSON(t).([]any)
	if !ok {
		t.Fatalf("response is not a JSON array: %s", r.Body)
	}
	return a
}

// do sends a request with the org's token (token "" for anonymous).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	case string:
		rd, ct = bytes.NewReader([]byte(b)), "application/json"
	case *multipartBody:
		rd, ct = bytes.NewReader(b.buf.Bytes()), b.ct
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(data), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// ok sends an authenticated request and requires the status.
func (e *env) ok(method, path string, body any, want int) response {
	e.t.Helper()
	r := e.do(method, path, e.token, body)
	if r.Status != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

type multipartBody struct {
	buf bytes.Buffer
	ct  string
}

// multipartReq builds a multipart body with data_json and files
// (field -> [filename, content]).
func multipartReq(t *testing.T, dataJSON any, files map[string][2]string) *multipartBody {
	t.Helper()
	mb := &multipartBody{}
	w := multipart.NewWriter(&mb.buf)
	if dataJSON != nil {
		data, err := json.Marshal(dataJSON)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteField("data_json", string(data)); err != nil {
			t.Fatal(err)
		}
	}
	for field, f := range files {
		fw, err := w.CreateFormFile(field, f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	w.Close()
	mb.ct = w.FormDataContentType()
	return mb
}

// seed creates flow runner (public, template branch-coverage), a private
// flow secret, and environments aws-beta and aws-prod.
func (e *env) seed() {
	e.t.Helper()
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "runner", "description": "cyber-dojo runner", "visibility": "public", "template": []string{"artifact", "branch-coverage"}}, 201)
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "secret", "visibility": "private"}, 201)
	for _, n := range []string{"aws-beta", "aws-prod"} {
		e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": n, "type": "ECS", "description": n}, 201)
	}
}

func (e *env) attestArtifact(flow, label, commit string) map[string]any {
	e.t.Helper()
	return e.ok("POST", "/api/v2/artifacts/acme/"+flow, map[string]any{
		"fingerprint": storetest.FP(label), "filename": "cyberdojo/runner:" + commit[:7], "git_commit": commit,
		"commit_url": "https://github.com/cyber-dojo/runner/commit/" + commit, "build_url": "https://ci.example/1",
		"git_commit_info": map[string]any{"sha1": commit, "timestamp": storetest.T0.Add(-time.Hour).Unix()},
	}, 201).Object(e.t)
}

// instance is one running container in a report.
type instance struct {
	label string
	ts    int64
}

func replicas(label string, n int, ts int64) []instance {
	out := make([]instance, n)
	for i := range out {
		out[i] = instance{label, ts + int64(i)}
	}
	return out
}

func (e *env) report(envName string, want int, sets ...[]instance) map[string]any {
	e.t.Helper()
	arts := []map[string]any{}
	for _, set := range sets {
		for _, in := range set {
			arts = append(arts, map[string]any{"digests": map[string]string{"cyberdojo/runner:" + in.label: storetest.FP(in.label)}, "creationTimestamp": in.ts})
		}
	}
	return e.ok("PUT", "/api/v2/environments/acme/"+envName+"/report/ECS", map[string]any{"artifacts": arts}, want).Object(e.t)
}

func newRecorder(e *env, req *http.Request) int {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code
}

// decode unmarshals body into v (a struct mirroring what Kosli's CLI
// decodes), failing the test when that would fail in the CLI.
func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("Kosli's CLI cannot decode %s: %v", body, err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
