package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// benchStore has environment "big" with n artifacts running (recorded in
// flow "runner") over snapshots #1 and #2, where #2 replaced 10 of them.
func benchStore(b *testing.B, n int) (model.Store, []model.RunningArtifact) {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.CreateOrg(ctx, "acme"); err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.PutFlow(ctx, "acme", model.Flow{Name: "runner"}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.PutEnvironment(ctx, "acme", model.Environment{Name: "big", Type: "docker", IncludeScaling: true}); err != nil {
		b.Fatal(err)
	}
	set := func(gen int) []model.RunningArtifact {
		out := make([]model.RunningArtifact, n)
		for i := range out {
			label := fmt.Sprint(i)
			if i < 10 {
				label = fmt.Sprint(i, "-", gen)
			}
			out[i] = model.RunningArtifact{Fingerprint: storetest.FP(label), Name: "app:" + label, CreationTimestamps: []int64{1}}
		}
		return out
	}
	for i, r := range set(2) {
		if _, _, err := s.PutArtifact(ctx, "acme", model.Artifact{Flow: "runner", Fingerprint: r.Fingerprint, Name: r.Name, GitCommit: fmt.Sprintf("%07x", i+1)}); err != nil {
			b.Fatal(err)
		}
	}
	for gen := 1; gen <= 2; gen++ {
		if _, err := s.ReportSnapshot(ctx, "acme", "big", set(gen), storetest.T0.Add(time.Duration(gen)*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	return s, set(2)
}

func BenchmarkReportUnchanged50(b *testing.B) {
	s, running := benchStore(b, 50)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		rep, err := s.ReportSnapshot(ctx, "acme", "big", running, storetest.T0.Add(time.Hour+time.Duration(i)*time.Millisecond))
		if err != nil || rep.Created {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}

func BenchmarkFindSnapshot500(b *testing.B) {
	s, _ := benchStore(b, 500)
	ctx := context.Background()
	for b.Loop() {
		snap, err := s.FindSnapshot(ctx, "acme", "big", model.SnapshotRef{})
		if err != nil || len(snap.Artifacts) != 500 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiff500(b *testing.B) {
	s, _ := benchStore(b, 500)
	ctx := context.Background()
	for b.Loop() {
		d, err := model.DiffSnapshots(ctx, s, "acme", model.SnapshotExpr{Environment: "big", Ref: model.SnapshotRef{Index: 1}}, model.SnapshotExpr{Environment: "big"})
		if err != nil {
			b.Fatal(err)
		}
		if len(d.OnlyA) != 10 || len(d.Same) != 490 {
			b.Fatalf("diff %d/%d", len(d.OnlyA), len(d.Same))
		}
	}
}
