package release

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub stands in for api.github.com and uploads.github.com, checking
// each request as the real API requires it: the token, the JSON body, the
// upload's name and bytes.
type fakeGitHub struct {
	t        *testing.T
	mu       sync.Mutex
	release  map[string]any
	uploads  map[string]string
	existing bool // a release for the tag exists already
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer s3cret" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/repos/course/minitwit/releases":
		if f.existing {
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}]}`)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			f.t.Errorf("create release: Content-Type %q", ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&f.release); err != nil {
			f.t.Errorf("create release body: %v", err)
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":42,"tag_name":"v0.2.0","html_url":"https://github.example/course/minitwit/releases/tag/v0.2.0"}`)
	case r.Method == http.MethodPost && r.URL.Path == "/uploads/repos/course/minitwit/releases/42/assets":
		b, _ := io.ReadAll(r.Body)
		if r.ContentLength != int64(len(b)) {
			f.t.Errorf("upload %s: Content-Length %d for %d bytes", r.URL.Query().Get("name"), r.ContentLength, len(b))
		}
		f.uploads[r.URL.Query().Get("name")] = string(b)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":1}`)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func TestGitHubPublish(t *testing.T) {
	fake := &fakeGitHub{t: t, uploads: map[string]string{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	var assets []string
	for name, body := range map[string]string{"minitwit_0.2.0_linux_amd64.tar.gz": "tgz bytes", "checksums.txt": "abc  x\n"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		assets = append(assets, p)
	}
	gh, err := NewGitHub("course/minitwit", "s3cret", srv.URL+"/api/", srv.URL+"/uploads/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	url, err := gh.Publish(context.Background(), "v0.2.0", "v0.2.0", "## v0.2.0\n\n- notes", assets)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/releases/tag/v0.2.0") {
		t.Errorf("release URL %q", url)
	}
	if fake.release["tag_name"] != "v0.2.0" || fake.release["name"] != "v0.2.0" || fake.release["body"] != "## v0.2.0\n\n- notes" {
		t.Errorf("release request: %v", fake.release)
	}
	if fake.uploads["minitwit_0.2.0_linux_amd64.tar.gz"] != "tgz bytes" || fake.uploads["checksums.txt"] != "abc  x\n" {
		t.Errorf("uploads: %v", fake.uploads)
	}

	// A second release of the same tag is refused with GitHub's reason.
	fake.existing = true
	if _, err := gh.Publish(context.Background(), "v0.2.0", "v0.2.0", "x", nil); err == nil || !strings.Contains(err.Error(), "422 Validation Failed") {
		t.Errorf("existing release: %v", err)
	}
	// A wrong token is GitHub's 401, named.
	bad, _ := NewGitHub("course/minitwit", "wrong", srv.URL+"/api/", srv.URL+"/uploads/", srv.Client())
	if _, err := bad.Publish(context.Background(), "v0.2.1", "v0.2.1", "x", nil); err == nil || !strings.Contains(err.Error(), "401 Bad credentials") {
		t.Errorf("bad token: %v", err)
	}
}

func TestNewGitHubBadInput(t *testing.T) {
	if _, err := NewGitHub("course/minitwit", "", "", "", nil); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("missing token: %v", err)
	}
	for _, bad := range []string{"minitwit", "/x", "a/b/c", ""} {
		if _, err := NewGitHub(bad, "t", "", "", nil); err == nil {
			t.Errorf("NewGitHub(%q) accepted", bad)
		}
	}
}
