// Package storetest is the one contract suite every model.Store passes:
// tracker/sqlite and tracker/postgres run it against a real database.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t *testing.T) model.Store

// FP returns a deterministic fingerprint for a label.
func FP(label string) string {
	s := sha256.Sum256([]byte(label))
	return hex.EncodeToString(s[:])
}

// T0 is the suite's fixed start time.
var T0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// Run runs the contract suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s model.Store)
	}{
		{"Orgs", testOrgs},
		{"Flows", testFlows},
		{"Artifacts", testArtifacts},
		{"Evidence", testEvidence},
		{"ListStates", testListStates},
		{"FlowStarts", testFlowStarts},
		{"SnapshotDeploymentsAndCompliance", testSnapshotDeploymentsAndCompliance},
		{"Deployments", testDeployments},
		{"Environments", testEnvironments},
		{"Snapshots", testSnapshots},
		{"Story", testStory},
		{"ConcurrentReports", testConcurrentReports},
		{"ScalingOff", testScalingOff},
		{"ConcurrentIdempotentWrites", testConcurrentIdempotent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := model.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Seed creates org "acme" with flow "runner" and environments "aws-beta"
// and "aws-prod"; it returns the org's token.
func Seed(t *testing.T, s model.Store) string {
	t.Helper()
	ctx := context.Background()
	tok, err := s.CreateOrg(ctx, "acme")
	must(t, err)
	_, _, err = s.PutFlow(ctx, "acme", model.Flow{Name: "runner", Description: "runs tests", Visibility: "public", Template: []string{"branch-coverage"}, CreatedAt: T0})
	must(t, err)
	for _, e := range []string{"aws-beta", "aws-prod"} {
		_, _, err = s.PutEnvironment(ctx, "acme", model.Environment{Name: e, Type: "ECS", IncludeScaling: true, CreatedAt: T0})
		must(t, err)
	}
	return tok
}

func testOrgs(t *testing.T, s model.Store) {
	ctx := context.Background()
	tok, err := s.CreateOrg(ctx, "acme")
	must(t, err)
	if len(tok) < 32 {
		t.Fatalf("token %q too short", tok)
	}
	_, err = s.CreateOrg(ctx, "acme")
	wantCode(t, err, model.ECONFLICT)
	_, err = s.CreateOrg(ctx, "bad name")
	wantCode(t, err, model.EINVALID)
	must(t, s.Authenticate(ctx, "acme", tok))
	wantCode(t, s.Authenticate(ctx, "acme", tok+"x"), model.EUNAUTHORIZED)
	wantCode(t, s.Authenticate(ctx, "acme", ""), model.EUNAUTHORIZED)
	wantCode(t, s.Authenticate(ctx, "nope", tok), model.ENOTFOUND)
	tok2, err := s.CreateToken(ctx, "acme")
	must(t, err)
	must(t, s.Authenticate(ctx, "acme", tok2))
	other, err := s.CreateOrg(ctx, "other")
	must(t, err)
	wantCode(t, s.Authenticate(ctx, "acme", other), model.EUNAUTHORIZED)
	orgs, err := s.ListOrgs(ctx)
	must(t, err)
	if len(orgs) != 2 || orgs[0].Name != "acme" {
		t.Fatalf("orgs = %+v", orgs)
	}
}

func testFlows(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	f, created, err := s.PutFlow(ctx, "acme", model.Flow{Name: "minitwit", Template: []string{"artifact", "unit-tests", "unit-tests", "coverage"}})
	must(t, err)
	if !created || f.Visibility != "private" || fmt.Sprint(f.Template) != "[unit-tests coverage]" {
		t.Fatalf("flow = %+v created=%v", f, created)
	}
	f, created, err = s.PutFlow(ctx, "acme", model.Flow{Name: "minitwit", Description: "d2", Visibility: "public"})
	must(t, err)
	if created || f.Description != "d2" || len(f.Template) != 0 {
		t.Fatalf("updated flow = %+v created=%v", f, created)
	}
	flows, err := s.ListFlows(ctx, "acme")
	must(t, err)
	if len(flows) != 2 || flows[0].Name != "minitwit" || flows[1].Name != "runner" {
		t.Fatalf("flows = %+v", flows)
	}
	_, err = s.FindFlow(ctx, "acme", "nope")
	wantCode(t, err, model.ENOTFOUND)
	_, err = s.FindFlow(ctx, "nope", "runner")
	wantCode(t, err, model.ENOTFOUND)
	_, _, err = s.PutFlow(ctx, "acme", model.Flow{Name: "x", Visibility: "secret"})
	wantCode(t, err, model.EINVALID)
	_, _, err = s.PutFlow(ctx, "nope", model.Flow{Name: "x"})
	wantCode(t, err, model.ENOTFOUND)
	tr, created, err := s.PutTrail(ctx, "acme", model.Trail{Flow: "runner", Name: "16d9990"})
	must(t, err)
	if !created || tr.ID == 0 {
		t.Fatalf("trail %+v", tr)
	}
	_, created, err = s.PutTrail(ctx, "acme", model.Trail{Flow: "runner", Name: "16d9990"})
	must(t, err)
	if created {
		t.Fatal("second PutTrail created a trail")
	}
	_, err = s.FindTrail(ctx, "acme", "runner", "16d9990")
	must(t, err)
	_, err = s.FindTrail(ctx, "acme", "runner", "zzz")
	wantCode(t, err, model.ENOTFOUND)
}

func artifact(label, commit string, at time.Time) model.Artifact {
	return model.Artifact{Flow: "runner", Fingerprint: FP(label), Name: "cyberdojo/runner:" + commit[:7], GitCommit: commit,
		CommitURL: "https://github.com/cyber-dojo/runner/commit/" + commit, BuildURL: "https://ci/1", CreatedAt: at}
}

func testArtifacts(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	a, created, err := s.PutArtifact(ctx, "acme", artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0))
	must(t, err)
	if !created || a.ID == 0 {
		t.Fatalf("artifact %+v created=%v", a, created)
	}
	again := artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0.Add(time.Hour))
	again.Name = "other"
	b, created, err := s.PutArtifact(ctx, "acme", again)
	must(t, err)
	if created || b.ID != a.ID || b.Name != a.Name || !b.CreatedAt.Equal(T0) {
		t.Fatalf("second attest = %+v created=%v, want the first", b, created)
	}
	_, _, err = s.PutArtifact(ctx, "acme", artifact("v2", "27e0001ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0.Add(time.Minute)))
	must(t, err)
	got, err := s.FindArtifact(ctx, "acme", "runner", FP("v1")[:8])
	must(t, err)
	if got.ID != a.ID {
		t.Fatalf("prefix found %+v", got)
	}
	_, err = s.FindArtifact(ctx, "acme", "runner", "")
	wantCode(t, err, model.EINVALID)
	_, err = s.FindArtifact(ctx, "acme", "runner", "zz")
	wantCode(t, err, model.EINVALID)
	_, err = s.FindArtifact(ctx, "acme", "runner", FP("nope"))
	wantCode(t, err, model.ENOTFOUND)
	list, err := s.FindArtifactsByCommit(ctx, "acme", "runner", "16d9990")
	must(t, err)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("by commit = %+v", list)
	}
	_, err = s.FindArtifactsByCommit(ctx, "acme", "runner", "abcdef0")
	wantCode(t, err, model.ENOTFOUND)
	page, total, err := s.ListArtifacts(ctx, "acme", model.ArtifactFilter{Flow: "runner", Page: model.Page{PerPage: 1}})
	must(t, err)
	if total != 2 || len(page) != 1 || page[0].Fingerprint != FP("v2") {
		t.Fatalf("list = %+v total %d", page, total)
	}
	bad := artifact("v3", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	bad.GitCommit = "abc"
	_, _, err = s.PutArtifact(ctx, "acme", bad)
	wantCode(t, err, model.EINVALID)
	bad = artifact("v3", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	bad.Fingerprint = "xyz"
	_, _, err = s.PutArtifact(ctx, "acme", bad)
	wantCode(t, err, model.EINVALID)
	bad = artifact("v3", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	bad.Flow = "nope"
	_, _, err = s.PutArtifact(ctx, "acme", bad)
	wantCode(t, err, model.ENOTFOUND)
	// One fingerprint in two flows.
	_, _, err = s.PutFlow(ctx, "acme", model.Flow{Name: "other"})
	must(t, err)
	o := artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	o.Flow = "other"
	_, created, err = s.PutArtifact(ctx, "acme", o)
	must(t, err)
	if !created {
		t.Fatal("same fingerprint in another flow was not created")
	}
}

func testEvidence(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	a := artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	a.Trail = "16d9990"
	_, _, err := s.PutArtifact(ctx, "acme", a)
	must(t, err)
	view := func() model.ArtifactView {
		t.Helper()
		v, err := model.GetArtifactView(ctx, s, "acme", "runner", FP("v1"))
		must(t, err)
		return v
	}
	if st := view().State; st != model.Incomplete {
		t.Fatalf("state without evidence = %s", st)
	}
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("v1"), Name: "branch-coverage", Type: "coverage", Compliant: false, CreatedAt: T0.Add(time.Minute),
		Files: []model.File{{Name: "cov.txt", Content: []byte("81%")}}})
	must(t, err)
	if st := view().State; st != model.NonCompliant {
		t.Fatalf("state with failing evidence = %s", st)
	}
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("v1"), Name: "branch-coverage", Type: "coverage", Compliant: true, CreatedAt: T0.Add(2 * time.Minute)})
	must(t, err)
	v := view()
	if v.State != model.Compliant || len(v.Evidence) != 1 {
		t.Fatalf("latest evidence counts: %+v", v)
	}
	// Trail evidence counts for the trail's artifacts.
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Trail: "16d9990", Name: "unit-tests", Type: "junit", Compliant: false, CreatedAt: T0.Add(3 * time.Minute)})
	must(t, err)
	if st := view().State; st != model.NonCompliant {
		t.Fatalf("state with failing trail evidence = %s", st)
	}
	all, err := s.ListEvidence(ctx, "acme", model.EvidenceFilter{Flow: "runner", Fingerprint: FP("v1")})
	must(t, err)
	if len(all) != 2 || len(all[0].Files) != 1 || string(all[0].Files[0].Content) != "81%" {
		t.Fatalf("evidence = %+v", all)
	}
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("nope"), Name: "x", Type: "generic"})
	wantCode(t, err, model.ENOTFOUND)
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("v1"), Name: "x", Type: "weird"})
	wantCode(t, err, model.EINVALID)
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Name: "x", Type: "generic"})
	wantCode(t, err, model.EINVALID)
}

