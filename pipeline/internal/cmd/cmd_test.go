package cmd_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/internal/cmd"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// result is one run of the real command tree.
type result struct {
	code        int
	out, errOut string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	s, _, out, errOut := cli.Test()
	s.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Run(ctx, cmd.Program(), s, args)
	return result{code, out.String(), errOut.String()}
}

// checkout is a git repository with one commit (a stand-in checkout for
// the steps that fail before building anything).
func checkout(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	gitc := func(args ...string) string {
		c := exec.Command("git", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
			"GIT_AUTHOR_DATE=2026-11-02T12:00:00Z", "GIT_COMMITTER_DATE=2026-11-02T12:00:00Z")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitc("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitc("add", "go.mod")
	gitc("commit", "-q", "-m", "one")
	return dir, gitc("rev-parse", "HEAD")
}

func wantOneLine(t *testing.T, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d; stderr %q", r.code, code, r.errOut)
	}
	first := strings.SplitN(r.errOut, "\n", 2)[0]
	for _, w := range wants {
		if !strings.Contains(first, w) {
			t.Errorf("error line %q does not name %q", first, w)
		}
	}
}

func TestMissingState(t *testing.T) {
	dir, _ := checkout(t)
	for _, step := range [][]string{{"image"}, {"test"}, {"publish", "--registry", "127.0.0.1:1"}, {"smoke", "--target", "http://127.0.0.1:1"}} {
		r := run(t, nil, append(step, "--dir", dir)...)
		wantOneLine(t, r, cli.ExitUsage, "no pipeline state", "run `pipeline build` first")
	}
}

func TestMalformedState(t *testing.T) {
	dir, _ := checkout(t)
	sp := filepath.Join(dir, "state.json")
	if err := os.WriteFile(sp, []byte("{\"schema\": 1,\n \"commit\": [1]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "image", "--dir", dir, "--state", sp)
	wantOneLine(t, r, cli.ExitUsage, "state file "+sp+" is malformed", "line 2")
}

func TestPreviousStepMissing(t *testing.T) {
	dir, commit := checkout(t)
	sp := filepath.Join(dir, "state.json")
	s := state.New(commit, "v1", time.Now(), cmd.DefaultSource)
	if err := s.Save(sp); err != nil {
		t.Fatal(err)
	}
	wantOneLine(t, run(t, nil, "image", "--dir", dir, "--state", sp), cli.ExitUsage, "no build of commit "+commit[:12], "pipeline build")
	wantOneLine(t, run(t, nil, "publish", "--registry", "127.0.0.1:1", "--dir", dir, "--state", sp), cli.ExitFailure, "have not run", "pipeline test")

	// A state of another commit is not this checkout's.
	other := state.New("fedcba9876543210fedcba9876543210fedcba98", "v0", time.Now(), "")
	if err := other.Save(sp); err != nil {
		t.Fatal(err)
	}
	wantOneLine(t, run(t, nil, "image", "--dir", dir, "--state", sp), cli.ExitUsage, "fedcba987654", commit[:12])
}

// TestFailedTestsPublishNothing: with the tests failed in the state,
// publish refuses and the registry stays empty.
func TestFailedTestsPublishNothing(t *testing.T) {
	reg := testenv.Registry(t)
	dir, commit := checkout(t)
	sp := filepath.Join(dir, "state.json")
	s := state.New(commit, "v1", time.Now(), cmd.DefaultSource)
	s.Test = &state.Test{Passed: false, Tests: 12, Failures: 3}
	s.Images = map[string]state.Image{"minitwit": {Layout: dir}, "tracker": {Layout: dir}}
	if err := s.Save(sp); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "publish", "--registry", reg, "--dir", dir, "--state", sp)
	wantOneLine(t, r, cli.ExitFailure, "tests of commit "+commit[:12]+" failed (3 of 12)", "nothing is published")
	resp, err := http.Get("http://" + reg + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cat struct{ Repositories []string }
	if err := json.NewDecoder(resp.Body).Decode(&cat); err != nil {
		t.Fatal(err)
	}
	if len(cat.Repositories) != 0 {
		t.Errorf("the registry holds %v after a refused publish", cat.Repositories)
	}
}

func TestBadFlags(t *testing.T) {
	dir, _ := checkout(t)
	wantOneLine(t, run(t, nil, "publish", "--registry", "http://x/y", "--dir", dir), cli.ExitUsage, "--registry", "HOST[:PORT]")
	wantOneLine(t, run(t, nil, "smoke", "--target", "localhost:5000", "--dir", dir), cli.ExitUsage, "--target")
	wantOneLine(t, run(t, nil, "build", "--program", "nope", "--dir", dir), cli.ExitUsage, `unknown program "nope"`)
	wantOneLine(t, run(t, nil, "test", "--min-coverage", "120", "--dir", dir), cli.ExitUsage, "--min-coverage")
}

// TestTracker: without TRACKER_HOST a step says nothing was recorded; set
// and unreachable, the step fails before doing anything, naming it.
func TestTracker(t *testing.T) {
	dir, _ := checkout(t)
	closed := "http://" + testenv.FreeAddr(t)
	r := run(t, map[string]string{"TRACKER_HOST": closed, "TRACKER_ORG": "o", "TRACKER_API_TOKEN": "t"}, "build", "--dir", dir)
	wantOneLine(t, r, cli.ExitUnreachable, "the tracker at "+closed, "does not answer")
	if _, err := os.Stat(filepath.Join(dir, state.DefaultPath)); err == nil {
		t.Error("a state file was written although the step failed first")
	}
	r = run(t, map[string]string{"TRACKER_HOST": closed}, "build", "--dir", dir)
	wantOneLine(t, r, cli.ExitUsage, "TRACKER_ORG or TRACKER_API_TOKEN")
}

// TestRunRenderings drives pipeline run to a failing build (a checkout
// without the kit's programs) in each rendering.
func TestRunRenderings(t *testing.T) {
	dir, _ := checkout(t)
	summary := filepath.Join(t.TempDir(), "summary.md")
	gh := run(t, map[string]string{"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_STEP_SUMMARY": summary}, "run", "--dir", dir)
	if gh.code != cli.ExitFailure {
		t.Errorf("run: exit %d, want 1: %s", gh.code, gh.errOut)
	}
	for _, want := range []string{"::group::build\n", "::endgroup::\n", "::error title=pipeline build::build minitwit:"} {
		if !strings.Contains(gh.out, want) {
			t.Errorf("Actions output lacks %q:\n%s", want, gh.out)
		}
	}
	raw, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| build | ❌ failed |", "| test | ⏭ skipped |", "an earlier step failed", "| publish | ⏭ skipped |  | an earlier step failed |"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("job summary lacks %q:\n%s", want, raw)
		}
	}
	plain := run(t, map[string]string{"CI": "true"}, "run", "--dir", dir)
	for _, want := range []string{"==> build\n", "<== build FAILED", "--- test skipped: an earlier step failed\n"} {
		if !strings.Contains(plain.out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, plain.out)
		}
	}
	if strings.Contains(plain.out, "::group::") || strings.Contains(plain.out, "\x1b[") {
		t.Errorf("plain output has Actions commands or escapes:\n%s", plain.out)
	}
}

// TestDeployInput: pipeline deploy checks the environment against
// pipeline/environments.json, refuses a tag, and without --image needs a
// published image in the state.
func TestDeployInput(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	target := []string{"deploy", "--host", "deploy@127.0.0.1:2222", "--known-hosts", kh, "--key", key, "--state", filepath.Join(dir, "state.json")}
	wantOneLine(t, run(t, nil, append(target, "--env", "staging")...), cli.ExitUsage, `unknown environment "staging"`, "beta, prod", "pipeline/environments.json")
	wantOneLine(t, run(t, nil, append(target, "--env", "prod", "--image", "registry:5000/minitwit:latest", "--commit", "c")...), cli.ExitUsage,
		`"registry:5000/minitwit:latest" is not pinned by digest`)
	wantOneLine(t, run(t, nil, append(target, "--env", "prod")...), cli.ExitUsage, "--image is required", "no pipeline state")
}
