package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

func TestTimeRoundTrip(t *testing.T) {
	at := time.Date(2022, 8, 22, 9, 35, 0, 250_000_000, time.UTC)
	if got := api.Time(api.Unix(at)); !got.Equal(at) {
		t.Fatalf("round trip %v -> %v", at, got)
	}
	if api.Unix(time.Time{}) != 0 || !api.Time(0).IsZero() {
		t.Fatal("zero time is not 0")
	}
}

// TestNeverNull marshals converted zero values: no field may be null,
// because Kosli's CLI reads arrays and objects without checking.
func TestNeverNull(t *testing.T) {
	// An environment's state and times are null until set (Kosli's CLI
	// reads them so); once set, nothing of it is null.
	now, yes := time.Now(), true
	values := map[string]any{
		"flow":        api.FromFlow(model.Flow{}),
		"environment": api.FromEnvironment(model.Environment{LastReportedAt: now, LastChangedAt: now}, &yes),
		"artifact":    api.FromArtifact(model.Artifact{}, ""),
		"view":        api.FromArtifactView(model.ArtifactView{}, ""),
		"snapshot":    api.FromSnapshot(model.Snapshot{Artifacts: []model.SnapshotArtifact{{}}, Exited: []model.SnapshotArtifact{{}}}),
		"diff":        api.FromDiff(model.Diff(model.Snapshot{}, model.Snapshot{Artifacts: []model.SnapshotArtifact{{}}})),
		"event":       api.FromEvent(model.Event{}),
		"evidence":    api.FromEvidence(model.Evidence{}),
	}
	for name, v := range values {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "null") {
			t.Errorf("%s has a null: %s", name, data)
		}
	}
}

func TestDiffSections(t *testing.T) {
	ra := func(fp string, n int) model.SnapshotArtifact {
		return model.SnapshotArtifact{RunningArtifact: model.RunningArtifact{Fingerprint: fp, CreationTimestamps: make([]int64, n)}}
	}
	a := model.Snapshot{Environment: "aws-prod", Index: 64, Artifacts: []model.SnapshotArtifact{ra("old", 1), ra("new", 3), ra("same", 2)}}
	b := model.Snapshot{Environment: "aws-prod", Index: 65, Artifacts: []model.SnapshotArtifact{ra("new", 1), ra("same", 2), ra("newer", 1)}}
	d := api.FromDiff(model.Diff(a, b))
	if d.Snappish1.SnapshotID != "aws-prod#64" || len(d.Snappish1.Artifacts) != 1 || d.Snappish1.Artifacts[0].Fingerprint != "old" {
		t.Fatalf("snappish1 = %+v", d.Snappish1)
	}
	if len(d.Snappish2.Artifacts) != 1 || d.Snappish2.Artifacts[0].Fingerprint != "newer" {
		t.Fatalf("snappish2 = %+v", d.Snappish2)
	}
	if len(d.Changed.Artifacts) != 1 || d.Changed.Artifacts[0].S1InstanceCount != 3 || d.Changed.Artifacts[0].S2InstanceCount != 1 {
		t.Fatalf("changed = %+v", d.Changed)
	}
	if len(d.NotChanged.Artifacts) != 1 || d.NotChanged.Artifacts[0].InstanceCount != 2 {
		t.Fatalf("not-changed = %+v", d.NotChanged)
	}
}