// testListStates: artifacts read in bulk (lists, prefix and commit
// look-ups) carry the state the compliance rule gives each one's evidence
// and its trail's, through evidence, trail evidence recorded before the
// artifact, and a template change.
func testListStates(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, _, err := s.PutFlow(ctx, "acme", model.Flow{Name: "runner", Visibility: "public", Template: []string{"branch-coverage", "unit-tests"}})
	must(t, err)
	put := func(label, trail string, at time.Time) {
		t.Helper()
		a := artifact(label, fmt.Sprintf("%07x", sha256.Sum256([]byte(label)))[:7]+"ad7f0b0e4c3a1b2c3d4e5f60718293a4b", at)
		a.Trail = trail
		_, _, err := s.PutArtifact(ctx, "acme", a)
		must(t, err)
	}
	attest := func(label, trail, name string, ok bool, at time.Time) {
		t.Helper()
		e := model.Evidence{Flow: "runner", Trail: trail, Name: name, Type: "generic", Compliant: ok, CreatedAt: at}
		if label != "" {
			e.Fingerprint = FP(label)
		}
		_, err := s.AddEvidence(ctx, "acme", e)
		must(t, err)
	}
	check := func(step string, want map[string]string) {
		t.Helper()
		list, total, err := s.ListArtifacts(ctx, "acme", model.ArtifactFilter{Flow: "runner", Page: model.Page{PerPage: 100}})
		must(t, err)
		org, _, err := s.ListArtifacts(ctx, "acme", model.ArtifactFilter{Page: model.Page{PerPage: 100}})
		must(t, err)
		if total != len(want) || len(org) != len(want) {
			t.Fatalf("%s: %d artifacts in the flow, %d in the org, want %d", step, total, len(org), len(want))
		}
		for _, a := range append(list, org...) {
			v, err := model.ComposeArtifactView(ctx, s, "acme", a)
			must(t, err)
			if a.State != want[a.Fingerprint] || a.State != v.State {
				t.Errorf("%s: listed state of %s = %q, want %q (its view says %q)", step, a.Name, a.State, want[a.Fingerprint], v.State)
			}
			one, err := s.FindArtifact(ctx, "acme", "runner", a.Fingerprint[:10])
			must(t, err)
			byCommit, err := s.FindArtifactsByCommit(ctx, "acme", "runner", a.GitCommit[:7])
			must(t, err)
			if one.State != a.State || len(byCommit) != 1 || byCommit[0].State != a.State {
				t.Errorf("%s: %s found with state %q, by commit %+v, listed %q", step, a.Name, one.State, byCommit, a.State)
			}
		}
	}
	at := T0
	tick := func() time.Time { at = at.Add(time.Minute); return at }
	put("none", "", tick())
	put("good", "", tick())
	attest("good", "", "branch-coverage", true, tick())
	attest("good", "", "unit-tests", true, tick())
	put("bad", "", tick())
	attest("bad", "", "branch-coverage", false, tick())
	// Trail evidence recorded before its artifacts exist still counts.
	attest("", "t4", "branch-coverage", true, tick())
	put("trail-a", "t4", tick())
	put("trail-b", "t4", tick())
	attest("trail-a", "", "unit-tests", true, tick())
	check("evidence", map[string]string{FP("none"): model.Incomplete, FP("good"): model.Compliant, FP("bad"): model.NonCompliant,
		FP("trail-a"): model.Compliant, FP("trail-b"): model.Incomplete})
	// A later failing trail report changes every artifact of the trail.
	attest("", "t4", "branch-coverage", false, tick())
	check("trail evidence", map[string]string{FP("none"): model.Incomplete, FP("good"): model.Compliant, FP("bad"): model.NonCompliant,
		FP("trail-a"): model.NonCompliant, FP("trail-b"): model.NonCompliant})
	attest("", "t4", "branch-coverage", true, tick())
	_, _, err = s.PutFlow(ctx, "acme", model.Flow{Name: "runner", Visibility: "public", Template: []string{"branch-coverage"}})
	must(t, err)
	check("template change", map[string]string{FP("none"): model.Incomplete, FP("good"): model.Compliant, FP("bad"): model.NonCompliant,
		FP("trail-a"): model.Compliant, FP("trail-b"): model.Compliant})
}

