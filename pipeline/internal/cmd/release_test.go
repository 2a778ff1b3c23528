package cmd_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/internal/cmd"
)

// releaseRepo is a project made by the test: a small Go module with its
// own .goreleaser.yaml, cloned from a local bare repository ("origin"),
// with a first release tag.
type releaseRepo struct {
	t            *testing.T
	bare, work   string
	goreleaser   string
	env          map[string]string
	lastOut, err string
}

func (r *releaseRepo) git(dir string, args ...string) string {
	r.t.Helper()
	c := exec.Command("git", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.invalid")
	out, err := c.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

const helloGoreleaser = `version: 2
project_name: hello
dist: dist
builds:
  - main: .
    binary: hello
    env: [CGO_ENABLED=0]
    goos: [linux]
    goarch: [amd64, arm64]
    flags: [-trimpath]
    ldflags: ["-s -w -X main.version={{ .Version }}"]
    mod_timestamp: "{{ .CommitTimestamp }}"
archives:
  - formats: [tar.gz]
    name_template: "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}"
    files: [CHANGELOG.md]
checksum:
  name_template: checksums.txt
changelog:
  disable: true
release:
  disable: true
`

func newReleaseRepo(t *testing.T) *releaseRepo {
	t.Helper()
	r := &releaseRepo{t: t, bare: filepath.Join(t.TempDir(), "origin.git"), work: filepath.Join(t.TempDir(), "hello"), goreleaser: "goreleaser"}
	r.env = map[string]string{"HOME": os.Getenv("HOME"), "PATH": os.Getenv("PATH")}
	r.git(".", "init", "--quiet", "--bare", "--initial-branch=main", r.bare)
	r.git(".", "clone", "--quiet", r.bare, r.work)
	r.git(r.work, "checkout", "--quiet", "-b", "main")
	r.write("go.mod", "module example.invalid/hello\n\ngo 1.22\n")
	r.write("main.go", "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(\"hello\", version) }\n")
	r.write(".goreleaser.yaml", helloGoreleaser)
	r.write(".gitignore", "dist/\n")
	r.commit("chore: start")
	r.git(r.work, "tag", "-a", "v0.1.0", "-m", "v0.1.0")
	r.git(r.work, "push", "--quiet", "origin", "main", "v0.1.0")
	return r
}

// needGoReleaser finds the real goreleaser (.ci/run installs it into
// GOPATH/bin), for the tests that build.
func (r *releaseRepo) needGoReleaser() {
	r.t.Helper()
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	r.goreleaser = testenv.Binary(r.t, "goreleaser", filepath.Join(strings.TrimSpace(string(gopath)), "bin", "goreleaser"))
}

func (r *releaseRepo) write(name, content string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.work, name), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *releaseRepo) commit(msg string) {
	r.t.Helper()
	r.write("log.txt", msg)
	r.git(r.work, "add", "-A")
	r.git(r.work, "commit", "--quiet", "-m", msg)
}

// release runs the real `pipeline release` command and returns its exit code.
func (r *releaseRepo) release(args ...string) int {
	r.t.Helper()
	s, _, out, errOut := cli.Test()
	s.Getenv = func(k string) (string, bool) { v, ok := r.env[k]; return v, ok }
	code := cli.Run(context.Background(), cmd.Program(), s, append([]string{"release", "--dir", r.work, "--goreleaser", r.goreleaser}, args...))
	r.lastOut, r.err = out.String(), errOut.String()
	return code
}

func (r *releaseRepo) remoteTags() string { return r.git(r.work, "ls-remote", "--tags", "origin") }

func TestReleaseDryRunChangesNothing(t *testing.T) {
	r := newReleaseRepo(t)
	r.commit("feat: greet by name")
	r.commit("fix(cli): typo")
	r.commit("update stuff")
	dist := filepath.Join(t.TempDir(), "dist")
	if code := r.release("--dry-run", "--dist", dist); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, r.lastOut, r.err)
	}
	for _, want := range []string{"v0.1.0 → v0.2.0 (minor bump, 3 commits since v0.1.0)", "1 commits are not conventional commits", "### Features\n\n- greet by name (", "### Fixes\n\n- **cli:** typo (", "### Other\n\n- update stuff ("} {
		if !strings.Contains(r.lastOut, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.lastOut)
		}
	}
	for _, want := range []string{"dry run: nothing is built", "would tag: v0.2.0", "would push: the tag and the changelog commit to origin"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if tags := r.remoteTags(); strings.Contains(tags, "v0.2.0") {
		t.Errorf("dry run pushed a tag: %s", tags)
	}
	if out := r.git(r.work, "tag", "--list", "v0.2.0"); out != "" {
		t.Errorf("dry run made a tag")
	}
	if _, err := os.Stat(dist); !os.IsNotExist(err) {
		t.Errorf("dry run wrote %s", dist)
	}
}

