package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/state"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func oneLine(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", wants)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not name %q", msg, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "state.json")
	s := state.New(commit, "v1", time.Unix(1700000000, 0), "https://example.org/kit")
	s.Build = &state.Build{Dir: "/x", Binaries: map[string]state.Binary{"minitwit": {Path: "/x/minitwit", SHA256: "ab"}}}
	s.AddRecord("build", "trail 0123", "", time.Unix(1700000001, 0))
	if err := s.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := state.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != commit || got.Build.Binaries["minitwit"].SHA256 != "ab" || !got.CommitTime.Equal(time.Unix(1700000000, 0)) || len(got.Recorded) != 1 {
		t.Errorf("round trip lost data: %+v", got)
	}
}

func TestLoadBadInput(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		wants         []string
	}{
		{"not json", "{\n\"schema\": 1,\n\"commit\": ", []string{"malformed", "state.json"}},
		{"wrong type", "{\n\"schema\": 1,\n\"commit\": 5}", []string{"malformed", "line 3", "commit"}},
		{"unknown field", `{"schema": 1, "commit": "` + commit + `", "digests": {}}`, []string{"malformed", `"digests"`}},
		{"other schema", `{"schema": 7, "commit": "` + commit + `"}`, []string{"schema 7"}},
		{"bad commit", `{"schema": 1, "commit": "HEAD"}`, []string{"malformed", `"HEAD"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := state.Load(write(t, tt.content))
			oneLine(t, err, tt.wants...)
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := state.Load(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, state.ErrNoState) {
		t.Fatalf("err = %v, want ErrNoState", err)
	}
	oneLine(t, err, "pipeline build")
}

func TestMissingPreviousStep(t *testing.T) {
	s := state.New(commit, "v1", time.Now(), "")
	_, err := s.RequireBuild()
	oneLine(t, err, "pipeline build", "0123456789ab")
	_, err = s.RequirePassedTests()
	oneLine(t, err, "pipeline test")
	_, err = s.RequireImages("minitwit")
	oneLine(t, err, "minitwit", "pipeline image")
	_, err = s.RequirePublished("minitwit")
	oneLine(t, err, "pipeline publish")

	s.Build = &state.Build{Binaries: map[string]state.Binary{"minitwit": {Path: filepath.Join(t.TempDir(), "gone")}}}
	_, err = s.RequireBuild("tracker")
	oneLine(t, err, "no tracker binary")
	_, err = s.RequireBuild("minitwit")
	oneLine(t, err, "minitwit binary", "gone")

	s.Test = &state.Test{Passed: false, Tests: 10, Failures: 2}
	_, err = s.RequirePassedTests()
	oneLine(t, err, "failed (2 of 10)", "nothing is published")

	if err := s.ForCommit("fedcba9876543210fedcba9876543210fedcba98"); err == nil {
		t.Error("a state of another commit was accepted")
	} else {
		oneLine(t, err, "0123456789ab", "fedcba987654")
	}
}

func TestDigestRef(t *testing.T) {
	good := "127.0.0.1:5000/minitwit@sha256:" + strings.Repeat("ab", 32)
	if err := state.CheckDigestRef(good); err != nil {
		t.Errorf("%s: %v", good, err)
	}
	for _, bad := range []string{"minitwit:latest", "127.0.0.1:5000/minitwit:0123abcd", "minitwit@sha256:abc", "minitwit@" + strings.Repeat("ab", 32), ""} {
		oneLine(t, state.CheckDigestRef(bad), "not pinned by digest", bad)
	}
	s := state.New(commit, "v1", time.Now(), "")
	s.Publish = &state.Publish{Refs: map[string]string{"minitwit": "registry:5000/minitwit:latest"}}
	_, err := s.RequirePublished("minitwit")
	oneLine(t, err, "not pinned by digest")
}

func TestEnvironments(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pipeline"), 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(content string) {
		if err := os.WriteFile(filepath.Join(dir, state.EnvironmentsFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"beta": {"replicas": 1}, "prod": {"replicas": 3}}`)
	envs, err := state.LoadEnvironments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := envs.Get("prod"); err != nil || e.Replicas != 3 {
		t.Errorf("prod: %+v, %v", e, err)
	}
	_, err = envs.Get("staging")
	oneLine(t, err, `unknown environment "staging"`, "beta, prod")

	put(`{"prod": {"replicas": 0}}`)
	_, err = state.LoadEnvironments(dir)
	oneLine(t, err, "prod has 0 replicas")
	put(`{"prod": {"replica": 2}}`)
	_, err = state.LoadEnvironments(dir)
	oneLine(t, err, "malformed", `"replica"`)
}

// The checkout's own file is valid.
func TestCheckoutEnvironments(t *testing.T) {
	envs, err := state.LoadEnvironments("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"beta", "prod"} {
		if _, err := envs.Get(n); err != nil {
			t.Error(err)
		}
	}
}