// testFlowStarts: the first start of each of a flow's artifacts in each
// environment within the window, with its commit and creation times;
// other flows' artifacts, unknown fingerprints, scaling and starts outside
// the window are left out.
func testFlowStarts(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, _, err := s.PutFlow(ctx, "acme", model.Flow{Name: "saver"})
	must(t, err)
	v1 := artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	v1.CommitTime = T0.Add(-time.Hour)
	_, _, err = s.PutArtifact(ctx, "acme", v1)
	must(t, err)
	_, _, err = s.PutArtifact(ctx, "acme", artifact("v2", "27e0001ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0.Add(time.Minute)))
	must(t, err)
	sv := artifact("saver", "38f0001ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	sv.Flow = "saver"
	_, _, err = s.PutArtifact(ctx, "acme", sv)
	must(t, err)
	m := func(n int) time.Time { return T0.Add(time.Duration(n) * time.Minute) }
	report(t, s, "aws-beta", m(2), running("v1", 1, 1), running("saver", 1, 1), running("stranger", 1, 1))
	report(t, s, "aws-beta", m(3), running("v1", 2, 1), running("saver", 1, 1))
	report(t, s, "aws-beta", m(4), running("saver", 1, 1))
	report(t, s, "aws-beta", m(5), running("v1", 1, 1), running("v2", 1, 1), running("saver", 1, 1))
	report(t, s, "aws-prod", m(6), running("v1", 1, 1))
	report(t, s, "aws-prod", m(90), running("v1", 1, 1), running("v2", 1, 1))
	starts, err := s.FlowStarts(ctx, "acme", "runner", m(1), m(60))
	must(t, err)
	want := []model.FlowStart{
		{Environment: "aws-beta", Fingerprint: FP("v1"), At: m(2), CommitTime: T0.Add(-time.Hour), CreatedAt: T0},
		{Environment: "aws-beta", Fingerprint: FP("v2"), At: m(5), CreatedAt: m(1)},
		{Environment: "aws-prod", Fingerprint: FP("v1"), At: m(6), CommitTime: T0.Add(-time.Hour), CreatedAt: T0},
	}
	if fmt.Sprint(starts) != fmt.Sprint(want) {
		t.Fatalf("starts = %+v\nwant %+v", starts, want)
	}
	if got := want[1].LeadStart(); !got.Equal(m(1)) {
		t.Fatalf("lead start without a commit time = %v", got)
	}
	// The window starts after v1's first start in aws-beta: its restart
	// is its first start there within the window.
	starts, err = s.FlowStarts(ctx, "acme", "runner", m(3), m(4))
	must(t, err)
	if len(starts) != 0 {
		t.Fatalf("starts in a window without any = %+v", starts)
	}
	starts, err = s.FlowStarts(ctx, "acme", "runner", m(3), m(5))
	must(t, err)
	if len(starts) != 2 || !starts[0].At.Equal(m(5)) || !starts[1].At.Equal(m(5)) {
		t.Fatalf("starts from minute 3 = %+v", starts)
	}
	_, err = s.FlowStarts(ctx, "acme", "nope", m(0), m(60))
	wantCode(t, err, model.ENOTFOUND)
}

// testSnapshotDeploymentsAndCompliance: a snapshot's artifacts and an
// environment's events name the deployments of their artifact to that
// environment, and each row of the snapshot list is compliant exactly when
// FindSnapshot says that snapshot is.
func testSnapshotDeploymentsAndCompliance(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, _, err := s.PutArtifact(ctx, "acme", artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0))
	must(t, err)
	_, _, err = s.PutArtifact(ctx, "acme", artifact("v2", "27e0001ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0))
	must(t, err)
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("v1"), Name: "branch-coverage", Type: "generic", Compliant: true, CreatedAt: T0})
	must(t, err)
	for _, d := range []struct{ label, env string }{{"v1", "aws-beta"}, {"v1", "aws-prod"}, {"v1", "aws-beta"}, {"v2", "aws-beta"}} {
		_, err := s.CreateDeployment(ctx, "acme", model.Deployment{Flow: "runner", Fingerprint: FP(d.label), Environment: d.env, CreatedAt: T0})
		must(t, err)
	}
	m := func(n int) time.Time { return T0.Add(time.Duration(n) * time.Minute) }
	report(t, s, "aws-beta", m(1), running("v1", 1, 1))
	report(t, s, "aws-beta", m(2), running("v1", 1, 1), running("v2", 1, 1))
	report(t, s, "aws-beta", m(3), running("v1", 1, 1))
	report(t, s, "aws-beta", m(4), running("v1", 2, 1), running("stranger", 1, 1))
	report(t, s, "aws-beta", m(5), running("v1", 2, 1))
	report(t, s, "aws-prod", m(5))

	deps := map[string]string{FP("v1"): "[1 3]", FP("v2"): "[4]", FP("stranger"): "[]"}
	two, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 3})
	must(t, err)
	for _, a := range append(two.Artifacts, two.Exited...) {
		if got := fmt.Sprint(a.Deployments); a.Deployments == nil || got != deps[a.Fingerprint] {
			t.Errorf("aws-beta#3: deployments of %s = %s, want %s", a.Name, got, deps[a.Fingerprint])
		}
	}
	if len(two.Exited) != 1 || two.Exited[0].Fingerprint != FP("v2") {
		t.Fatalf("aws-beta#3 exited = %+v", two.Exited)
	}
	evs, _, err := s.ListEvents(ctx, "acme", model.EventFilter{Environment: "aws-beta"})
	must(t, err)
	if len(evs) != 6 {
		t.Fatalf("events = %+v", evs)
	}
	for _, e := range evs {
		if got := fmt.Sprint(e.Deployments); e.Deployments == nil || got != deps[e.Fingerprint] {
			t.Errorf("event %s of %s in #%d: deployments %s, want %s", e.Type, e.ArtifactName, e.SnapshotIndex, got, deps[e.Fingerprint])
		}
	}

	want := map[int]bool{1: true, 2: false, 3: true, 4: false, 5: true}
	for _, pg := range []model.Page{{PerPage: 10}, {Page: 2, PerPage: 2}, {Page: 3, PerPage: 2}} {
		list, _, err := s.ListSnapshots(ctx, "acme", "aws-beta", pg)
		must(t, err)
		if len(list) == 0 {
			t.Fatalf("page %+v is empty", pg)
		}
		for _, row := range list {
			snap, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: row.Index})
			must(t, err)
			if row.Compliant != want[row.Index] || row.Compliant != snap.Compliant() {
				t.Errorf("page %+v: aws-beta#%d compliant = %v, want %v (FindSnapshot says %v)", pg, row.Index, row.Compliant, want[row.Index], snap.Compliant())
			}
		}
	}
	empty, _, err := s.ListSnapshots(ctx, "acme", "aws-prod", model.Page{})
	must(t, err)
	if len(empty) != 1 || !empty[0].Compliant {
		t.Errorf("a snapshot running nothing = %+v, want compliant", empty)
	}
}

