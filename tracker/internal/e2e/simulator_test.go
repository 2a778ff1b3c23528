package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/tracker/internal/cmd"
)

// simulatorReport runs samples through the simulator's own recorder and
// writes its --json report, the file `simulator run --json` leaves behind.
func simulatorReport(t *testing.T, outcomes ...report.Outcome) string {
	t.Helper()
	start := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	rec := report.NewRecorder(report.Options{Target: "http://127.0.0.1:5001", Start: start})
	for i, o := range outcomes {
		at := start.Add(time.Duration(i) * time.Second)
		s := report.Sample{ActionID: int64(i + 1), Command: "tweet", Scheduled: at, Sent: at, Latency: 5 * time.Millisecond,
			Service: 5 * time.Millisecond, Status: 204, Outcome: o}
		if o != report.OK {
			s.Status, s.Err = 500, "HTTP 500"
		}
		rec.Add(s)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAttestSimulatorReport attests the simulator's real --json report
// without any --compliant flag: no errors is compliant, any error is not,
// and a JSON file that is not a simulator report is a usage error.
func TestAttestSimulatorReport(t *testing.T) {
	tr := fresh(t, "docker")
	tr.must("create", "flow", "minitwit", "--visibility", "public", "--template", "simulator")
	cases := []struct {
		name     string
		outcomes []report.Outcome
		printed  string
		state    string
	}{
		{"clean run", []report.Outcome{report.OK, report.OK, report.OK}, "(compliant)", "COMPLIANT"},
		{"run with errors", []report.Outcome{report.OK, report.WrongStatus, report.Timeout, report.Consequence}, "(non-compliant)", "NON-COMPLIANT"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			commit := strings.Repeat(string(rune('a'+i)), 10)
			fpx := fp("minitwit:" + commit)
			tr.must("attest", "artifact", "minitwit:"+commit, "--flow", "minitwit", "--fingerprint", fpx, "--commit", commit, "--trail", commit[:7])
			out := tr.must("attest", "simulator", "--flow", "minitwit", "--trail", commit[:7], "--name", "simulator", "--fingerprint", fpx,
				"--report", simulatorReport(t, tc.outcomes...))
			if !strings.Contains(out, "simulator evidence simulator was reported "+tc.printed) {
				t.Errorf("attest simulator printed %q, want %s", out, tc.printed)
			}
			got := tr.must("get", "artifact", "minitwit@"+fpx[:12])
			if !strings.Contains(got, "State:        "+tc.state+"\n") {
				t.Errorf("state after the report is not %s:\n%s", tc.state, got)
			}
		})
	}
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(other, []byte(`{"requests": 10}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tr.run(nil, "attest", "simulator", "--flow", "minitwit", "--trail", "aaaaaaa", "--name", "simulator", "--report", other)
	if r.code != cmd.ExitUsage || !strings.Contains(r.errOut, `no "errors" count`) {
		t.Errorf("JSON that is not a simulator report: exit %d, stderr %q", r.code, r.errOut)
	}
	help := tr.must("attest", "simulator", "--help")
	if !strings.Contains(help, `compliant when
its "errors" count is zero`) {
		t.Errorf("help does not say how compliance is derived:\n%s", help)
	}
}
