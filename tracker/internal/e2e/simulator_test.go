package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the real MiniTwit and simulator once per test binary.
func binaries(t *testing.T) (minitwit, simulator string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds MiniTwit and the simulator")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "tracker-e2e-bin-"); buildErr != nil {
			return
		}
		for name, pkg := range map[string]string{"minitwit": "./app", "simulator": "./simulator"} {
			c := exec.Command("go", "build", "-o", filepath.Join(binDir, name), pkg)
			c.Dir = testenv.RepoRoot(t)
			if out, err := c.CombinedOutput(); err != nil {
				buildErr = errors.Join(buildErr, errors.New("go build "+pkg+": "+string(out)))
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "minitwit"), filepath.Join(binDir, "simulator")
}

// startMiniTwit runs the real MiniTwit on a fresh SQLite file and returns
// its base URL (the simulator API is on the same port).
func startMiniTwit(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "minitwit.db"))
	c.Env = append(os.Environ(), "MINITWIT_SESSION_SECRET=e2e")
	logs := &testenv.SyncBuffer{}
	c.Stdout, c.Stderr = logs, logs
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })
	return testenv.WaitListening(t, logs.String, "", exited, 30*time.Second)
}

// scenarioHead writes the course scenario's first n actions to a file.
func scenarioHead(t *testing.T, n int) string {
	t.Helper()
	f, err := os.Open(testenv.CourseScenario(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text() + "\n")
	}
	p := filepath.Join(t.TempDir(), "scenario.tsv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAttestSimulatorReport runs the real `simulator run --json --html`
// against a real MiniTwit and feeds the files it wrote to the real
// `tracker attest simulator`: the clean run is compliant, its HTML report
// is stored with the evidence and linked from the artifact page; the same
// JSON attested through a custom type with the rule .errors == 0 is
// compliant too; a run against a dead target is not; a file that is not
// a simulator report is a usage error.
func TestAttestSimulatorReport(t *testing.T) {
	minitwit, simulator := binaries(t)
	target := startMiniTwit(t, minitwit)
	scenario := scenarioHead(t, 60)
	dir := t.TempDir()
	simulate := func(target, name string) (jsonPath, htmlPath string, code int) {
		jsonPath, htmlPath = filepath.Join(dir, name+".json"), filepath.Join(dir, name+".html")
		c := exec.Command(simulator, "run", "--target", target, "--scenario", scenario, "--json", jsonPath, "--html", htmlPath)
		out, err := c.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
		case err != nil:
			t.Fatalf("simulator run: %v\n%s", err, out)
		}
		if _, serr := os.Stat(jsonPath); serr != nil {
			t.Fatalf("simulator run (exit %d) wrote no --json file: %v\n%s", code, serr, out)
		}
		return jsonPath, htmlPath, code
	}
	cleanJSON, cleanHTML, code := simulate(target, "clean")
	if code != 0 {
		t.Fatalf("the clean run exited %d", code)
	}

	tr := fresh(t, "docker")
	tr.must("create", "flow", "sim", "--visibility", "public", "--template", "simulator")
	attestArtifact := func(commit string) string {
		fpx := fp("minitwit:" + commit)
		tr.must("attest", "artifact", "minitwit:"+commit, "--flow", "sim", "--fingerprint", fpx, "--commit", commit, "--trail", commit[:7])
		return fpx
	}
	state := func(fpx string) string {
		got := tr.must("get", "artifact", "sim@"+fpx[:12])
		m := regexp.MustCompile(`State:\s+(\S+)`).FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("no State in:\n%s", got)
		}
		return m[1]
	}

	// The real report and its HTML: compliant, the HTML attached.
	fpClean := attestArtifact("aaaaaaaaaa")
	out := tr.must("attest", "simulator", "--flow", "sim", "--trail", "aaaaaaa", "--name", "simulator", "--fingerprint", fpClean,
		"--report", cleanJSON, "--html", cleanHTML)
	if !strings.Contains(out, "simulator evidence simulator was reported (compliant)") || state(fpClean) != "COMPLIANT" {
		t.Fatalf("clean run: %q, state %s", out, state(fpClean))
	}
	att := tr.must("get", "attestation", "simulator", "--flow", "sim", "--fingerprint", fpClean)
	if !strings.Contains(att, "Attachment:") || !strings.Contains(att, "clean.html") {
		t.Fatalf("the HTML report is not stored with the evidence:\n%s", att)
	}
	page := get(t, tr.host+"/ui/course/flows/sim/artifacts/"+fpClean)
	link := regexp.MustCompile(`<a class="attachment" href="([^"]+)"[^>]*>clean.html</a>`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("the artifact page does not link the HTML report:\n%s", page)
	}
	want, err := os.ReadFile(cleanHTML)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, tr.host+link[1]); got != string(want) {
		t.Fatalf("the linked report is not the simulator's HTML (%d bytes, want %d)", len(got), len(want))
	}

	// The same JSON through a custom attestation type: .errors == 0.
	tr.must("create", "attestation-type", "simulator-run", "--jq", ".errors == 0", "--jq", ".passed")
	fpCustom := attestArtifact("bbbbbbbbbb")
	out = tr.must("attest", "custom", "--type", "simulator-run", "--flow", "sim", "--trail", "bbbbbbb", "--name", "simulator", "--fingerprint", fpCustom,
		"--attestation-data", cleanJSON, "--attachment", cleanHTML)
	if !strings.Contains(out, "(compliant)") || state(fpCustom) != "COMPLIANT" {
		t.Fatalf("custom attestation of the clean run: %q, state %s", out, state(fpCustom))
	}

	// A run against a target that refuses connections: errors, not compliant.
	deadJSON, _, code := simulate("http://127.0.0.1:1", "dead")
	if code == 0 {
		t.Fatalf("a run against a dead target exited 0")
	}
	fpDead := attestArtifact("cccccccccc")
	out = tr.must("attest", "simulator", "--flow", "sim", "--trail", "ccccccc", "--name", "simulator", "--fingerprint", fpDead, "--report", deadJSON)
	if !strings.Contains(out, "(non-compliant)") || state(fpDead) != "NON-COMPLIANT" {
		t.Fatalf("dead target: %q, state %s", out, state(fpDead))
	}
	if r := tr.run(nil, "assert", "artifact", fpDead, "--flow", "sim"); r.code != 1 {
		t.Fatalf("the gate let the failing run's artifact on: exit %d\n%s", r.code, r.out)
	}

	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"requests": 10}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tr.run(nil, "attest", "simulator", "--flow", "sim", "--trail", "aaaaaaa", "--name", "simulator", "--report", other)
	if r.code != cmd.ExitUsage || !strings.Contains(r.errOut, "not a minitwit-simulator-report/v1 document") {
		t.Errorf("JSON that is not a simulator report: exit %d, stderr %q", r.code, r.errOut)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v\n%s", u, resp.StatusCode, err, body)
	}
	return string(body)
}