func testDeployments(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, _, err := s.PutArtifact(ctx, "acme", artifact("v1", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0))
	must(t, err)
	var wg sync.WaitGroup
	nums := make([]int, 8)
	errs := make([]error, 8)
	for i := range nums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.CreateDeployment(ctx, "acme", model.Deployment{Flow: "runner", Fingerprint: FP("v1"), Environment: "aws-beta", CreatedAt: T0.Add(time.Duration(i) * time.Second)})
			nums[i], errs[i] = d.Number, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	sort.Ints(nums)
	if fmt.Sprint(nums) != "[1 2 3 4 5 6 7 8]" {
		t.Fatalf("deployment numbers = %v", nums)
	}
	d, err := s.SetDeploymentStatus(ctx, "acme", "runner", 3, model.DeploymentRolledBack, T0.Add(time.Hour))
	must(t, err)
	if d.Status != model.DeploymentRolledBack || d.Number != 3 {
		t.Fatalf("status = %+v", d)
	}
	_, err = s.SetDeploymentStatus(ctx, "acme", "runner", 99, model.DeploymentFailed, T0)
	wantCode(t, err, model.ENOTFOUND)
	_, err = s.SetDeploymentStatus(ctx, "acme", "runner", 1, "exploded", T0)
	wantCode(t, err, model.EINVALID)
	_, err = s.CreateDeployment(ctx, "acme", model.Deployment{Flow: "runner", Fingerprint: FP("v1"), Environment: "nope"})
	wantCode(t, err, model.ENOTFOUND)
	_, err = s.CreateDeployment(ctx, "acme", model.Deployment{Flow: "runner", Fingerprint: FP("v9"), Environment: "aws-beta"})
	wantCode(t, err, model.ENOTFOUND)
	deps, err := s.ListDeployments(ctx, "acme", model.DeploymentFilter{Flow: "runner", Fingerprint: FP("v1")})
	must(t, err)
	if len(deps) != 8 || deps[0].ArtifactName == "" {
		t.Fatalf("deployments = %+v", deps)
	}
}

