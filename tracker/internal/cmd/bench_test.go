package cmd

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
)

// BenchmarkPrintSnapshot500 formats a 500-artifact snapshot as a table, the
// CLI's share of `get snapshot` on the largest environment.
func BenchmarkPrintSnapshot500(b *testing.B) {
	s := api.Snapshot{Environment: "big", Index: 1}
	for i := 0; i < 500; i++ {
		s.Artifacts = append(s.Artifacts, api.SnapshotArtifact{
			Name: fmt.Sprintf("registry/svc-%03d:1.0.%d", i, i), Fingerprint: fmt.Sprintf("%064x", i+1), FlowName: fmt.Sprintf("svc-%03d", i%100),
			GitCommit: fmt.Sprintf("%040x", i+1), CreationTimestamp: []int64{1_700_000_000, 1_700_000_100},
			Annotation: api.Annotation{Type: "unchanged", Was: 2, Now: 2},
		})
	}
	now := time.Unix(1_700_100_000, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := printSnapshot(io.Discard, s, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrintDiff500 formats a diff of two 500-artifact snapshots where
// everything changed.
func BenchmarkPrintDiff500(b *testing.B) {
	var d api.SnapshotDiff
	for i := 0; i < 500; i++ {
		a := api.DiffArtifact{Name: fmt.Sprintf("svc-%03d", i), Fingerprint: fmt.Sprintf("%064x", i+1), Flow: "svc", MostRecentTimestamp: 1_700_000_000}
		d.Snappish1.Artifacts = append(d.Snappish1.Artifacts, a)
		d.Snappish2.Artifacts = append(d.Snappish2.Artifacts, a)
	}
	now, loc := time.Unix(1_700_100_000, 0), time.UTC
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := printDiff(io.Discard, "big#1", "big#2", d, now, loc); err != nil {
			b.Fatal(err)
		}
	}
}
