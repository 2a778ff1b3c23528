package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/minitwit-cd/kit/tracker/web"
)

// benchStore seeds a flow of arts artifacts, an environment whose latest
// snapshot runs all of them, and snaps snapshots before it in which one
// artifact at a time scales, so the replicas chart has real history.
func benchStore(b *testing.B, arts, snaps int) http.Handler {
	b.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	_, err = st.CreateOrg(ctx, org)
	must(err)
	_, _, err = st.PutFlow(ctx, org, model.Flow{Name: "svc", Visibility: model.VisibilityPublic, Template: []string{"unit-tests"}})
	must(err)
	_, _, err = st.PutEnvironment(ctx, org, model.Environment{Name: "prod", Type: "docker", IncludeScaling: true})
	must(err)
	running := make([]model.RunningArtifact, arts)
	for i := range arts {
		f := fp(fmt.Sprint("bench ", i))
		_, _, err := st.PutArtifact(ctx, org, model.Artifact{Flow: "svc", Fingerprint: f, Name: fmt.Sprintf("svc:%d", i), GitCommit: fmt.Sprintf("%040x", i+1), CreatedAt: t0})
		must(err)
		if i%2 == 0 {
			_, err = st.AddEvidence(ctx, org, model.Evidence{Flow: "svc", Fingerprint: f, Name: "unit-tests", Type: model.EvidenceGeneric, Compliant: true, CreatedAt: t0})
			must(err)
		}
		if i < 10 {
			_, err = st.CreateDeployment(ctx, org, model.Deployment{Flow: "svc", Fingerprint: f, Environment: "prod", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
			must(err)
		}
		running[i] = model.RunningArtifact{Fingerprint: f, Name: fmt.Sprintf("svc:%d", i), CreationTimestamps: []int64{t0.Unix()}}
	}
	for s := range snaps {
		// Scale artifact s%arts to 2 replicas in snapshot s, back in s+1.
		set := make([]model.RunningArtifact, len(running))
		copy(set, running)
		k := s % arts
		set[k].CreationTimestamps = []int64{t0.Unix(), t0.Unix() + int64(s)}
		_, err := st.ReportSnapshot(ctx, org, "prod", set, t0.Add(time.Duration(s)*time.Minute))
		must(err)
	}
	_, err = st.ReportSnapshot(ctx, org, "prod", running, t0.Add(time.Duration(snaps)*time.Minute))
	must(err)
	return web.New(st, web.Config{Now: func() time.Time { return now }})
}

func benchPage(b *testing.B, h http.Handler, path string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
		io.Copy(io.Discard, rec.Body)
	}
}

// BenchmarkSnapshotPage500 renders a snapshot of 500 running artifacts.
func BenchmarkSnapshotPage500(b *testing.B) {
	h := benchStore(b, 500, 0)
	benchPage(b, h, "/ui/cyber-dojo/environments/prod/snapshots/1")
}

// BenchmarkDiffPage500 diffs two 500-artifact snapshots.
func BenchmarkDiffPage500(b *testing.B) {
	h := benchStore(b, 500, 1)
	benchPage(b, h, "/ui/cyber-dojo/diff?a=prod%231&b=prod%232")
}

// BenchmarkEnvironmentPage renders the snapshot list and the replicas
// chart of 100 snapshots of 50 artifacts.
func BenchmarkEnvironmentPage(b *testing.B) {
	h := benchStore(b, 50, 120)
	benchPage(b, h, "/ui/cyber-dojo/environments/prod")
}

// BenchmarkFlowPage renders a page of 25 artifacts with their compliance
// states and the flow's DORA metrics and charts over 200 artifacts.
func BenchmarkFlowPage(b *testing.B) {
	h := benchStore(b, 200, 20)
	benchPage(b, h, "/ui/cyber-dojo/flows/svc")
}

// BenchmarkArtifactPage renders one artifact's page and history.
func BenchmarkArtifactPage(b *testing.B) {
	h := benchStore(b, 50, 120)
	benchPage(b, h, "/ui/cyber-dojo/flows/svc/artifacts/"+fp("bench 3"))
}
