package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
)

func TestFormatTimeMatchesSpec(t *testing.T) {
	loc := berlin(t)
	created := time.Date(2022, 8, 22, 11, 35, 0, 0, loc)
	now := created.Add(15*24*time.Hour + 3*time.Hour)
	got := formatTime(created, now, loc, true)
	if want := "Mon, 22 Aug 2022 11:35:00 CEST \u2022 15 days ago"; got != want {
		t.Errorf("formatTime = %q, want %q", got, want)
	}
	if got := formatTime(time.Time{}, now, loc, true); got != "N/A" {
		t.Errorf("zero time = %q, want N/A", got)
	}
}

// story fixtures: the tutorial's runner artifacts, in Berlin time.
var (
	storyNow   = time.Date(2022, 9, 6, 14, 35, 0, 0, time.UTC)
	oldFP      = "d3c4a11a0e5a4b1f0d2b1b7b5e1f1c0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
	newFP      = "9af401c4350b21a3f1d8a6e5ab2e3b2c3d9a1ef7f6a4e0a5c3e2a1b0c9d8e7f6"
	newCommit  = "16d9990ad23a40eecaf087abac2a58a2d2a4b3f4"
	oldCommit  = "7f3e1a2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"
	commitURL  = "https://github.com/cyber-dojo/runner/commit/" + newCommit
	createdAt  = time.Date(2022, 8, 22, 9, 35, 0, 0, time.UTC) // 11:35 CEST
	runningNew = createdAt.Add(2 * time.Hour).Unix()
	runningOld = createdAt.Add(-72 * time.Hour).Unix()
)

func TestPrintArtifactGolden(t *testing.T) {
	ts := func(d time.Duration) float64 { return api.Unix(createdAt.Add(d)) }
	a := api.Artifact{
		Name: "cyberdojo/runner:16d9990", Flow: "runner", Fingerprint: newFP, GitCommit: newCommit,
		CommitURL: commitURL, BuildURL: "https://github.com/cyber-dojo/runner/actions/runs/2902808452",
		CreatedAt: api.Unix(createdAt), State: "COMPLIANT",
		History: []api.HistoryItem{
			{Event: "Artifact created", Timestamp: ts(0)},
			{Event: "branch-coverage evidence received", Timestamp: ts(time.Minute)},
			{Event: "Deployment #18 to aws-beta environment", Timestamp: ts(5 * time.Minute)},
			{Event: "Started running in aws-beta#84 environment", Timestamp: ts(6 * time.Minute)},
		},
	}
	var out bytes.Buffer
	if err := printArtifact(&out, a, storyNow, berlin(t), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "print-artifact", out.Bytes())

	// On a terminal the state is coloured; piped output stays plain.
	out.Reset()
	if err := printArtifact(&out, a, storyNow, berlin(t), true); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("\x1b[32mCOMPLIANT\x1b[0m")) {
		t.Errorf("TTY output does not colour the state:\n%q", out.String())
	}
}

func TestPrintSnapshotShowsBlueGreen(t *testing.T) {
	s := api.Snapshot{Environment: "aws-prod", Index: 65, Artifacts: []api.SnapshotArtifact{
		{Name: "cyberdojo/runner:16d9990", Fingerprint: newFP, FlowName: "runner", GitCommit: newCommit,
			CreationTimestamp: []int64{runningNew, runningNew, runningNew}, Annotation: api.Annotation{Type: "started", Was: 0, Now: 3}},
		{Name: "cyberdojo/runner:7f3e1a2", Fingerprint: oldFP, FlowName: "runner", GitCommit: oldCommit,
			CreationTimestamp: []int64{runningOld}, Annotation: api.Annotation{Type: "unchanged", Was: 1, Now: 1}},
		{Name: "cyberdojo/gone:1", Fingerprint: oldFP, CreationTimestamp: []int64{}, Annotation: api.Annotation{Type: "exited", Was: 1, Now: 0}},
	}}
	var out bytes.Buffer
	if err := printSnapshot(&out, s, storyNow); err != nil {
		t.Fatal(err)
	}
	golden(t, "print-snapshot", out.Bytes())
}

func TestPrintDiffGolden(t *testing.T) {
	d := api.SnapshotDiff{
		Snappish1: api.DiffItem{SnapshotID: "aws-prod#64", Artifacts: []api.DiffArtifact{
			{Name: "cyberdojo/runner:7f3e1a2", Fingerprint: oldFP, Flow: "runner", MostRecentTimestamp: runningOld},
		}},
		Snappish2: api.DiffItem{SnapshotID: "aws-prod#65", Artifacts: []api.DiffArtifact{
			{Name: "cyberdojo/runner:16d9990", Fingerprint: newFP, Flow: "runner", CommitURL: commitURL, MostRecentTimestamp: runningNew},
		}},
		Changed: api.DiffItem{SnapshotID: "aws-prod#65", Artifacts: []api.DiffArtifact{
			{Name: "cyberdojo/saver:1a2b3c4", Fingerprint: newFP, Flow: "saver", CommitURL: commitURL, MostRecentTimestamp: runningNew, S1InstanceCount: 1, S2InstanceCount: 3},
		}},
	}
	var out bytes.Buffer
	if err := printDiff(&out, "aws-prod#64", "aws-prod#65", d, storyNow, berlin(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "print-diff", out.Bytes())

	out.Reset()
	if err := printDiff(&out, "aws-prod", "aws-prod~1", api.SnapshotDiff{}, storyNow, berlin(t)); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "No differences between aws-prod and aws-prod~1.\n" {
		t.Errorf("empty diff = %q", got)
	}
}

// TestFingerprintProgressOnlyOnTTY shows a spinner on stderr for a
// directory on a terminal, and nothing when piped; stdout is the same.
func TestFingerprintProgressOnlyOnTTY(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.extra"), []byte("this is known extra content"), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e\n"
	for _, tty := range []bool{false, true} {
		f := testFactory(nil)
		f.IO.OutTTY = tty
		if code := Main(t.Context(), f, []string{"fingerprint", dir}); code != 0 {
			t.Fatalf("tty=%v: exit %d: %s", tty, code, f.IO.ErrOut)
		}
		if got := f.IO.Out.(*bytes.Buffer).String(); got != want {
			t.Errorf("tty=%v: stdout = %q, want %q", tty, got, want)
		}
		progress := f.IO.ErrOut.(*bytes.Buffer).String()
		if tty != strings.Contains(progress, "fingerprinting") {
			t.Errorf("tty=%v: stderr = %q", tty, progress)
		}
	}
}