func testEnvironments(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	e, created, err := s.PutEnvironment(ctx, "acme", model.Environment{Name: "vm", Type: "k8s", Description: "d"})
	must(t, err)
	if !created || e.Type != "K8S" || e.Visibility != model.VisibilityPrivate {
		t.Fatalf("env %+v, want K8S and private by default", e)
	}
	e, created, err = s.PutEnvironment(ctx, "acme", model.Environment{Name: "vm", Type: "docker", Description: "d2", Visibility: model.VisibilityPublic, IncludeScaling: true})
	must(t, err)
	if created || e.Type != "docker" || e.Description != "d2" || !e.IncludeScaling || e.Visibility != model.VisibilityPublic {
		t.Fatalf("env %+v", e)
	}
	if f, err := s.FindEnvironment(ctx, "acme", "vm"); err != nil || f.Visibility != model.VisibilityPublic {
		t.Fatalf("find env %+v, %v: want public", f, err)
	}
	_, _, err = s.PutEnvironment(ctx, "acme", model.Environment{Name: "vm", Type: "docker", Visibility: "secret"})
	wantCode(t, err, model.EINVALID)
	_, _, err = s.PutEnvironment(ctx, "acme", model.Environment{Name: "vm", Type: "mainframe"})
	wantCode(t, err, model.EINVALID)
	envs, err := s.ListEnvironments(ctx, "acme")
	must(t, err)
	if len(envs) != 3 {
		t.Fatalf("envs = %+v", envs)
	}
	_, err = s.FindEnvironment(ctx, "acme", "nope")
	wantCode(t, err, model.ENOTFOUND)
}

