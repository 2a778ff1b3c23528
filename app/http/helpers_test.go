package http_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	mthttp "github.com/minitwit-cd/kit/app/http"
	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/sqlite"
)

// simAuth is the course simulator's Authorization header.
const simAuth = "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh"

// newStore opens a real SQLite database in the test's temp dir.
func newStore(t testing.TB) minitwit.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "minitwit.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testConfig is the handler config tests use: cheap bcrypt, fixed secret.
func testConfig() mthttp.Config {
	return mthttp.Config{BcryptCost: bcrypt.MinCost, SessionSecret: []byte("test secret")}
}

// newHandler returns the combined handler over a fresh store.
func newHandler(t testing.TB) (http.Handler, minitwit.Store) {
	t.Helper()
	store := newStore(t)
	return mthttp.NewHandler(testConfig(), store), store
}

// req describes one request to a handler.
type req struct {
	method, target, body, contentType, auth string
}

// serve runs one request through h with a recorder.
func serve(t testing.TB, h http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	hr := httptest.NewRequest(method, r.target, strings.NewReader(r.body))
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	if r.auth != "" {
		hr.Header.Set("Authorization", r.auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	return w
}

// sim sends a simulator API request with the course credentials.
func sim(t testing.TB, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return serve(t, h, req{method: method, target: target, body: body, contentType: ct, auth: simAuth})
}

// wantStatus fails unless the response has the status.
func wantStatus(t testing.TB, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %q", w.Code, status, w.Body.String())
	}
}

// apiError is the simulator API's error shape.
type apiError struct {
	Status   *int    `json:"status"`
	ErrorMsg *string `json:"error_msg"`
}

// wantAPIError fails unless the response is the JSON error shape with the
// status and a message containing msg.
func wantAPIError(t testing.TB, w *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	wantStatus(t, w, status)
	checkErrorShape(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), msg)
}

func checkErrorShape(t testing.TB, status int, contentType string, body []byte, msg string) {
	t.Helper()
	if !strings.HasPrefix(contentType, "application/json") {
		t.Fatalf("content type %q, want JSON; body %q", contentType, body)
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if e.Status == nil || e.ErrorMsg == nil {
		t.Fatalf("error body %q lacks status or error_msg", body)
	}
	if *e.Status != status {
		t.Fatalf("error body status %d, response status %d", *e.Status, status)
	}
	if !strings.Contains(*e.ErrorMsg, msg) {
		t.Fatalf("error_msg %q does not contain %q", *e.ErrorMsg, msg)
	}
}

// registerUser registers through the API and fails unless it answers 204.
func registerUser(t testing.TB, h http.Handler, name string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": name, "email": name + "@example.com", "pwd": "pw"})
	w := serve(t, h, req{method: "POST", target: "/register", body: string(body), contentType: "application/json"})
	wantStatus(t, w, http.StatusNoContent)
}

// b64 is standard base64, for Authorization headers.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
