package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/storage"
)

// realServer runs the tracker's handler over a SQLite file and returns a
// client of a fresh org.
func realServer(tb testing.TB) *client.Client {
	tb.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(tb.TempDir(), "tracker.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	token, err := store.CreateOrg(ctx, "acme")
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(trackerhttp.New(store, trackerhttp.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	tb.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "acme", token)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func fingerprint(i int) string { return fmt.Sprintf("%064x", i+1) }

// TestAgainstRealServer drives the pipeline's path through the client:
// the wire types decode, repeats are idempotent, errors are typed.
func TestAgainstRealServer(t *testing.T) {
	c := realServer(t)
	ctx := context.Background()
	f, created, err := c.PutFlow(ctx, api.Flow{Name: "minitwit", Visibility: "public", Template: []string{"unit-tests"}})
	if err != nil || !created || f.Name != "minitwit" || f.Tags == nil {
		t.Fatalf("PutFlow = %+v, %v, %v", f, created, err)
	}
	if _, created, err = c.PutFlow(ctx, api.Flow{Name: "minitwit", Visibility: "public"}); err != nil || created {
		t.Errorf("PutFlow again: created=%v err=%v, want an update", created, err)
	}
	if _, _, err := c.PutEnvironment(ctx, api.Environment{Name: "vm", Type: "docker"}); err != nil {
		t.Fatal(err)
	}
	art := api.ArtifactRequest{Fingerprint: fingerprint(0), Filename: "minitwit:abc1234", GitCommit: "abc1234def", TrailName: "abc1234"}
	a, created, err := c.AttestArtifact(ctx, "minitwit", art)
	if err != nil || !created || a.Fingerprint != fingerprint(0) || a.History == nil || a.Running == nil {
		t.Fatalf("AttestArtifact = %+v, %v, %v", a, created, err)
	}
	if _, created, err := c.AttestArtifact(ctx, "minitwit", art); err != nil || created {
		t.Errorf("the same artifact twice: created=%v err=%v, want one artifact", created, err)
	}
	yes := true
	if ev, err := c.Attest(ctx, "minitwit", "abc1234", "generic", api.AttestationData{AttestationName: "unit-tests", ArtifactFingerprint: fingerprint(0), IsCompliant: &yes}); err != nil || ev.Name != "unit-tests" {
		t.Errorf("Attest = %+v, %v", ev, err)
	}
	d, err := c.ReportDeployment(ctx, "minitwit", api.DeploymentRequest{ArtifactFingerprint: fingerprint(0), Environment: "vm"})
	if err != nil || d.Number != 1 {
		t.Errorf("ReportDeployment = %+v, %v", d, err)
	}
	report := api.SnapshotReportRequest{Artifacts: []api.ReportArtifact{
		{Digests: map[string]string{"minitwit:abc1234": fingerprint(0)}, CreationTimestamp: time.Now().Unix()},
		{Digests: map[string]string{"minitwit:abc1234": fingerprint(0)}, CreationTimestamp: time.Now().Unix()},
	}}
	res, err := c.ReportSnapshot(ctx, "vm", "docker", report)
	if err != nil || !res.Created || res.Index != 1 {
		t.Fatalf("ReportSnapshot = %+v, %v", res, err)
	}
	if res, err = c.ReportSnapshot(ctx, "vm", "docker", report); err != nil || res.Created || res.Index != 1 {
		t.Errorf("same report twice = %+v, %v: want snapshot 1 unchanged", res, err)
	}
	s, err := c.GetSnapshot(ctx, "vm", "#1")
	if err != nil || len(s.Artifacts) != 1 || len(s.Artifacts[0].CreationTimestamp) != 2 || s.Artifacts[0].Annotation.Type == "" {
		t.Errorf("GetSnapshot = %+v, %v", s, err)
	}
	got, err := c.ArtifactByFingerprint(ctx, "minitwit", fingerprint(0)[:10])
	if err != nil || got.State != "COMPLIANT" || len(got.History) < 4 {
		t.Errorf("ArtifactByFingerprint = %+v, %v", got, err)
	}
	if _, err := c.GetSnapshot(ctx, "vm", "#2"); client.StatusCode(err) != 404 {
		t.Errorf("snapshot past the end: %v, want 404", err)
	}
	bad, _ := client.New(c.Host(), "acme", "trk_wrong")
	if _, _, err := bad.PutFlow(ctx, api.Flow{Name: "x"}); client.StatusCode(err) != 401 {
		t.Errorf("wrong token: %v, want 401", err)
	}
}

// BenchmarkUnchangedReport measures the common case end to end through
// the client: a 50-artifact environment reporting the same set again.
func BenchmarkUnchangedReport(b *testing.B) {
	c := realServer(b)
	ctx := context.Background()
	if _, _, err := c.PutEnvironment(ctx, api.Environment{Name: "vm", Type: "docker"}); err != nil {
		b.Fatal(err)
	}
	report := api.SnapshotReportRequest{}
	for i := 0; i < 50; i++ {
		report.Artifacts = append(report.Artifacts, api.ReportArtifact{Digests: map[string]string{fmt.Sprintf("svc-%d", i): fingerprint(i)}, CreationTimestamp: 1_700_000_000})
	}
	if _, err := c.ReportSnapshot(ctx, "vm", "docker", report); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := c.ReportSnapshot(ctx, "vm", "docker", report); err != nil || res.Created {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}