func running(label string, n int, start int64) model.RunningArtifact {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = start + int64(i)
	}
	return model.RunningArtifact{Fingerprint: FP(label), Name: "runner:" + label, CreationTimestamps: ts}
}

func report(t *testing.T, s model.Store, env string, at time.Time, rs ...model.RunningArtifact) model.SnapshotReport {
	t.Helper()
	rep, err := s.ReportSnapshot(context.Background(), "acme", env, rs, at)
	must(t, err)
	return rep
}

func testSnapshots(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{})
	wantCode(t, err, model.ENOTFOUND)
	r := report(t, s, "aws-beta", T0, running("v1", 1, 100))
	if !r.Created || r.Index != 1 || len(r.Events) != 1 || r.Events[0].Type != model.EventStarted {
		t.Fatalf("first report = %+v", r)
	}
	r = report(t, s, "aws-beta", T0.Add(time.Minute), running("v1", 1, 100))
	if r.Created || r.Index != 1 {
		t.Fatalf("same report = %+v", r)
	}
	env, err := s.FindEnvironment(ctx, "acme", "aws-beta")
	must(t, err)
	if !env.LastReportedAt.Equal(T0.Add(time.Minute)) || env.Snapshots != 1 {
		t.Fatalf("env after unchanged report = %+v", env)
	}
	r = report(t, s, "aws-beta", T0.Add(2*time.Minute), running("v1", 1, 100), running("v2", 3, 200))
	if !r.Created || r.Index != 2 {
		t.Fatalf("blue-green report = %+v", r)
	}
	r = report(t, s, "aws-beta", T0.Add(3*time.Minute), running("v2", 3, 200))
	if !r.Created || r.Index != 3 || r.Events[0].Type != model.EventExited {
		t.Fatalf("exit report = %+v", r)
	}
	snap, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 2})
	must(t, err)
	if len(snap.Artifacts) != 2 || snap.Artifacts[0].Instances()+snap.Artifacts[1].Instances() != 4 {
		t.Fatalf("snapshot 2 = %+v", snap)
	}
	for _, a := range snap.Artifacts {
		want := map[string]string{FP("v1"): model.AnnotationUnchanged, FP("v2"): model.AnnotationStarted}[a.Fingerprint]
		if a.Annotation.Type != want {
			t.Fatalf("annotation of %s = %+v want %s", a.Name, a.Annotation, want)
		}
	}
	for _, a := range snap.Artifacts {
		if a.Known {
			t.Fatalf("unrecorded fingerprint shows as known: %+v", a)
		}
	}
	// Recording the artifact afterwards shows up in the same snapshot
	// (no stale cache), and so does its compliance.
	v2 := artifact("v2", "27e0001ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0)
	_, _, err = s.PutArtifact(ctx, "acme", v2)
	must(t, err)
	again, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 2})
	must(t, err)
	for _, a := range again.Artifacts {
		if a.Fingerprint == FP("v2") && (!a.Known || a.Flow != "runner" || a.Compliant) {
			t.Fatalf("after attest, v2 in snapshot = %+v", a)
		}
	}
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("v2"), Name: "branch-coverage", Type: "generic", Compliant: true, CreatedAt: T0})
	must(t, err)
	again, err = s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 2})
	must(t, err)
	for _, a := range again.Artifacts {
		if a.Fingerprint == FP("v2") && !a.Compliant {
			t.Fatalf("after evidence, v2 in snapshot = %+v", a)
		}
	}
	if !snap.LastReportedAt.Equal(T0.Add(3 * time.Minute)) {
		t.Fatalf("snapshot 2 ended %v", snap.LastReportedAt)
	}
	latest, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{})
	must(t, err)
	if latest.Index != 3 || len(latest.Artifacts) != 1 || len(latest.Exited) != 1 || latest.Exited[0].Annotation.Was != 1 {
		t.Fatalf("latest = %+v", latest)
	}
	behind, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Behind: 2})
	must(t, err)
	if behind.Index != 1 {
		t.Fatalf("~2 = %d", behind.Index)
	}
	at, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{At: T0.Add(150 * time.Second)})
	must(t, err)
	if at.Index != 2 {
		t.Fatalf("@ = %d", at.Index)
	}
	_, err = s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{At: T0.Add(-time.Hour)})
	wantCode(t, err, model.ENOTFOUND)
	_, err = s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 4})
	wantCode(t, err, model.ENOTFOUND)
	if msg := model.ErrorMessage(err); msg != "snapshot aws-beta#4 does not exist: environment aws-beta has 3 snapshots" {
		t.Fatalf("message = %q", msg)
	}
	_, err = s.FindSnapshot(ctx, "acme", "nope", model.SnapshotRef{})
	wantCode(t, err, model.ENOTFOUND)
	list, total, err := s.ListSnapshots(ctx, "acme", "aws-beta", model.Page{PerPage: 2})
	must(t, err)
	if total != 3 || len(list) != 2 || list[0].Index != 3 || !list[0].To.IsZero() || list[1].Index != 2 || !list[1].To.Equal(T0.Add(3*time.Minute)) {
		t.Fatalf("list = %+v total %d", list, total)
	}
	list, _, err = s.ListSnapshots(ctx, "acme", "aws-beta", model.Page{Page: 2, PerPage: 2})
	must(t, err)
	if len(list) != 1 || list[0].Index != 1 {
		t.Fatalf("page 2 = %+v", list)
	}
	evs, total, err := s.ListEvents(ctx, "acme", model.EventFilter{Environment: "aws-beta"})
	must(t, err)
	if total != 3 || evs[0].Description() != "1 instance started running (from 0 to 1)." || evs[2].Description() != "1 instance stopped running (from 1 to 0)." {
		t.Fatalf("events = %+v", evs)
	}
	_, err = s.ReportSnapshot(ctx, "acme", "aws-beta", []model.RunningArtifact{{Fingerprint: "zz", CreationTimestamps: []int64{1}}}, T0)
	wantCode(t, err, model.EINVALID)
	// Empty first report makes snapshot #1 with nothing running.
	r = report(t, s, "aws-prod", T0)
	if !r.Created || r.Index != 1 {
		t.Fatalf("empty first report = %+v", r)
	}
}