// TestReleaseReal cuts a real release into the local bare repository, with
// a stand-in GitHub API that checks what the real one needs.
func TestReleaseReal(t *testing.T) {
	r := newReleaseRepo(t)
	r.needGoReleaser()
	r.commit("feat: greet by name")
	r.commit("fix: typo")
	gh := &fakeReleases{t: t, uploads: map[string][]byte{}}
	srv := httptest.NewServer(gh)
	defer srv.Close()
	r.env["GITHUB_TOKEN"] = "s3cret"
	dist := filepath.Join(t.TempDir(), "dist")
	if code := r.release("--dist", dist, "--github", "course/hello", "--github-api-url", srv.URL, "--repo-url", "https://github.com/course/hello"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, r.lastOut, r.err)
	}
	// The annotated tag is on origin, at the released commit.
	tags := r.remoteTags()
	if !strings.Contains(tags, "refs/tags/v0.2.0^{}") {
		t.Fatalf("origin has no annotated v0.2.0: %s", tags)
	}
	released := r.git(r.work, "rev-parse", "v0.2.0^{commit}")
	if subject := r.git(r.work, "log", "-1", "--format=%s", released); subject != "fix: typo" {
		t.Errorf("v0.2.0 points at %q", subject)
	}
	// CHANGELOG.md is committed on origin's main, after the tag.
	r.git(r.work, "fetch", "--quiet", "origin")
	log := r.git(r.work, "show", "origin/main:CHANGELOG.md")
	if !strings.HasPrefix(log, "# Changelog\n\n## [v0.2.0](https://github.com/course/hello/compare/v0.1.0...v0.2.0)") || !strings.Contains(log, "- greet by name ([") {
		t.Errorf("CHANGELOG.md on origin:\n%s", log)
	}
	if s := r.git(r.work, "log", "-1", "--format=%s", "origin/main"); s != "chore(release): v0.2.0" {
		t.Errorf("origin/main is %q", s)
	}
	// Archives for both architectures, and checksums that match them,
	// recomputed here.
	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	for _, arch := range []string{"amd64", "arm64"} {
		name := "hello_0.2.0_linux_" + arch + ".tar.gz"
		want, ok := sums[name]
		if !ok {
			t.Errorf("checksums.txt lacks %s: %v", name, sums)
			continue
		}
		if got := sha256File(t, filepath.Join(dist, name)); got != want {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, want)
		}
	}
	var sbom struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct{ Name string }
	}
	b, err := os.ReadFile(filepath.Join(dist, "sbom.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sbom); err != nil || sbom.SPDXVersion != "SPDX-2.3" || len(sbom.Packages) < 2 {
		t.Errorf("sbom: %v %+v", err, sbom)
	}
	// The GitHub release has the changelog and every asset.
	if gh.release["tag_name"] != "v0.2.0" || !strings.Contains(gh.release["body"].(string), "### Features") {
		t.Errorf("GitHub release request: %v", gh.release)
	}
	for _, name := range []string{"hello_0.2.0_linux_amd64.tar.gz", "hello_0.2.0_linux_arm64.tar.gz", "checksums.txt", "sbom.spdx.json"} {
		if len(gh.uploads[name]) == 0 {
			t.Errorf("asset %s not uploaded (got %d assets)", name, len(gh.uploads))
		}
	}
	// Releasing again: nothing to release.
	if code := r.release("--dist", t.TempDir()); code != 0 || !strings.Contains(r.lastOut, "No release: none of the 1 commits since v0.2.0") {
		t.Errorf("second release: exit %d\n%s%s", code, r.lastOut, r.err)
	}
}

func TestReleaseBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(r *releaseRepo)
		args  []string
		want  string
	}{
		{"dirty work tree", func(r *releaseRepo) { r.commit("feat: x"); r.write("main.go", "changed") }, nil, "uncommitted changes (M main.go)"},
		{"no tags", func(r *releaseRepo) {
			r.git(r.work, "tag", "-d", "v0.1.0")
			r.commit("feat: x")
		}, []string{"--remote", ""}, "no release tag vX.Y.Z"},
		{"tag that is not semver", func(r *releaseRepo) { r.git(r.work, "tag", "v0.2"); r.commit("feat: x") }, nil, `tag "v0.2" is not a release version`},
		{"missing token", func(r *releaseRepo) { r.commit("feat: x") }, []string{"--github", "course/hello"}, "needs a token: set GITHUB_TOKEN"},
		{"unknown remote", func(r *releaseRepo) { r.commit("feat: x") }, []string{"--remote", "upstream"}, "--remote upstream: no such git remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReleaseRepo(t)
			tc.setup(r)
			before := r.git(r.work, "tag", "--list")
			code := r.release(append([]string{"--dist", t.TempDir()}, tc.args...)...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want 2\n%s%s", code, r.lastOut, r.err)
			}
			if !strings.Contains(r.err, tc.want) || strings.Count(strings.TrimSpace(r.err), "\n") > 1 {
				t.Errorf("stderr %q, want one line with %q", r.err, tc.want)
			}
			if after := r.git(r.work, "tag", "--list"); after != before {
				t.Errorf("tags changed: %q → %q", before, after)
			}
			if tags := r.remoteTags(); strings.Contains(tags, "v0.2.0") || strings.Contains(tags, "v1.0.0") {
				t.Errorf("a tag reached origin: %s", tags)
			}
		})
	}
}

// fakeReleases is GitHub's releases API as the test needs it (GitHub
// Enterprise paths, since the client is pointed at it by URL).
type fakeReleases struct {
	t       *testing.T
	mu      sync.Mutex
	release map[string]any
	uploads map[string][]byte
}

func (f *fakeReleases) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/course/hello/releases":
		if err := json.NewDecoder(r.Body).Decode(&f.release); err != nil {
			f.t.Errorf("release body: %v", err)
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":7,"html_url":"https://github.example/course/hello/releases/tag/v0.2.0"}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/uploads/repos/course/hello/releases/7/assets":
		b, _ := io.ReadAll(r.Body)
		f.uploads[r.URL.Query().Get("name")] = b
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":1}`)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt line %q", sc.Text())
		}
		out[name] = sum
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
