package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// TestEscapesStoredText stores an artifact whose name is markup and whose
// commit URL is a script, then checks every page that shows it.
func TestEscapesStoredText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	evil := `<img src=x onerror=alert(1)>"'&`
	evilFP := fp("evil")
	if _, _, err := f.st.PutArtifact(ctx, org, model.Artifact{
		Flow: "docs", Fingerprint: evilFP, Name: evil, GitCommit: "deadbeefdeadbeef",
		CommitURL: "javascript:alert(1)", BuildURL: "https://ci.example/<b>", CreatedAt: now.Add(-time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReportSnapshot(ctx, org, "staging", []model.RunningArtifact{{Fingerprint: evilFP, Name: evil, CreationTimestamps: []int64{now.Add(-time.Hour).Unix()}}}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/ui/cyber-dojo/flows/docs",
		"/ui/cyber-dojo/flows/docs/artifacts/" + evilFP,
		"/ui/cyber-dojo/environments/staging",
		"/ui/cyber-dojo/environments/staging/snapshots/1",
		"/ui/cyber-dojo/diff?a=staging&b=aws-prod",
	} {
		t.Run(p, func(t *testing.T) {
			body := f.mustGet(t, nil, p)
			assertLacks(t, body, "<img", "javascript:")
			assertContains(t, body, "&lt;img src=x onerror=alert(1)&gt;")
		})
	}
}