// testStory replays the tutorial: a new version starts with 3 replicas
// beside the old one, the old one exits, a scale-down, an exit.
func testStory(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	commit := "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b"
	_, _, err := s.PutArtifact(ctx, "acme", artifact("new", commit, T0))
	must(t, err)
	_, err = s.AddEvidence(ctx, "acme", model.Evidence{Flow: "runner", Fingerprint: FP("new"), Name: "branch-coverage", Type: "coverage", Compliant: true, CreatedAt: T0.Add(time.Minute)})
	must(t, err)
	_, err = s.CreateDeployment(ctx, "acme", model.Deployment{Flow: "runner", Fingerprint: FP("new"), Environment: "aws-beta", CreatedAt: T0.Add(2 * time.Minute)})
	must(t, err)
	t1 := T0.Add(3 * time.Minute)
	report(t, s, "aws-beta", t1, running("old", 1, 1))
	report(t, s, "aws-beta", t1.Add(time.Minute), running("old", 1, 1), running("new", 3, t1.Unix()))
	report(t, s, "aws-beta", t1.Add(2*time.Minute), running("new", 3, t1.Unix()))
	report(t, s, "aws-beta", t1.Add(3*time.Minute), running("new", 1, t1.Unix()))
	report(t, s, "aws-beta", t1.Add(4*time.Minute))
	v, err := model.GetArtifactView(ctx, s, "acme", "runner", FP("new")[:10])
	must(t, err)
	var got []string
	for _, h := range v.History {
		got = append(got, h.Event)
	}
	want := []string{
		"Artifact created",
		"branch-coverage evidence received",
		"Deployment #1 to aws-beta environment",
		"Started running in aws-beta#2 environment",
		"Scaled down from 3 to 1 in aws-beta#4 environment",
		"No longer running in aws-beta#5 environment",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history:\n%q\nwant\n%q", got, want)
	}
	if v.State != model.Compliant || len(v.Exited) != 1 || v.Exited[0].SnapshotIndex != 5 {
		t.Fatalf("view = %+v", v)
	}
	started, total, err := s.ListEvents(ctx, "acme", model.EventFilter{Flow: "runner", Type: model.EventStarted})
	must(t, err)
	if total != 1 || started[0].Fingerprint != FP("new") || started[0].Flow != "runner" {
		t.Fatalf("started events of flow runner = %+v (total %d)", started, total)
	}
	a, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 2})
	must(t, err)
	b, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: 4})
	must(t, err)
	d := model.Diff(a, b)
	if len(d.OnlyA) != 1 || d.OnlyA[0].Fingerprint != FP("old") || len(d.Changed) != 1 || d.Changed[0].WasInstances != 3 || d.Changed[0].NowInstances != 1 {
		t.Fatalf("diff = %+v", d)
	}
	// The store's diff (one scan when it has one) agrees with diffing two
	// FindSnapshot results, for every pair of snapshots.
	summary := func(d model.SnapshotDiff) string {
		f := func(xs []model.SnapshotArtifact) string {
			out := ""
			for _, x := range xs {
				out += fmt.Sprintf("%s:%d:%s,", x.Fingerprint[:6], x.Instances(), x.Flow)
			}
			return out
		}
		ch := ""
		for _, x := range d.Changed {
			ch += fmt.Sprintf("%s:%d>%d,", x.Fingerprint[:6], x.WasInstances, x.NowInstances)
		}
		return fmt.Sprintf("%s|%s|%s|%s|%s|%s", d.A.Name(), d.B.Name(), f(d.OnlyA), f(d.OnlyB), ch, f(d.Same))
	}
	for i := 1; i <= 5; i++ {
		for j := 1; j <= 5; j++ {
			x, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: i})
			must(t, err)
			y, err := s.FindSnapshot(ctx, "acme", "aws-beta", model.SnapshotRef{Index: j})
			must(t, err)
			got, err := model.DiffSnapshots(ctx, s, "acme", model.SnapshotExpr{Environment: "aws-beta", Ref: model.SnapshotRef{Index: i}},
				model.SnapshotExpr{Environment: "aws-beta", Ref: model.SnapshotRef{Behind: 5 - j}})
			must(t, err)
			if want := summary(model.Diff(x, y)); summary(got) != want {
				t.Fatalf("diff #%d #%d:\n got %s\nwant %s", i, j, summary(got), want)
			}
		}
	}
	_, err = model.DiffSnapshots(ctx, s, "acme", model.SnapshotExpr{Environment: "aws-beta", Ref: model.SnapshotRef{Index: 9}}, model.SnapshotExpr{Environment: "aws-beta"})
	wantCode(t, err, model.ENOTFOUND)
	report(t, s, "aws-prod", t1, running("new", 2, 1))
	cross, err := model.DiffSnapshots(ctx, s, "acme", model.SnapshotExpr{Environment: "aws-beta", Ref: model.SnapshotRef{Index: 2}}, model.SnapshotExpr{Environment: "aws-prod"})
	must(t, err)
	if len(cross.OnlyA) != 1 || len(cross.Changed) != 1 || cross.B.Name() != "aws-prod#1" {
		t.Fatalf("cross-environment diff = %s", summary(cross))
	}
	var newArt model.SnapshotArtifact
	for _, x := range a.Artifacts {
		if x.Fingerprint == FP("new") {
			newArt = x
		}
	}
	if !newArt.Known || newArt.Flow != "runner" || newArt.GitCommit != commit || !newArt.Compliant {
		t.Fatalf("joined artifact = %+v", newArt)
	}
}

