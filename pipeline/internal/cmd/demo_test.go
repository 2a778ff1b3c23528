package cmd

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/repo"
	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/record"
	"github.com/minitwit-cd/kit/tracker/api"
)

// TestDemo runs the whole demo (real registry, tracker, VMs with sshd,
// nginx and Docker) and checks the story as the tracker's API tells it,
// while everything is still up.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo builds, boots two VMs and deploys three times")
	}
	testenv.Docker(t)
	testenv.Binary(t, "docker-registry")
	testenv.Binary(t, "debootstrap")
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	streams, _, out, errOut := cli.Test()
	streams.Getenv = func(k string) (string, bool) {
		if strings.HasPrefix(k, "TRACKER_") || k == "GITHUB_ACTIONS" {
			return "", false
		}
		return (&cli.IOStreams{}).LookupEnv(k)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	checked := false
	o := &DemoOptions{Root: &RootOptions{Dir: root}, Packages: []string{"./pipeline/state", "./internal/buildinfo"},
		SmokeLimit: 150, Soak: 3 * time.Second, NoWait: true, Timings: true,
		Story: func(st DemoStory) { checked = true; checkStory(t, ctx, st) }}
	if err := runDemo(ctx, &Factory{IO: streams}, o); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if !checked {
		t.Fatal("the demo ended without telling its story")
	}
	for _, want := range []string{"$ tracker get artifact minitwit:", "$ tracker get snapshot prod#", "$ tracker diff snapshots prod#", "/ui/demo/flows/minitwit/artifacts/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	t.Logf("demo output:\n%s", out)
}

func checkStory(t *testing.T, ctx context.Context, st DemoStory) {
	t.Helper()
	rec, err := record.New(record.Config{Host: st.TrackerURL, Org: st.Org, Token: st.Token})
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Client()
	if len(st.Fingerprints) != 2 || st.Fingerprints[0] == st.Fingerprints[1] {
		t.Fatalf("fingerprints %v: want two different artifacts", st.Fingerprints)
	}
	fp1, fp2 := st.Fingerprints[0], st.Fingerprints[1]

	// The first artifact: junit, coverage and simulator evidence, and
	// compliant.
	a1, err := c.ArtifactByFingerprint(ctx, "minitwit", fp1)
	if err != nil {
		t.Fatal(err)
	}
	if a1.State != "COMPLIANT" || a1.GitCommit != st.Commits[0] {
		t.Errorf("artifact 1: state %s commit %s, want COMPLIANT %s", a1.State, a1.GitCommit, st.Commits[0])
	}
	types := map[string]string{}
	for _, e := range a1.Evidence {
		types[e.Name] = e.Type
		if !e.IsCompliant {
			t.Errorf("evidence %s (%s) is not compliant", e.Name, e.Type)
		}
	}
	for name, typ := range map[string]string{"unit-tests": "junit", "coverage": "coverage", "smoke": "simulator"} {
		if types[name] != typ {
			t.Errorf("artifact 1 evidence %s: type %q, want %q (all: %v)", name, types[name], typ, types)
		}
	}
	envsOf := func(deps []api.Deployment) map[string]string {
		m := map[string]string{}
		for _, d := range deps {
			m[d.Environment] = d.Status
		}
		return m
	}
	if d := envsOf(a1.Deployments); d["beta"] != "succeeded" || d["prod"] != "succeeded" {
		t.Errorf("artifact 1 deployments %v: want beta and prod succeeded", d)
	}
	a2, err := c.ArtifactByFingerprint(ctx, "minitwit", fp2)
	if err != nil {
		t.Fatal(err)
	}
	if d := envsOf(a2.Deployments); d["prod"] != "succeeded" || a2.GitCommit != st.Commits[1] {
		t.Errorf("artifact 2 deployments %v commit %s", d, a2.GitCommit)
	}
	// The first artifact exited prod; the second runs there.
	exited := false
	for _, e := range a1.Exited {
		exited = exited || e.EnvironmentName == "prod"
	}
	if !exited {
		t.Errorf("artifact 1 did not exit prod: exited %v, running %v", a1.Exited, a1.Running)
	}

	// Snapshots: the start (fp1 ×1), the overlap (both), the end (fp2 ×3).
	instances := func(ref string) map[string]int {
		sn, err := c.GetSnapshot(ctx, "prod", ref)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, a := range sn.Artifacts {
			m[a.Fingerprint] += a.Instances
		}
		return m
	}
	if st.Overlap == 0 || st.After != st.Overlap+1 {
		t.Fatalf("snapshots: overlap prod#%d, after prod#%d: want consecutive", st.Overlap, st.After)
	}
	start := instances("#" + itoa(st.Overlap-1))
	if start[fp1] != 1 || start[fp2] != 0 {
		t.Errorf("prod#%d (before the blue-green deploy): %v, want %s×1", st.Overlap-1, start, fp1[:12])
	}
	overlap := instances("#" + itoa(st.Overlap))
	if overlap[fp1] != 1 || overlap[fp2] != 3 {
		t.Errorf("prod#%d (the overlap): %v, want %s×1 and %s×3", st.Overlap, overlap, fp1[:12], fp2[:12])
	}
	after := instances("#" + itoa(st.After))
	if after[fp1] != 0 || after[fp2] != 3 {
		t.Errorf("prod#%d (after): %v, want only %s×3", st.After, after, fp2[:12])
	}
	if _, err := c.DiffSnapshots(ctx, "prod#"+itoa(st.Overlap-1), "prod#"+itoa(st.After)); err != nil {
		t.Errorf("diff snapshots: %v", err)
	}

	// DORA: deployments to prod, lead time measured.
	m, err := c.FlowMetrics(ctx, "minitwit", 1)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range m {
		if row.Environment == "prod" {
			found = true
			if row.Deployments < 2 || row.DeploymentsPerDay <= 0 || row.LeadTimeSamples == 0 || row.LeadTimeSeconds <= 0 {
				t.Errorf("prod DORA metrics %+v: want 2+ deployments, a frequency and a lead time", row)
			}
		}
	}
	if !found {
		t.Errorf("no DORA metrics for prod: %+v", m)
	}

	// The gate refuses an artifact that is not compliant: a failing
	// simulator report on the second artifact.
	failing := []byte(`{"schema":"minitwit-simulator-report/v1","errors":3,"total":10}`)
	if err := rec.Simulator(ctx, "minitwit", st.Commits[1][:12], fp2, failing, "test"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Gate("minitwit", "prod", fp2)(ctx); err == nil || !strings.Contains(err.Error(), "not compliant") {
		t.Errorf("gate on a failing artifact: %v, want a refusal", err)
	}
	if err := rec.Gate("minitwit", "prod", fp1)(ctx); err != nil {
		t.Errorf("gate on the compliant artifact: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
