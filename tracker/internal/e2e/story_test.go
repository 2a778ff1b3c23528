package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/api"
)

// The story's data: cyber-dojo's runner built from commit 16d9990…, the
// version before it, and two neighbours in the same environments.
var (
	newCommit = "16d9990ad23a40eecaf087abac2a58a2d2a4b3f4"
	oldCommit = "7f3e1a2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"
	newName   = "cyberdojo/runner:16d9990"
	oldName   = "cyberdojo/runner:7f3e1a2"
	newFP     = fp("runner:16d9990")
	oldFP     = fp("runner:7f3e1a2")
	saverFP   = fp("saver:1a2b3c4")
	creatorFP = fp("creator:5d6e7f8")
	nextFP    = fp("runner:next")
	commitURL = "https://github.com/cyber-dojo/runner/commit/" + newCommit
	buildURL  = "https://github.com/cyber-dojo/runner/actions/runs/2902808452"
	// t0 is when the artifact was built: 11:35 CEST.
	t0 = time.Date(2022, 8, 22, 9, 35, 0, 0, time.UTC)
)

// story replays the tutorial through the CLI and returns the tracker and
// the time the queries are made at.
func story(t *testing.T, dsn string) *tracker {
	t.Helper()
	c := &testenv.Clock{}
	c.Set(t0.Add(-10 * 24 * time.Hour))
	tr := startDB(t, c, dsn)
	tr.createOrg("cyber-dojo")

	tr.must("create", "flow", "runner", "--description", "Test runner for cyber-dojo", "--visibility", "public", "--template", "branch-coverage")
	tr.must("create", "flow", "saver", "--description", "Group and kata persistence", "--visibility", "public")
	tr.must("create", "environment", "aws-beta", "--type", "ECS", "--description", "Staging on AWS")
	tr.must("create", "environment", "aws-prod", "--type", "ECS", "--description", "Production on AWS")

	// The previous runner, deployed 17 times before our commit's artifact.
	tr.must("attest", "artifact", oldName, "--flow", "runner", "--fingerprint", oldFP, "--commit", oldCommit)
	tr.must("attest", "artifact", "cyberdojo/saver:1a2b3c4", "--flow", "saver", "--fingerprint", saverFP, "--commit", "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")
	for i := 1; i <= 17; i++ {
		c.Advance(time.Hour)
		env := []string{"aws-beta", "aws-prod"}[i%2]
		out := tr.must("report", "deployment", "--flow", "runner", "--fingerprint", oldFP, "--environment", env)
		if want := fmt.Sprintf("Deployment #%d to %s environment was reported\n", i, env); out != want {
			t.Fatalf("deployment %d printed %q, want %q", i, out, want)
		}
	}

	oldSince := t0.Add(-9 * 24 * time.Hour)
	// Snapshots #1–#83 of aws-beta and #1–#63 of aws-prod: the old runner
	// and a saver that keeps scaling between 1 and 2 replicas.
	for i := 1; i <= 83; i++ {
		c.Advance(time.Minute)
		tr.report("aws-beta", running{oldName, oldFP, oldSince, 1}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1 + i%2})
	}
	for i := 1; i <= 63; i++ {
		c.Advance(time.Minute)
		prod := []running{{oldName, oldFP, oldSince, 1}, {"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1 + i%2}}
		if i == 63 {
			prod = append(prod, running{"cyberdojo/creator:5d6e7f8", creatorFP, oldSince, 1})
		}
		tr.report("aws-prod", prod...)
	}

	// Our commit: the artifact, its evidence, deployment #18 to aws-beta.
	c.Set(t0)
	tr.must("begin", "trail", newCommit[:7], "--flow", "runner", "--commit", newCommit)
	tr.must("attest", "artifact", newName, "--flow", "runner", "--fingerprint", newFP, "--commit", newCommit,
		"--commit-url", commitURL, "--build-url", buildURL, "--trail", newCommit[:7])
	// The deploy gate refuses it while branch-coverage is missing.
	gate := tr.run(nil, "assert", "artifact", newFP, "--flow", "runner", "--environment", "aws-beta")
	if gate.code != 1 || !strings.HasPrefix(gate.out, "NON-COMPLIANT\nEnvironment: aws-beta\nFlow: runner\n") ||
		!strings.Contains(gate.out, "branch-coverage") || !strings.Contains(gate.out, "MISSING") ||
		!strings.Contains(gate.errOut, "artifact is not compliant") {
		t.Fatalf("gate before evidence: exit %d\n%s%s", gate.code, gate.out, gate.errOut)
	}
	c.Set(t0.Add(time.Minute))
	tr.must("attest", "generic", "--flow", "runner", "--trail", newCommit[:7], "--name", "branch-coverage", "--fingerprint", newFP)
	if out := tr.must("assert", "artifact", newFP, "--flow", "runner", "--environment", "aws-beta"); !strings.HasPrefix(out, "COMPLIANT\n") ||
		!strings.Contains(out, "COMPLETE") {
		t.Fatalf("gate after evidence printed:\n%s", out)
	}
	c.Set(t0.Add(5 * time.Minute))
	if out := tr.must("report", "deployment", "--flow", "runner", "--fingerprint", newFP, "--environment", "aws-beta"); out != "Deployment #18 to aws-beta environment was reported\n" {
		t.Fatalf("deployment #18 printed %q", out)
	}
	// aws-beta#84: it starts with 3 replicas and the old runner exits.
	newBeta := t0.Add(6 * time.Minute)
	c.Set(newBeta)
	out := tr.report("aws-beta", running{newName, newFP, newBeta, 3}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1})
	if !strings.Contains(out, "aws-beta#84: new snapshot") {
		t.Fatalf("beta report printed %q, want snapshot #84", out)
	}

	// Deployment #19 to aws-prod; aws-prod#64 is the last snapshot without
	// it, #65 runs it with 3 replicas beside the old runner (blue-green),
	// while saver scales up and creator exits.
	c.Set(t0.Add(24 * time.Hour))
	tr.must("report", "deployment", "--flow", "runner", "--fingerprint", newFP, "--environment", "aws-prod", "--description", "blue-green")
	c.Set(t0.Add(24*time.Hour + time.Minute))
	tr.report("aws-prod", running{oldName, oldFP, oldSince, 1}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1}, running{"cyberdojo/creator:5d6e7f8", creatorFP, oldSince, 1})
	newProd := t0.Add(24*time.Hour + 2*time.Minute)
	c.Set(newProd)
	out = tr.report("aws-prod", running{oldName, oldFP, oldSince, 1}, running{newName, newFP, newProd, 3}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})
	if !strings.Contains(out, "aws-prod#65: new snapshot") {
		t.Fatalf("prod report printed %q, want snapshot #65", out)
	}
	// The same set again changes nothing.
	c.Set(newProd.Add(time.Minute))
	out = tr.report("aws-prod", running{oldName, oldFP, oldSince, 1}, running{newName, newFP, newProd, 3}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})
	if !strings.Contains(out, "aws-prod#65: unchanged") {
		t.Fatalf("repeated report printed %q, want unchanged #65", out)
	}
	// aws-prod#66: the old one exits.
	c.Set(newProd.Add(10 * time.Minute))
	tr.report("aws-prod", running{newName, newFP, newProd, 3}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})

	// aws-beta#85–#116: saver keeps scaling; #117 runner scales 3 -> 2;
	// #118 saver again; #119 a newer runner replaces ours.
	for i := 85; i <= 116; i++ {
		c.Set(t0.Add(2*24*time.Hour + time.Duration(i)*time.Minute))
		tr.report("aws-beta", running{newName, newFP, newBeta, 3}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1 + i%2})
	}
	c.Set(t0.Add(3 * 24 * time.Hour))
	tr.report("aws-beta", running{newName, newFP, newBeta, 2}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 1})
	c.Set(t0.Add(3*24*time.Hour + time.Hour))
	tr.report("aws-beta", running{newName, newFP, newBeta, 2}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})
	c.Set(t0.Add(4 * 24 * time.Hour))
	tr.report("aws-beta", running{"cyberdojo/runner:next", nextFP, t0.Add(4 * 24 * time.Hour), 1}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})

	// aws-prod#67: scale-down from 3 to 1; #68: it exits.
	c.Set(t0.Add(5 * 24 * time.Hour))
	tr.report("aws-prod", running{newName, newFP, newProd, 1}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})
	c.Set(t0.Add(6 * 24 * time.Hour))
	tr.report("aws-prod", running{"cyberdojo/runner:next", nextFP, t0.Add(6 * 24 * time.Hour), 1}, running{"cyberdojo/saver:1a2b3c4", saverFP, oldSince, 2})

	// The queries are made 15 days (and 5 hours) after the build.
	c.Set(t0.Add(15*24*time.Hour + 5*time.Hour))
	return tr
}