func testConcurrentReports(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every reporter reports a different set (i+1 replicas), so
			// each creates one snapshot; two reports each.
			for k := 0; k < 2; k++ {
				_, err := s.ReportSnapshot(ctx, "acme", "aws-prod", []model.RunningArtifact{running("v", i+1+k*n, 1)}, T0.Add(time.Duration(i)*time.Second))
				if err != nil {
					errs[i] = err
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	list, total, err := s.ListSnapshots(ctx, "acme", "aws-prod", model.Page{PerPage: 100})
	must(t, err)
	if total != 2*n || len(list) != 2*n {
		t.Fatalf("total = %d, len = %d, want %d", total, len(list), 2*n)
	}
	for i, x := range list {
		if x.Index != 2*n-i {
			t.Fatalf("snapshot numbers not 1..%d without gaps: %+v", 2*n, list)
		}
	}
}

func testScalingOff(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	_, _, err := s.PutEnvironment(ctx, "acme", model.Environment{Name: "lab", Type: "docker", IncludeScaling: false})
	must(t, err)
	r := report(t, s, "lab", T0, running("v1", 1, 1))
	if r.Index != 1 {
		t.Fatal(r)
	}
	r = report(t, s, "lab", T0.Add(time.Minute), running("v1", 3, 1))
	if r.Created {
		t.Fatalf("scaling created a snapshot with scaling off: %+v", r)
	}
	r = report(t, s, "lab", T0.Add(2*time.Minute), running("v1", 3, 1), running("v2", 1, 5))
	if !r.Created || r.Index != 2 || len(r.Events) != 1 {
		t.Fatalf("start with scaling off = %+v", r)
	}
}

// testConcurrentIdempotent attests one artifact (and creates one flow and
// one environment) from parallel writers: every writer succeeds and
// exactly one of each is created.
func testConcurrentIdempotent(t *testing.T, s model.Store) {
	ctx := context.Background()
	Seed(t, s)
	const n = 8
	var wg sync.WaitGroup
	created := make([]int, 3)
	var mu sync.Mutex
	errs := make(chan error, 3*n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c1, err := s.PutArtifact(ctx, "acme", artifact("same", "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b", T0))
			errs <- err
			_, c2, err := s.PutFlow(ctx, "acme", model.Flow{Name: "parallel"})
			errs <- err
			_, c3, err := s.PutEnvironment(ctx, "acme", model.Environment{Name: "parallel", Type: "docker"})
			errs <- err
			mu.Lock()
			for k, c := range []bool{c1, c2, c3} {
				if c {
					created[k]++
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if fmt.Sprint(created) != "[1 1 1]" {
		t.Fatalf("created counts (artifact, flow, environment) = %v, want one each", created)
	}
	_, total, err := s.ListArtifacts(ctx, "acme", model.ArtifactFilter{Flow: "runner"})
	must(t, err)
	if total != 1 {
		t.Fatalf("%d artifacts", total)
	}
}
