package http_test

import (
	"encoding/json"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

// The structs below mirror what Kosli's open-source CLI decodes (field
// names and Go types as in its get-snapshot and diff-snapshots commands):
// if our JSON had, say, a float in creationTimestamp or a string index,
// json.Unmarshal into them would fail, as it would in that CLI.
type kosliAnnotation struct {
	Type string `json:"type"`
	Was  int
	Now  int
}

type kosliSnapshotArtifact struct {
	Name              string
	FlowName          string `json:"flow_name"`
	Compliant         bool
	Deployments       []int
	Fingerprint       string
	GitCommit         string `json:"git_commit"`
	CommitURL         string `json:"commit_url"`
	CreationTimestamp []int64
	Annotation        kosliAnnotation
}

type kosliSnapshot struct {
	Index     int
	Timestamp float32
	Type      string `json:"type"`
	Artifacts []kosliSnapshotArtifact
	Compliant bool
}

type kosliDiffArtifact struct {
	Fingerprint         string   `json:"fingerprint"`
	Flow                string   `json:"flow"`
	Name                string   `json:"name"`
	CommitURL           string   `json:"commit_url"`
	MostRecentTimestamp int64    `json:"most_recent_timestamp"`
	InstanceCount       int64    `json:"instance_count"`
	S1InstanceCount     int64    `json:"s1_instance_count"`
	S2InstanceCount     int64    `json:"s2_instance_count"`
	Pods                []string `json:"pods"`
}

type kosliDiffItem struct {
	SnapshotID string              `json:"snapshot_id"`
	Artifacts  []kosliDiffArtifact `json:"artifacts"`
}

type kosliDiff struct {
	Snappish1 kosliDiffItem `json:"snappish1"`
	Snappish2 kosliDiffItem `json:"snappish2"`
	Changed   kosliDiffItem `json:"changed"`
	Unchanged kosliDiffItem `json:"not-changed"`
}

func TestKosliCLIDecodes(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.attestArtifact("runner", "new", newCommit)
	e.report("aws-prod", 201, replicas("old", 1, 100))
	e.report("aws-prod", 201, replicas("old", 1, 100), replicas("new", 3, 200))
	e.report("aws-prod", 201, replicas("new", 2, 200))

	var snap kosliSnapshot
	if err := json.Unmarshal(e.ok("GET", "/api/v2/snapshots/acme/aws-prod/2", nil, 200).Body, &snap); err != nil {
		t.Fatalf("Kosli's Snapshot cannot decode ours: %v", err)
	}
	if snap.Index != 2 || snap.Type != "ECS" || len(snap.Artifacts) != 2 {
		t.Fatalf("snapshot = %+v", snap)
	}
	for _, a := range snap.Artifacts {
		// The CLI prints len(CreationTimestamp) as REPLICAS and the first
		// one as RUNNING_SINCE, for every artifact with Annotation.Now > 0.
		if a.Annotation.Now != len(a.CreationTimestamp) || a.Annotation.Now == 0 {
			t.Fatalf("artifact %+v", a)
		}
		if a.Fingerprint == storetest.FP("new") && (a.FlowName != "runner" || len(a.GitCommit) < 7 || a.Annotation.Type != "started") {
			t.Fatalf("new artifact %+v", a)
		}
	}
	var diff kosliDiff
	if err := json.Unmarshal(e.ok("GET", "/api/v2/env-diff/acme?snappish1=aws-prod%232&snappish2=aws-prod%233", nil, 200).Body, &diff); err != nil {
		t.Fatalf("Kosli's DiffSnapshotsResponse cannot decode ours: %v", err)
	}
	if diff.Snappish1.SnapshotID != "aws-prod#2" || len(diff.Snappish1.Artifacts) != 1 || len(diff.Changed.Artifacts) != 1 ||
		diff.Changed.Artifacts[0].S1InstanceCount != 3 || diff.Changed.Artifacts[0].S2InstanceCount != 2 {
		t.Fatalf("diff = %+v", diff)
	}
}
