package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

var now = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

func TestParseSnapshotExpr(t *testing.T) {
	cases := []struct {
		in   string
		want model.SnapshotExpr
		err  string
	}{
		{in: "aws-prod", want: model.SnapshotExpr{Environment: "aws-prod"}},
		{in: "aws-prod#65", want: model.SnapshotExpr{Environment: "aws-prod", Ref: model.SnapshotRef{Index: 65}}},
		{in: "aws-prod~3", want: model.SnapshotExpr{Environment: "aws-prod", Ref: model.SnapshotRef{Behind: 3}}},
		{in: "aws-prod@{2026-11-02T12:00:00}", want: model.SnapshotExpr{Environment: "aws-prod", Ref: model.SnapshotRef{At: now}}},
		{in: "aws-prod@{2.hours.ago}", want: model.SnapshotExpr{Environment: "aws-prod", Ref: model.SnapshotRef{At: now.Add(-2 * time.Hour)}}},
		{in: "aws-prod#0", err: "start at 1"},
		{in: "aws-prod#x", err: "malformed"},
		{in: "aws-prod~-1", err: "malformed"},
		{in: "aws-prod@{soon}", err: "invalid time"},
		{in: "#3", err: "environment name is required"},
		{in: "", err: "environment name is required"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := model.ParseSnapshotExpr(tc.in, now)
			if tc.err != "" {
				if err == nil || model.ErrorCode(err) != model.EINVALID || !strings.Contains(model.ErrorMessage(err), tc.err) {
					t.Fatalf("err = %v, want EINVALID mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Environment != tc.want.Environment || got.Ref.Index != tc.want.Ref.Index || got.Ref.Behind != tc.want.Ref.Behind || !got.Ref.At.Equal(tc.want.Ref.At) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if tc.in != "aws-prod@{2.hours.ago}" && got.String() != tc.in {
				t.Fatalf("String() = %q", got.String())
			}
		})
	}
}

func TestParseSnapshotRefAPIForms(t *testing.T) {
	cases := map[string]int{"-1": 10, "": 10, "3": 3, "-2": 9, "%233": 3, "#3": 3, "~1": 9, "~0": 10}
	for in, want := range cases {
		ref, err := model.ParseSnapshotRef(in, now)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		got, err := model.ResolveIndex("e", ref, 10)
		if err != nil || got != want {
			t.Fatalf("%q -> %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-0", "0", "x", "+3", "~x"} {
		if _, err := model.ParseSnapshotRef(in, now); model.ErrorCode(err) != model.EINVALID {
			t.Fatalf("%q: err = %v", in, err)
		}
	}
	_, err := model.ResolveIndex("aws-beta", model.SnapshotRef{Index: 11}, 10)
	if model.ErrorMessage(err) != "snapshot aws-beta#11 does not exist: environment aws-beta has 10 snapshots" {
		t.Fatalf("err = %v", err)
	}
	_, err = model.ResolveIndex("aws-beta", model.SnapshotRef{Behind: 1}, 1)
	if model.ErrorMessage(err) != "snapshot aws-beta~1 does not exist: environment aws-beta has 1 snapshot" {
		t.Fatalf("err = %v", err)
	}
}

func TestParseArtifactExpr(t *testing.T) {
	a, err := model.ParseArtifactExpr("runner:16D9990")
	if err != nil || a.Flow != "runner" || a.Commit != "16d9990" {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = model.ParseArtifactExpr("runner@c71f5b")
	if err != nil || a.Fingerprint != "c71f5b" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, in := range []string{"runner", "runner:xyz", ":abc", "run ner@abc"} {
		if _, err := model.ParseArtifactExpr(in); model.ErrorCode(err) != model.EINVALID {
			t.Fatalf("%q: %v", in, err)
		}
	}
}

func TestEventTexts(t *testing.T) {
	cases := []struct {
		e             model.Event
		history, desc string
	}{
		{model.Event{Environment: "aws-beta", SnapshotIndex: 84, Type: model.EventStarted, Was: 0, Now: 3},
			"Started running in aws-beta#84 environment", "3 instances started running (from 0 to 3)."},
		{model.Event{Environment: "aws-beta", SnapshotIndex: 117, Type: model.EventScaled, Was: 3, Now: 2},
			"Scaled down from 3 to 2 in aws-beta#117 environment", "1 instance stopped running (from 3 to 2)."},
		{model.Event{Environment: "aws-beta", SnapshotIndex: 118, Type: model.EventScaled, Was: 1, Now: 3},
			"Scaled up from 1 to 3 in aws-beta#118 environment", "2 instances started running (from 1 to 3)."},
		{model.Event{Environment: "aws-beta", SnapshotIndex: 119, Type: model.EventExited, Was: 1, Now: 0},
			"No longer running in aws-beta#119 environment", "1 instance stopped running (from 1 to 0)."},
		{model.Event{Environment: "x", SnapshotIndex: 1, Type: model.EventStarted, Was: 0, Now: 1},
			"Started running in x#1 environment", "1 instance started running (from 0 to 1)."},
	}
	for _, tc := range cases {
		if got := tc.e.HistoryText(); got != tc.history {
			t.Errorf("history %q, want %q", got, tc.history)
		}
		if got := tc.e.Description(); got != tc.desc {
			t.Errorf("description %q, want %q", got, tc.desc)
		}
	}
}

func ra(fp string, n int) model.RunningArtifact {
	ts := make([]int64, n)
	return model.RunningArtifact{Fingerprint: fp, CreationTimestamps: ts}
}

func TestDeriveEventsAndHash(t *testing.T) {
	prev := []model.RunningArtifact{ra("a", 1), ra("b", 3)}
	next := []model.RunningArtifact{ra("b", 2), ra("c", 1)}
	evs := model.DeriveEvents(prev, next, true)
	if len(evs) != 3 || evs[0].Type != model.EventExited || evs[1].Type != model.EventScaled || evs[1].Was != 3 || evs[1].Now != 2 || evs[2].Type != model.EventStarted {
		t.Fatalf("events = %+v", evs)
	}
	if evs := model.DeriveEvents(prev, next, false); len(evs) != 2 {
		t.Fatalf("without scaling = %+v", evs)
	}
	if model.SnapshotHash(prev, true) == model.SnapshotHash([]model.RunningArtifact{ra("a", 1), ra("b", 2)}, true) {
		t.Fatal("hash ignores instance counts with scaling on")
	}
	if model.SnapshotHash(prev, false) != model.SnapshotHash([]model.RunningArtifact{ra("b", 2), ra("a", 1)}, false) {
		t.Fatal("hash depends on counts or order with scaling off")
	}
}

func TestGroupInstances(t *testing.T) {
	fp := "C71F5BAEF8CCE289C9B7C971CF219E21B787A025AF68AD6539B82634FE62819E"
	got, err := model.GroupInstances([]model.Instance{{Fingerprint: "sha256:" + fp, Name: "b", CreatedAt: 5}, {Fingerprint: fp, Name: "a", CreatedAt: 2}, {Fingerprint: fp, Name: "a"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Instances() != 3 || got[0].Name != "a" || got[0].CreationTimestamps[0] != 2 || got[0].CreationTimestamps[2] != now.Unix() {
		t.Fatalf("grouped = %+v", got)
	}
	if _, err := model.GroupInstances([]model.Instance{{Fingerprint: "nope"}}, now); model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("err = %v", err)
	}
}

func TestJUnit(t *testing.T) {
	cases := []struct {
		name, xml string
		compliant bool
		err       string
	}{
		{"clean suites", `<testsuites><testsuite name="a" tests="2" failures="0" errors="0"/></testsuites>`, true, ""},
		{"failure attr", `<testsuite name="a" tests="2" failures="1"/>`, false, ""},
		{"error case without attrs", `<testsuites><testsuite name="a"><testcase name="x"><error/></testcase></testsuite></testsuites>`, false, ""},
		{"nested suites", `<testsuites><testsuite name="p"><testsuite name="c"><testcase name="x"><failure/></testcase></testsuite></testsuite></testsuites>`, false, ""},
		{"skipped is fine", `<testsuite name="a"><testcase name="x"><skipped/></testcase></testsuite>`, true, ""},
		{"not xml", `hello`, false, "is not XML"},
		{"wrong root", `<html></html>`, false, "root element is <html>"},
		{"truncated", `<testsuites><testsuite name="a">`, false, "not valid XML"},
		{"empty", ``, false, "no root element"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			suites, err := model.ParseJUnit("r.xml", []byte(tc.xml))
			if tc.err != "" {
				if model.ErrorCode(err) != model.EINVALID || !strings.Contains(model.ErrorMessage(err), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := model.JUnitCompliant(suites); got != tc.compliant {
				t.Fatalf("compliant = %v for %+v", got, suites)
			}
		})
	}
}

func TestComplianceState(t *testing.T) {
	ev := func(name string, ok bool, min int) model.Evidence {
		return model.Evidence{Name: name, Compliant: ok, CreatedAt: now.Add(time.Duration(min) * time.Minute)}
	}
	cases := []struct {
		name     string
		template []string
		ev       []model.Evidence
		want     string
	}{
		{"no template, nothing", nil, nil, model.Compliant},
		{"no template, failing", nil, []model.Evidence{ev("x", false, 0)}, model.NonCompliant},
		{"missing", []string{"unit", "cov"}, []model.Evidence{ev("unit", true, 0)}, model.Incomplete},
		{"all good", []string{"unit"}, []model.Evidence{ev("unit", true, 0)}, model.Compliant},
		{"latest counts", []string{"unit"}, []model.Evidence{ev("unit", true, 2), ev("unit", false, 1)}, model.Compliant},
		{"non-compliant beats missing", []string{"unit", "cov"}, []model.Evidence{ev("unit", false, 0)}, model.NonCompliant},
	}
	for _, tc := range cases {
		if got := model.ComplianceState(tc.template, tc.ev); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestComputeDORA(t *testing.T) {
	d := func(h int, status string) model.Deployment {
		return model.Deployment{Environment: "prod", Status: status, CreatedAt: now.Add(time.Duration(h) * time.Hour)}
	}
	deps := []model.Deployment{d(1, ""), d(2, model.DeploymentFailed), d(5, ""), d(6, model.DeploymentRolledBack), d(7, "succeeded"), {Environment: "beta", CreatedAt: now}}
	arts := map[string]model.Artifact{"a": {CommitTime: now}, "b": {CreatedAt: now.Add(time.Hour)}}
	evs := []model.Event{
		{Environment: "prod", Fingerprint: "a", Type: model.EventStarted, At: now.Add(2 * time.Hour)},
		{Environment: "prod", Fingerprint: "a", Type: model.EventStarted, At: now.Add(9 * time.Hour)},
		{Environment: "prod", Fingerprint: "b", Type: model.EventStarted, At: now.Add(5 * time.Hour)},
		{Environment: "beta", Fingerprint: "b", Type: model.EventStarted, At: now.Add(3 * time.Hour)},
	}
	m := model.ComputeDORA("f", "prod", now, now.Add(10*24*time.Hour), deps, evs, arts)
	if m.Deployments != 5 || m.Failures != 2 || m.ChangeFailureRate != 0.4 || m.DeploymentsPerDay != 0.5 {
		t.Fatalf("counts = %+v", m)
	}
	// Recoveries: 2h->5h (3h) and 6h->7h (1h): mean 2h.
	if m.Recoveries != 2 || m.TimeToRecovery != 2*time.Hour {
		t.Fatalf("recovery = %+v", m)
	}
	// Lead times: a 2h (first start), b 4h (from creation): median of [2h 4h] is 4h.
	if m.LeadTimes != 2 || m.LeadTime != 4*time.Hour {
		t.Fatalf("lead = %+v", m)
	}
}

func TestComposeHistoryOrder(t *testing.T) {
	a := model.Artifact{CreatedAt: now}
	ev := []model.Evidence{{Name: "cov", CreatedAt: now.Add(time.Minute)}, {Name: "cov", CreatedAt: now.Add(3 * time.Minute)}, {Name: "unit", CreatedAt: now}}
	deps := []model.Deployment{{Number: 18, Environment: "aws-beta", CreatedAt: now.Add(2 * time.Minute)}}
	evs := []model.Event{{Environment: "aws-beta", SnapshotIndex: 84, Type: model.EventStarted, Now: 3, At: now.Add(4 * time.Minute)}}
	h := model.ComposeHistory(a, ev, deps, evs)
	want := []string{"Artifact created", "unit evidence received", "Deployment #18 to aws-beta environment", "cov evidence received", "Started running in aws-beta#84 environment"}
	if len(h) != len(want) {
		t.Fatalf("history = %+v", h)
	}
	for i := range want {
		if h[i].Event != want[i] {
			t.Fatalf("history[%d] = %q, want %q (all: %+v)", i, h[i].Event, want[i], h)
		}
	}
}

func TestValidation(t *testing.T) {
	f := model.Flow{Name: "ok", Template: []string{" a ", "artifact", "a", ""}}
	if err := f.Validate(); err != nil || len(f.Template) != 1 || f.Visibility != "private" {
		t.Fatalf("%+v %v", f, err)
	}
	for _, n := range []string{"", "a b", "a/b", "a#b", "a~b", "a@b"} {
		if err := model.ValidateName("flow", n); model.ErrorCode(err) != model.EINVALID {
			t.Fatalf("%q accepted", n)
		}
	}
	if _, err := model.NormalizeFingerprint("sha256:" + "AB" + string(make([]byte, 0))); err == nil {
		t.Fatal("short fingerprint accepted")
	}
	tok, err := model.NewToken()
	if err != nil || len(tok) < 40 || model.HashToken(tok) == tok || len(model.HashToken(tok)) != 64 {
		t.Fatalf("token %q", tok)
	}
}
