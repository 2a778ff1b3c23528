package http_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

const (
	oldCommit = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
	newCommit = "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b"
)

// TestStory replays the tutorial at the API level: deployments #18 and
// #19, the new version starting with 3 replicas beside the old one, the
// old one exiting, a scale-down from 3 to 1 and an exit.
func TestStory(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "old", oldCommit)
	for i := 0; i < 17; i++ {
		e.ok("POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": storetest.FP("old"), "environment": "aws-beta"}, 201)
	}
	e.clk.Advance(time.Minute)
	art := e.attestArtifact("runner", "new", newCommit)
	if art["state"] != "INCOMPLETE" {
		t.Fatalf("state before evidence = %v", art["state"])
	}
	e.clk.Advance(time.Minute)
	e.ok("POST", "/api/v2/attestations/acme/runner/trail/"+newCommit[:7]+"/coverage",
		multipartReq(t, map[string]any{"attestation_name": "branch-coverage", "artifact_fingerprint": storetest.FP("new"), "coverage_percent": 91.5, "min_coverage_percent": 80}, nil), 201)
	e.clk.Advance(time.Minute)
	d := e.ok("POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": storetest.FP("new"), "environment": "aws-beta"}, 201).Object(t)
	if d["deployment_id"] != 18.0 {
		t.Fatalf("deployment = %v, want #18", d)
	}
	e.clk.Advance(time.Minute)
	e.ok("POST", "/api/v2/deployments/acme/runner", map[string]any{"artifact_fingerprint": storetest.FP("new"), "environment": "aws-prod"}, 201)

	start := e.clk.Now().Unix()
	steps := []struct {
		env  string
		sets [][]instance
	}{
		{"aws-beta", [][]instance{replicas("old", 1, 100)}},
		{"aws-beta", [][]instance{replicas("old", 1, 100), replicas("new", 3, start)}},
		{"aws-beta", [][]instance{replicas("new", 3, start)}},
		{"aws-beta", [][]instance{replicas("new", 1, start)}},
		{"aws-beta", nil},
		{"aws-prod", [][]instance{replicas("old", 1, 100)}},
		{"aws-prod", [][]instance{replicas("old", 1, 100), replicas("new", 3, start)}},
	}
	for _, s := range steps {
		e.clk.Advance(time.Minute)
		r := e.report(s.env, 201, s.sets...)
		if r["created"] != true {
			t.Fatalf("report = %v", r)
		}
	}
	// The same report again changes nothing.
	if r := e.report("aws-prod", 200, replicas("old", 1, 100), replicas("new", 3, start)); r["created"] != false || r["index"] != 2.0 {
		t.Fatalf("repeat report = %v", r)
	}

	got := e.ok("GET", "/api/v2/artifacts/acme/runner/commit_sha/16d9990", nil, 200).Array(t)
	if len(got) != 1 {
		t.Fatalf("by commit = %v", got)
	}
	a := got[0].(map[string]any)
	var history []string
	for _, h := range a["history"].([]any) {
		history = append(history, h.(map[string]any)["event"].(string))
	}
	want := []string{
		"Artifact created",
		"branch-coverage evidence received",
		"Deployment #18 to aws-beta environment",
		"Deployment #19 to aws-prod environment",
		"Started running in aws-beta#2 environment",
		"Scaled down from 3 to 1 in aws-beta#4 environment",
		"No longer running in aws-beta#5 environment",
		"Started running in aws-prod#2 environment",
	}
	if strings.Join(history, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(history, "\n"), strings.Join(want, "\n"))
	}
	if a["state"] != "COMPLIANT" {
		t.Fatalf("state = %v", a["state"])
	}
	running := a["running"].([]any)
	exited := a["exited"].([]any)
	if len(running) != 1 || running[0].(map[string]any)["environment_name"] != "aws-prod" || len(exited) != 1 {
		t.Fatalf("running %v exited %v", running, exited)
	}

	// Blue-green in aws-prod#2: both versions of the flow, 1 and 3 replicas.
	for _, expr := range []string{"2", "-1", "%232", "~0", "@{" + e.clk.Now().UTC().Format("2006-01-02T15:04:05") + "}"} {
		snap := e.ok("GET", "/api/v2/snapshots/acme/aws-prod/"+expr, nil, 200).Object(t)
		if snap["index"] != 2.0 {
			t.Fatalf("%s: index = %v", expr, snap["index"])
		}
		counts := map[string]int{}
		for _, x := range snap["artifacts"].([]any) {
			m := x.(map[string]any)
			if m["flow_name"] != "runner" {
				t.Fatalf("artifact %v lacks its flow", m)
			}
			counts[m["git_commit"].(string)[:7]] = len(m["creationTimestamp"].([]any))
		}
		if counts["0a1b2c3"] != 1 || counts["16d9990"] != 3 {
			t.Fatalf("%s: blue-green counts = %v", expr, counts)
		}
	}

	diff := e.ok("GET", "/api/v2/env-diff/acme?snappish1="+url.QueryEscape("aws-beta#2")+"&snappish2="+url.QueryEscape("aws-beta#4"), nil, 200).Object(t)
	only1 := diff["snappish1"].(map[string]any)["artifacts"].([]any)
	only2 := diff["snappish2"].(map[string]any)["artifacts"].([]any)
	changed := diff["changed"].(map[string]any)["artifacts"].([]any)
	if len(only1) != 1 || only1[0].(map[string]any)["fingerprint"] != storetest.FP("old") || len(only2) != 0 || len(changed) != 1 {
		t.Fatalf("diff = %s", diff)
	}
	ch := changed[0].(map[string]any)
	if ch["s1_instance_count"] != 3.0 || ch["s2_instance_count"] != 1.0 || ch["flow"] != "runner" {
		t.Fatalf("changed = %v", ch)
	}
	if diff["snappish1"].(map[string]any)["snapshot_id"] != "aws-beta#2" {
		t.Fatalf("snapshot_id = %v", diff["snappish1"])
	}

	// Kosli's log environment: newest first; reverse=true oldest first;
	// interval and paging.
	logOf := func(query string) string {
		var lines []string
		for _, x := range e.ok("GET", "/api/v2/environments/acme/aws-beta/events"+query, nil, 200).Array(t) {
			m := x.(map[string]any)
			lines = append(lines, fmt.Sprintf("#%v %s", m["snapshot_index"], m["description"]))
		}
		return strings.Join(lines, "\n")
	}
	oldestFirst := []string{"#1 1 instance started running (from 0 to 1).", "#2 3 instances started running (from 0 to 3).",
		"#3 1 instance stopped running (from 1 to 0).", "#4 2 instances stopped running (from 3 to 1).", "#5 1 instance stopped running (from 1 to 0)."}
	newestFirst := append([]string{}, oldestFirst...)
	slices.Reverse(newestFirst)
	for _, c := range []struct{ query, want string }{
		{"", strings.Join(newestFirst, "\n")},
		{"?reverse=false&interval=&page=1&per_page=15", strings.Join(newestFirst, "\n")}, // what Kosli's CLI sends
		{"?reverse=true", strings.Join(oldestFirst, "\n")},
		{"?reverse=true&interval=2..3", strings.Join(oldestFirst[1:3], "\n")},
		{"?interval=~1..NOW", strings.Join(newestFirst[:2], "\n")},
		{"?interval=4", oldestFirst[3]},
		{"?page=2&per_page=2", strings.Join(newestFirst[2:4], "\n")},
	} {
		if got := logOf(c.query); got != c.want {
			t.Errorf("events%s:\n%s\nwant:\n%s", c.query, got, c.want)
		}
	}
	for _, q := range []string{"?interval=9", "?interval=3..2", "?interval=x..", "?reverse=maybe"} {
		if r := e.do("GET", "/api/v2/environments/acme/aws-beta/events"+q, e.token, nil); r.Status != 400 {
			t.Errorf("events%s = %d %s, want 400", q, r.Status, r.Body)
		}
	}
	list := e.ok("GET", "/api/v2/snapshots/acme/aws-beta?per_page=2", nil, 200)
	if list.Header.Get("X-Total-Count") != "5" || len(list.Array(t)) != 2 {
		t.Fatalf("snapshot list %s total %s", list.Body, list.Header.Get("X-Total-Count"))
	}

	// The old version leaves aws-prod: the new one still runs there, and
	// "running" names the environment's current snapshot, #3.
	e.clk.Advance(time.Minute)
	e.report("aws-prod", 201, replicas("new", 3, start))
	a = e.ok("GET", "/api/v2/artifacts/acme/runner/fingerprint/"+storetest.FP("new"), nil, 200).Object(t)
	running = a["running"].([]any)
	if len(running) != 1 || running[0].(map[string]any)["snapshot_index"] != 3.0 {
		t.Fatalf("running = %v, want aws-prod#3", running)
	}
	if n := len(a["history"].([]any)); n != len(want) {
		t.Fatalf("history grew to %d lines on an unchanged artifact", n)
	}
}
