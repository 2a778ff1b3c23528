package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
	"github.com/minitwit-cd/kit/tracker/reporter/dockertest"
)

// fresh starts a server with one org, a flow and an environment.
func fresh(t *testing.T, envType string) *tracker {
	t.Helper()
	c := &testenv.Clock{}
	c.Set(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	tr := start(t, c)
	tr.createOrg("course")
	tr.must("create", "flow", "minitwit", "--visibility", "public")
	tr.must("create", "environment", "vm", "--type", envType)
	return tr
}

// TestSnapshotDocker reports real containers of an image pushed to a real
// registry: N containers are N replicas of the pushed digest, and stopping
// one makes the next report a new snapshot with a scale-down event.
func TestSnapshotDocker(t *testing.T) {
	testenv.Docker(t)
	registry := dockertest.Registry(t)
	ref, digest := dockertest.Image(t, registry, "e2e-minitwit")
	label := dockertest.Label(t)
	ids := dockertest.Run(t, ref, label, 3)

	tr := fresh(t, "docker")
	tr.t = t
	fpOut := tr.must("fingerprint", "--docker", ref)
	if strings.TrimSpace(fpOut) != digest {
		t.Fatalf("fingerprint --docker = %q, want the pushed digest %s", fpOut, digest)
	}
	out := tr.must("attest", "artifact", ref, "--artifact-type", "docker", "--flow", "minitwit", "--commit", "0123456789abcdef")
	if !strings.Contains(out, digest) {
		t.Errorf("attest artifact --artifact-type docker printed %q, want digest %s", out, digest)
	}

	out = tr.must("snapshot", "docker", "vm", "--label", label)
	if !strings.Contains(out, "vm#1: new snapshot") || !strings.Contains(out, digest[:12]) || !strings.Contains(out, "3 replicas") {
		t.Fatalf("first docker report printed:\n%s", out)
	}
	out = tr.must("snapshot", "docker", "vm", "--label", label)
	if !strings.Contains(out, "vm#1: unchanged") {
		t.Errorf("same containers again printed:\n%s", out)
	}

	dockertest.Stop(t, ids[0])
	tr.clock.Advance(time.Minute)
	out = tr.must("snapshot", "docker", "vm", "--label", label)
	if !strings.Contains(out, "vm#2: new snapshot") || !strings.Contains(out, "2 replicas") || !strings.Contains(out, "1 instance stopped running (from 3 to 2).") {
		t.Fatalf("report after stopping one printed:\n%s", out)
	}
	log := tr.must("log", "environment", "vm")
	if !strings.Contains(log, "3 instances started running (from 0 to 3).") || !strings.Contains(log, "1 instance stopped running (from 3 to 2).") {
		t.Errorf("log environment:\n%s", log)
	}
	art := tr.must("get", "artifact", "minitwit@"+digest[:12])
	if !strings.Contains(art, "Started running in vm#1 environment") || !strings.Contains(art, "Scaled down from 3 to 2 in vm#2 environment") {
		t.Errorf("artifact history:\n%s", art)
	}
}

// TestSnapshotPathsAndServer reports files and directories on a host.
func TestSnapshotPathsAndServer(t *testing.T) {
	tr := fresh(t, "server")
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "bin", "minitwit"), "binary v1")
	write(filepath.Join(dir, "static", "file.extra"), "this is known extra content")
	write(filepath.Join(dir, "static", "app.js.map"), "noise")
	pf := filepath.Join(dir, "paths.yml")
	write(pf, "version: 1\nartifacts:\n  minitwit:\n    path: bin/minitwit\n  static:\n    path: static\n    exclude: [\"*.map\"]\n")

	const known = "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e"
	if got := strings.TrimSpace(tr.must("fingerprint", filepath.Join(dir, "static"), "--exclude", "*.map")); got != known {
		t.Errorf("fingerprint dir = %s, want %s", got, known)
	}
	out := tr.must("snapshot", "paths", "vm", "--paths-file", pf)
	if !strings.Contains(out, "vm#1: new snapshot") || !strings.Contains(out, "static") || !strings.Contains(out, known[:12]) {
		t.Fatalf("snapshot paths printed:\n%s", out)
	}
	// A new binary is a new fingerprint: the server reporter sees it start.
	write(filepath.Join(dir, "bin", "minitwit"), "binary v2")
	out = tr.must("snapshot", "server", "vm", "--paths", filepath.Join(dir, "bin", "*"), "--paths", filepath.Join(dir, "static"), "-x", "*.map")
	if !strings.Contains(out, "vm#2: new snapshot") || !strings.Contains(out, "1 instance started running (from 0 to 1).") {
		t.Fatalf("snapshot server printed:\n%s", out)
	}
	r := tr.run(nil, "snapshot", "server", "vm", "--paths", filepath.Join(dir, "nothing-*"))
	if r.code == 0 || !strings.Contains(r.errOut, "no file or directory matches") {
		t.Errorf("glob without match: exit %d, %q", r.code, r.errOut)
	}
}

