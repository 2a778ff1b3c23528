package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

// TestSeedIsConsistent seeds a tiny dataset and checks the store agrees
// with the plan: snapshot counts and sizes, event totals, and that
// reporting the planned running set again is an unchanged report.
func TestSeedIsConsistent(t *testing.T) {
	ctx := context.Background()
	z := sizes{Flows: 3, Artifacts: 300, Envs: 4, Events: 400, BigEnvs: 1, BigSize: 20, SmallSize: 5}
	path := filepath.Join(t.TempDir(), "bench.db")
	token, took, err := prepare(ctx, path, z, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if token == "" || took == 0 {
		t.Fatalf("token %q, seeding took %v", token, took)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Authenticate(ctx, "bench", token); err != nil {
		t.Fatal(err)
	}
	totalEvents, wantEvents := 0, 0
	for e := 0; e < z.Envs; e++ {
		p := plan(e, z)
		wantEvents += p.size + 2*(p.snapshots-1)
		snap, err := s.FindSnapshot(ctx, "bench", envName(e), model.SnapshotRef{})
		if err != nil {
			t.Fatal(err)
		}
		if snap.Index != p.snapshots || len(snap.Artifacts) != p.size {
			t.Fatalf("%s: snapshot #%d with %d artifacts, planned #%d with %d", envName(e), snap.Index, len(snap.Artifacts), p.snapshots, p.size)
		}
		for _, a := range snap.Artifacts {
			if !a.Known || !a.Compliant {
				t.Fatalf("%s: artifact %s not joined: %+v", envName(e), a.Fingerprint, a)
			}
		}
		_, n, err := s.ListEvents(ctx, "bench", model.EventFilter{Environment: envName(e)})
		if err != nil {
			t.Fatal(err)
		}
		totalEvents += n
		rep, err := s.ReportSnapshot(ctx, "bench", envName(e), p.running(p.snapshots-1, z), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Created {
			t.Fatalf("%s: reporting the seeded set created snapshot #%d", envName(e), rep.Index)
		}
	}
	if totalEvents != wantEvents || totalEvents < z.Events*9/10 {
		t.Fatalf("%d events, want %d (about %d)", totalEvents, wantEvents, z.Events)
	}
	// A second prepare reuses the data and only mints a token.
	tok2, took, err := prepare(ctx, path, z, io.Discard)
	if err != nil || took != 0 || tok2 == token {
		t.Fatalf("reuse: token %q took %v err %v", tok2, took, err)
	}
}