func TestStory(t *testing.T) {
	tr := story(t, "")

	t.Run("ls flows", func(t *testing.T) {
		golden(t, "ls-flows", tr.must("ls", "flows"))
	})
	t.Run("get artifact by commit", func(t *testing.T) {
		out := tr.must("get", "artifact", "runner:"+newCommit[:7])
		golden(t, "get-artifact", out)
		// The spec's history lines, in order.
		want := []string{
			"Artifact created",
			"branch-coverage evidence received",
			"Deployment #18 to aws-beta environment",
			"Started running in aws-beta#84 environment",
			"Deployment #19 to aws-prod environment",
			"Started running in aws-prod#65 environment",
			"Scaled down from 3 to 2 in aws-beta#117 environment",
			"No longer running in aws-beta#119 environment",
			"Scaled down from 3 to 1 in aws-prod#67 environment",
			"No longer running in aws-prod#68 environment",
		}
		_, history, ok := strings.Cut(out, "History:\n")
		if !ok {
			t.Fatalf("no History in %s", out)
		}
		lines := strings.Split(strings.TrimRight(history, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("history has %d lines, want %d:\n%s", len(lines), len(want), history)
		}
		for i, w := range want {
			if !strings.HasPrefix(strings.TrimSpace(lines[i]), w+"  ") {
				t.Errorf("history line %d = %q, want %q", i+1, lines[i], w)
			}
		}
		if !strings.Contains(out, "Created on:   Mon, 22 Aug 2022 11:35:00 CEST \u2022 15 days ago\n") {
			t.Errorf("Created on row is not in the spec's format:\n%s", out)
		}
		if !strings.Contains(out, "State:        COMPLIANT\n") {
			t.Errorf("artifact with its template's evidence is not COMPLIANT:\n%s", out)
		}
	})
	t.Run("get artifact by fingerprint prefix", func(t *testing.T) {
		byCommit := tr.must("get", "artifact", "runner:"+newCommit)
		byFP := tr.must("get", "artifact", "runner@"+newFP[:8])
		if byCommit != byFP {
			t.Errorf("FLOW@FINGERPRINT and FLOW:COMMIT differ:\n%s\n%s", byFP, byCommit)
		}
	})
	t.Run("get snapshot during blue-green", func(t *testing.T) {
		out := tr.must("get", "snapshot", "aws-prod#65")
		golden(t, "get-snapshot-aws-prod-65", out)
		if !strings.Contains(out, "16d9990  Name: "+newName) || !strings.Contains(out, "7f3e1a2  Name: "+oldName) ||
			!strings.Contains(out, "Blue-green: flow runner runs 2 versions side by side") {
			t.Errorf("snapshot #65 does not show both runner versions:\n%s", out)
		}
		after := tr.must("get", "snapshot", "aws-prod#66")
		if strings.Contains(after, oldName) || strings.Contains(after, "Blue-green") {
			t.Errorf("snapshot #66 still shows the old runner:\n%s", after)
		}
	})
	t.Run("diff snapshots", func(t *testing.T) {
		out := tr.must("diff", "snapshots", "aws-prod#64", "aws-prod#65")
		golden(t, "diff-aws-prod-64-65", out)
		for _, section := range []string{"Only present in aws-prod#64\n", "Only present in aws-prod#65\n", "aws-prod#64 -> aws-prod#65 scaling\n"} {
			if !strings.Contains(out, section) {
				t.Errorf("diff lacks section %q:\n%s", section, out)
			}
		}
	})
	t.Run("log environment", func(t *testing.T) {
		golden(t, "log-aws-prod", tr.must("log", "environment", "aws-prod", "--page-limit", "6"))
	})
	t.Run("ls snapshots", func(t *testing.T) {
		golden(t, "ls-snapshots-aws-prod", tr.must("ls", "snapshots", "aws-prod", "--page-limit", "5"))
	})
	t.Run("ls environments", func(t *testing.T) {
		golden(t, "ls-environments", tr.must("ls", "environments"))
	})
	t.Run("get flow", func(t *testing.T) {
		golden(t, "get-flow", tr.must("get", "flow", "runner"))
	})
	t.Run("ls artifacts", func(t *testing.T) {
		golden(t, "ls-artifacts-runner", tr.must("ls", "artifacts", "--flow", "runner"))
	})
	t.Run("get environment", func(t *testing.T) {
		golden(t, "get-environment-aws-prod", tr.must("get", "environment", "aws-prod"))
	})
	t.Run("get latest snapshot", func(t *testing.T) {
		latest := tr.must("get", "snapshot", "aws-prod")
		if latest != tr.must("get", "snapshot", "aws-prod#68") || latest != tr.must("get", "snapshot", "aws-prod~0") {
			t.Errorf("aws-prod, aws-prod#68 and aws-prod~0 differ")
		}
		if prev := tr.must("get", "snapshot", "aws-prod~3"); prev != tr.must("get", "snapshot", "aws-prod#65") {
			t.Errorf("aws-prod~3 is not aws-prod#65:\n%s", prev)
		}
		// @{time}: the snapshot current at 11:40 CEST on Aug 23 is #65.
		if at := tr.must("get", "snapshot", "aws-prod@{2022-08-23T09:40:00}"); at != tr.must("get", "snapshot", "aws-prod#65") {
			t.Errorf("aws-prod@{2022-08-23T09:40:00} is not #65:\n%s", at)
		}
	})
	t.Run("json output", func(t *testing.T) {
		testJSONOutput(t, tr)
	})
	t.Run("bad input", func(t *testing.T) {
		testBadInput(t, tr)
	})
}

// TestStoryPostgres replays the story on PostgreSQL: the CLI prints the
// same bytes as on SQLite.
func TestStoryPostgres(t *testing.T) {
	tr := story(t, testenv.PostgresURL(t))
	for name, args := range map[string][]string{
		"get-artifact":             {"get", "artifact", "runner:" + newCommit[:7]},
		"get-snapshot-aws-prod-65": {"get", "snapshot", "aws-prod#65"},
		"diff-aws-prod-64-65":      {"diff", "snapshots", "aws-prod#64", "aws-prod#65"},
		"log-aws-prod":             {"log", "environment", "aws-prod", "--page-limit", "6"},
	} {
		t.Run(name, func(t *testing.T) {
			if testenv.Updating() {
				t.Skip("goldens are written by the SQLite story")
			}
			golden(t, name, tr.must(args...))
		})
	}
}

// TestWebUIIsServed checks serve mounts the web UI beside the API.
func TestWebUIIsServed(t *testing.T) {
	tr := story(t, "")
	resp, err := http.Get(tr.host + "/ui/cyber-dojo/flows/runner")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "16d9990") {
		t.Errorf("GET /ui/cyber-dojo/flows/runner: %d %s\n%.500s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// testJSONOutput checks --output json prints the wire shapes, with the
// arrays and objects Kosli's CLI reads never null.
func testJSONOutput(t *testing.T, tr *tracker) {
	var arts []map[string]any
	if err := json.Unmarshal([]byte(tr.must("get", "artifact", "runner:"+newCommit[:7], "-o", "json")), &arts); err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("got %d artifacts, want 1", len(arts))
	}
	a := arts[0]
	for _, field := range []string{"running", "exited", "history"} {
		if _, ok := a[field].([]any); !ok {
			t.Errorf("artifact %s = %v, want an array", field, a[field])
		}
	}
	if _, ok := a["tags"].(map[string]any); !ok {
		t.Errorf("artifact tags = %v, want an object", a["tags"])
	}
	if h := a["history"].([]any); len(h) != 10 {
		t.Errorf("history has %d items, want 10", len(h))
	} else if item := h[0].(map[string]any); item["event"] != "Artifact created" || item["timestamp"].(float64) != float64(t0.Unix()) {
		t.Errorf("first history item = %v", item)
	}
	if gc, _ := a["git_commit"].(string); len(gc) < 7 {
		t.Errorf("git_commit = %q, want at least 7 characters", gc)
	}

	var fpArt map[string]any
	if err := json.Unmarshal([]byte(tr.must("get", "artifact", "runner@"+newFP, "-o", "json")), &fpArt); err != nil {
		t.Fatalf("by fingerprint the JSON is one object: %v", err)
	}

	var snap api.Snapshot
	if err := json.Unmarshal([]byte(tr.must("get", "snapshot", "aws-prod#65", "--output", "json")), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Index != 65 || snap.Environment != "aws-prod" {
		t.Errorf("snapshot = %s#%d", snap.Environment, snap.Index)
	}
	replicas := map[string]int{}
	for _, sa := range snap.Artifacts {
		if sa.Annotation.Now > 0 {
			replicas[sa.Fingerprint] = len(sa.CreationTimestamp)
		}
	}
	if replicas[newFP] != 3 || replicas[oldFP] != 1 || replicas[saverFP] != 2 {
		t.Errorf("replicas in #65 = %v, want new 3, old 1, saver 2", replicas)
	}

	var flows []api.Flow
	if err := json.Unmarshal([]byte(tr.must("ls", "flows", "-o", "json")), &flows); err != nil {
		t.Fatal(err)
	}
	if len(flows) != 2 || flows[0].Tags == nil || flows[0].Template == nil {
		t.Errorf("flows = %+v", flows)
	}

	var diff map[string]any
	if err := json.Unmarshal([]byte(tr.must("diff", "snapshots", "aws-prod#64", "aws-prod#65", "-o", "json")), &diff); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"snappish1", "snappish2", "changed", "not-changed"} {
		if _, ok := diff[k].(map[string]any); !ok {
			t.Errorf("diff %s = %v, want an object", k, diff[k])
		}
	}
}

// testBadInput checks every mistake gets one line naming it and a non-zero
// exit code, and that a mistaken write stores nothing.
func testBadInput(t *testing.T, tr *tracker) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown org", map[string]string{"TRACKER_ORG": "no-such-org"}, []string{"ls", "flows"}, 4, "no-such-org"},
		{"unknown flow", nil, []string{"get", "flow", "nope"}, 4, "nope"},
		{"unknown flow in expression", nil, []string{"get", "artifact", "nope:" + newCommit[:7]}, 4, "nope"},
		{"unknown environment", nil, []string{"get", "snapshot", "aws-staging"}, 4, "aws-staging"},
		{"unknown fingerprint", nil, []string{"get", "artifact", "runner@ffff0000"}, 4, "ffff0000"},
		{"unknown commit", nil, []string{"get", "artifact", "runner:abcdef0"}, 4, "abcdef0"},
		{"snapshot index past the end", nil, []string{"get", "snapshot", "aws-prod#99"}, 4, "68 snapshots"},
		{"snapshot behind past the start", nil, []string{"diff", "snapshots", "aws-prod~500", "aws-prod"}, 4, "68 snapshots"},
		{"malformed artifact expression", nil, []string{"get", "artifact", "runner#16d9990"}, 2, `malformed artifact expression "runner#16d9990"`},
		{"malformed snapshot expression", nil, []string{"get", "snapshot", "aws-prod#-1"}, 2, "aws-prod#-1"},
		{"wrong token", map[string]string{"TRACKER_API_TOKEN": "trk_wrong"}, []string{"create", "flow", "intruder"}, 3, ""},
		{"missing token", map[string]string{"TRACKER_API_TOKEN": ""}, []string{"create", "flow", "intruder"}, 2, "--api-token is required"},
		{"deployment to unknown environment", nil, []string{"report", "deployment", "--flow", "runner", "--fingerprint", newFP, "--environment", "mars"}, 4, "mars"},
		{"deployment of unknown artifact", nil, []string{"report", "deployment", "--flow", "runner", "--fingerprint", fp("never built"), "--environment", "aws-prod"}, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tr.run(tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", r.code, tt.code, r.errOut)
			}
			first, rest, _ := strings.Cut(r.errOut, "\n")
			if !strings.HasPrefix(first, "Error: ") || !strings.Contains(first, tt.want) {
				t.Errorf("stderr = %q, want an Error line naming %q", r.errOut, tt.want)
			}
			if rest != "" && !strings.HasPrefix(rest, "Run '") {
				t.Errorf("stderr has more than one error line: %q", r.errOut)
			}
			if r.out != "" {
				t.Errorf("stdout = %q, want nothing", r.out)
			}
		})
	}
	// Nothing was stored by the failed writes.
	if out := tr.must("ls", "flows"); strings.Contains(out, "intruder") {
		t.Errorf("a rejected write created a flow:\n%s", out)
	}
	// A server nobody listens on: a one-line error and its own exit code.
	r := tr.run(map[string]string{"TRACKER_HOST": "http://127.0.0.1:1"}, "ls", "flows")
	if r.code != 5 || !strings.Contains(r.errOut, "cannot connect") || strings.Count(r.errOut, "\n") != 1 {
		t.Errorf("unreachable server: exit %d, stderr %q", r.code, r.errOut)
	}
}