// TestSnapshotEvery keeps reporting until stopped, printing each report.
func TestSnapshotEvery(t *testing.T) {
	tr := fresh(t, "server")
	file := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(file, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testenv.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cmd.Main(ctx, tr.factory(out, &testenv.SyncBuffer{}, nil), []string{"snapshot", "server", "vm", "--paths", file, "--every", "20ms"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), "vm#1: unchanged") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no repeated reports within 20s:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("--every exited with %d after being stopped", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--every did not stop when its context was cancelled")
	}
	if !strings.HasPrefix(out.String(), "[") || !strings.Contains(out.String(), "vm#1: new snapshot") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestDryRunSendsNothing prints the request of a write and stores nothing.
func TestDryRunSendsNothing(t *testing.T) {
	tr := fresh(t, "server")
	out := tr.must("create", "flow", "ghost", "--description", "never sent", "--dry-run")
	if !strings.HasPrefix(out, "PUT "+tr.host+"/api/v2/flows/course\n") || !strings.Contains(out, `"name":"ghost"`) {
		t.Errorf("dry-run printed:\n%s", out)
	}
	fpx := fp("dry")
	out = tr.must("report", "deployment", "--flow", "minitwit", "--fingerprint", fpx, "--environment", "vm", "-D")
	if !strings.HasPrefix(out, "POST "+tr.host+"/api/v2/deployments/course/minitwit\n") {
		t.Errorf("dry-run deployment printed:\n%s", out)
	}
	// Dry runs need no token.
	r := tr.run(map[string]string{"TRACKER_API_TOKEN": ""}, "attest", "generic", "--flow", "minitwit", "--trail", "t", "--name", "n", "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "multipart/form-data") {
		t.Errorf("dry-run without token: %d %q %q", r.code, r.out, r.errOut)
	}
	if flows := tr.must("ls", "flows"); strings.Contains(flows, "ghost") {
		t.Errorf("dry-run created the flow:\n%s", flows)
	}
	// A reporter's dry run collects, prints the body and reports nothing.
	file := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(file, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = tr.must("snapshot", "server", "vm", "--paths", file, "--dry-run")
	if !strings.HasPrefix(out, "PUT "+tr.host+"/api/v2/environments/course/vm/report/server\n") || !strings.Contains(out, `"digests":{"bin":"`) {
		t.Errorf("snapshot dry-run printed:\n%s", out)
	}
	if snaps := tr.must("ls", "snapshots", "vm"); !strings.Contains(snaps, "No snapshots") {
		t.Errorf("snapshot dry-run reported:\n%s", snaps)
	}
}

// TestEvidenceAndMetrics attests JUnit, simulator and generic evidence and
// shows the flow's DORA metrics; bad evidence is refused with one line.
func TestEvidenceAndMetrics(t *testing.T) {
	tr := fresh(t, "docker")
	tr.must("create", "flow", "minitwit", "--visibility", "public", "--template", "unit-tests,simulator")
	fpx := fp("minitwit:abc1234")
	tr.must("attest", "artifact", "minitwit:abc1234", "--flow", "minitwit", "--fingerprint", fpx, "--commit", "abc1234def", "--trail", "abc1234")
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	if err := os.WriteFile(junit, []byte(`<testsuites><testsuite name="app" tests="3" failures="0" errors="0"></testsuite></testsuites>`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := tr.must("attest", "junit", "--flow", "minitwit", "--trail", "abc1234", "--name", "unit-tests", "--fingerprint", fpx, "--results-file", junit)
	if !strings.Contains(out, "junit evidence unit-tests was reported (compliant)") {
		t.Errorf("attest junit printed %q", out)
	}
	state := tr.must("get", "artifact", "minitwit@"+fpx[:10])
	if !strings.Contains(state, "State:        INCOMPLETE") {
		t.Errorf("with one of two template evidences the state is not INCOMPLETE:\n%s", state)
	}
	// A failing run's report, in the document the simulator writes
	// (internal/simreport; TestAttestSimulatorReport runs the real one).
	report := filepath.Join(dir, "report.json")
	var doc bytes.Buffer
	if err := simreport.Encode(&doc, simreport.Report{Schema: simreport.Schema, Total: 1000, Errors: 12, Failure: "12 errors"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out = tr.must("attest", "simulator", "--flow", "minitwit", "--trail", "abc1234", "--name", "simulator", "--fingerprint", fpx, "--report", report)
	if !strings.Contains(out, "(non-compliant)") {
		t.Errorf("attest simulator printed %q", out)
	}
	state = tr.must("get", "artifact", "minitwit@"+fpx[:10])
	if !strings.Contains(state, "State:        NON-COMPLIANT") || !strings.Contains(state, "simulator evidence received") {
		t.Errorf("after a failing simulator report:\n%s", state)
	}

	notXML := filepath.Join(dir, "junit.txt")
	if err := os.WriteFile(notXML, []byte("all tests passed!"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tr.run(nil, "attest", "junit", "--flow", "minitwit", "--trail", "abc1234", "--name", "unit-tests", "--fingerprint", fpx, "--results-file", notXML)
	if r.code == 0 || strings.Count(r.errOut, "\n") > 2 || !strings.Contains(strings.ToLower(r.errOut), "xml") {
		t.Errorf("JUnit file that is not XML: exit %d, stderr %q", r.code, r.errOut)
	}
	r = tr.run(nil, "attest", "simulator", "--flow", "minitwit", "--trail", "abc1234", "--name", "simulator", "--report", notXML)
	if r.code != cmd.ExitUsage || !strings.Contains(r.errOut, "is not valid JSON") {
		t.Errorf("simulator report that is not JSON: exit %d, stderr %q", r.code, r.errOut)
	}

	tr.clock.Advance(time.Hour)
	tr.must("report", "deployment", "--flow", "minitwit", "--fingerprint", fpx, "--environment", "vm")
	tr.clock.Advance(time.Hour)
	tr.must("report", "deployment", "--flow", "minitwit", "--fingerprint", fpx, "--environment", "vm", "--status", "failed")
	out = tr.must("get", "flow", "minitwit", "--metrics")
	if !strings.Contains(out, "DORA metrics of flow minitwit") || !strings.Contains(out, "vm") || !strings.Contains(out, "50% (1 of 2)") {
		t.Errorf("get flow --metrics:\n%s", out)
	}
}

// TestVersionAndStatus checks --version and status against the server.
func TestVersionAndStatus(t *testing.T) {
	tr := fresh(t, "server")
	if out := tr.must("--version"); !strings.HasPrefix(out, "tracker version ") {
		t.Errorf("--version printed %q", out)
	}
	if out := tr.must("status"); out != "OK: "+tr.host+" is ready\n" {
		t.Errorf("status printed %q", out)
	}
	r := tr.run(map[string]string{"TRACKER_HOST": "http://127.0.0.1:1"}, "status")
	if r.code != cmd.ExitUnreachable || !strings.HasPrefix(r.errOut, "Error: server http://127.0.0.1:1 is not ready") {
		t.Errorf("status of a dead server: %d %q", r.code, r.errOut)
	}
}

// TestSnapshotJSONRejectsWrongShape refuses a report file of the wrong shape
// before sending it.
func TestSnapshotJSONRejectsWrongShape(t *testing.T) {
	tr := fresh(t, "server")
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":        "hello",
		"unknown field":   `{"artefacts": []}`,
		"two digests":     `{"artifacts": [{"digests": {"a": "` + fp("a") + `", "b": "` + fp("b") + `"}, "creationTimestamp": 1}]}`,
		"bad fingerprint": `{"artifacts": [{"digests": {"a": "xyz"}, "creationTimestamp": 1}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			r := tr.run(nil, "snapshot", "json", "vm", "--file", file)
			if r.code == 0 || !strings.HasPrefix(r.errOut, "Error: ") {
				t.Errorf("exit %d, stderr %q", r.code, r.errOut)
			}
		})
	}
	if out := tr.must("ls", "snapshots", "vm"); !strings.Contains(out, "No snapshots") {
		t.Errorf("a rejected report stored a snapshot:\n%s", out)
	}
	_ = bytes.MinRead
}

// TestCreateFlowFromTemplateFile sends a Kosli YAML template as a file; a
// template that is not YAML is refused with one line.
func TestCreateFlowFromTemplateFile(t *testing.T) {
	tr := fresh(t, "server")
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.yml")
	if err := os.WriteFile(tpl, []byte("version: 1\ntrail:\n  artifacts:\n    - name: app\n      attestations:\n        - name: unit-tests\n          type: junit\n        - name: simulator\n          type: custom\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := tr.must("create", "flow", "templated", "--template-file", tpl); out != "flow templated was created\n" {
		t.Errorf("create flow --template-file printed %q", out)
	}
	if out := tr.must("get", "flow", "templated"); !strings.Contains(out, "unit-tests") || !strings.Contains(out, "simulator") {
		t.Errorf("the template's evidence names are not the flow's template:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("trail: [unclosed"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tr.run(nil, "create", "flow", "broken", "--template-file", bad)
	if r.code == 0 || !strings.Contains(r.errOut, "YAML") {
		t.Errorf("template that is not YAML: exit %d, stderr %q", r.code, r.errOut)
	}
}

// TestEverySurvivesAnUnreachableServer keeps a timed reporter running while
// the server is down: each failed round is one error line, not an exit.
func TestEverySurvivesAnUnreachableServer(t *testing.T) {
	tr := fresh(t, "server")
	file := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(file, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &testenv.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cmd.Main(ctx, tr.factory(&testenv.SyncBuffer{}, errOut, map[string]string{"TRACKER_HOST": "http://127.0.0.1:1"}),
			[]string{"snapshot", "server", "vm", "--paths", file, "--every", "20ms"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(errOut.String(), "cannot connect") < 3 {
		select {
		case code := <-done:
			t.Fatalf("--every exited with %d while the server was down: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no repeated error lines within 20s: %q", errOut.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output, with a deadline
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after stop", code)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		if !strings.HasPrefix(line, "Error: report snapshot of vm: tracker server unreachable") {
			t.Errorf("unexpected stderr line %q", line)
		}
	}
}

// TestServeAndAdminErrors: a database that cannot be opened, an address
// that cannot be listened on and an org that exists are one-line errors.
func TestServeAndAdminErrors(t *testing.T) {
	tr := fresh(t, "server")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"db in a missing directory", []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "no", "such", "dir", "t.db")}, "open sqlite store"},
		{"address in use", []string{"serve", "--addr", strings.TrimPrefix(tr.host, "http://"), "--db", filepath.Join(t.TempDir(), "t.db")}, "listen on"},
		{"org exists", []string{"admin", "create-org", "course", "--db", tr.db}, "course"},
		{"bad org name", []string{"admin", "create-org", "no/slash", "--db", tr.db}, `invalid org name "no/slash"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr.run(nil, tt.args...)
			if r.code == 0 || !strings.HasPrefix(r.errOut, "Error: ") || !strings.Contains(r.errOut, tt.want) {
				t.Errorf("exit %d, stderr %q, want an error naming %q", r.code, r.errOut, tt.want)
			}
			if r.out != "" {
				t.Errorf("stdout = %q, want no token or output", r.out)
			}
		})
	}
}
