package buildinfo

import (
	"os/exec"
	"strings"
	"testing"
)

func TestGetUsesLinkerValues(t *testing.T) {
	oldV, oldC, oldD := Version, Commit, Date
	t.Cleanup(func() { Version, Commit, Date = oldV, oldC, oldD })
	Version, Commit, Date = "v9.9.9", "0123456789abcdef", "2026-11-22T00:00:00Z"

	got := Get()
	if got.Version != "v9.9.9" || got.Commit != "0123456789abcdef" || got.Date != "2026-11-22T00:00:00Z" {
		t.Fatalf("Get() = %+v, want the linker values", got)
	}
	if s := got.String(); !strings.Contains(s, "v9.9.9") || !strings.Contains(s, "0123456789abcdef") {
		t.Fatalf("String() = %q, want version and commit", s)
	}
}

func TestStringWithoutCommit(t *testing.T) {
	s := Info{Version: "dev"}.String()
	if s != "dev (commit unknown, built unknown)" {
		t.Fatalf("String() = %q", s)
	}
}

// TestGetFallsBackToGit: a test binary, like `go run`, carries no VCS
// stamp, so the commit comes from the checkout the test runs in.
func TestGetFallsBackToGit(t *testing.T) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	want := strings.TrimSpace(string(out))
	got := Get()
	if got.Commit != want {
		t.Errorf("Get().Commit = %q, want HEAD %q", got.Commit, want)
	}
	if got.Date == "" {
		t.Errorf("Get().Date is empty, want HEAD's commit time")
	}
}
