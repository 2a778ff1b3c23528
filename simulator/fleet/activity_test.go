package fleet_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/fleet/store"
)

// commitAt commits a file change in repo with the given author time.
func commitAt(t *testing.T, r *git.Repository, dir string, when time.Time, msg string) {
	t.Helper()
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log.txt"), []byte(msg+when.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("log.txt"); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "Student", Email: "s@example.org", When: when}
	if _, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
}

// TestFleetActivity makes local clones with go-git (two repositories for
// one group, one for another, one missing), runs `simulator fleet
// activity` and checks the counts it wrote, the SVG charts and that the
// dashboard serves them.
func TestFleetActivity(t *testing.T) {
	dir := t.TempDir()
	clones := filepath.Join(dir, "clones")
	mon := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	repos := map[string][]time.Time{
		fleet.ClonePath(clones, "a", "https://github.com/a/minitwit.git"): {mon, mon.Add(2 * time.Hour), mon.AddDate(0, 0, 1), mon.AddDate(0, 0, 8)},
		fleet.ClonePath(clones, "a", "https://github.com/a/infra"):        {mon.AddDate(0, 0, 9)},
		fleet.ClonePath(clones, "b", "https://github.com/b/minitwit"):     {mon.AddDate(0, 0, 14)},
	}
	for path, times := range repos {
		r, err := git.PlainInit(path, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, when := range times {
			commitAt(t, r, path, when, "change "+string(rune('a'+i)))
			if strings.HasSuffix(path, filepath.Join("a", "minitwit")) && i == 1 {
				head, _ := r.Head()
				if _, err := r.CreateTag("v1.0.0", head.Hash(), nil); err != nil { // lightweight
					t.Fatal(err)
				}
			}
			if strings.HasSuffix(path, filepath.Join("a", "minitwit")) && i == 3 {
				head, _ := r.Head()
				if _, err := r.CreateTag("v1.1.0", head.Hash(), &git.CreateTagOptions{
					Tagger: &object.Signature{Name: "S", Email: "s@example.org", When: when}, Message: "release"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	gfile := filepath.Join(dir, "groups.yaml")
	if err := os.WriteFile(gfile, []byte(`groups:
  - {id: a, api: "http://127.0.0.1:1", repos: ["https://github.com/a/minitwit.git", "https://github.com/a/infra"]}
  - {id: b, api: "http://127.0.0.1:2", repos: ["https://github.com/b/minitwit", "https://github.com/b/missing"]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sim := binaries(t)
	out := filepath.Join(dir, "activity")
	msg, err := exec.Command(sim, "fleet", "activity", "--groups", gfile, "--clones", clones, "--out", out).CombinedOutput()
	if err != nil {
		t.Fatalf("fleet activity: %v\n%s", err, msg)
	}
	if !strings.Contains(string(msg), "a: 5 commits, 2 releases") || !strings.Contains(string(msg), "no local clone of [https://github.com/b/missing]") {
		t.Errorf("fleet activity said:\n%s", msg)
	}
	b, err := os.ReadFile(filepath.Join(out, "activity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var as []fleet.GroupActivity
	if err := json.Unmarshal(b, &as); err != nil {
		t.Fatal(err)
	}
	a, bb := as[0], as[1]
	if a.Daily["2026-03-02"] != 2 || a.Daily["2026-03-03"] != 1 || a.Weekly["2026-03-02"] != 3 || a.Weekly["2026-03-09"] != 2 ||
		a.Releases["2026-03-02"] != 1 || a.Releases["2026-03-09"] != 1 {
		t.Errorf("group a: %+v", a)
	}
	if bb.Weekly["2026-03-16"] != 1 || len(bb.Releases) != 0 || len(bb.Missing) != 1 {
		t.Errorf("group b: %+v", bb)
	}
	for _, name := range fleet.ActivityFiles {
		svg, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(svg), "<?xml") || !strings.Contains(string(svg), "<svg") || strings.Contains(string(svg), "No data yet") {
			t.Errorf("%s is not a chart with data:\n%.300s", name, svg)
		}
	}
	if wk, _ := os.ReadFile(filepath.Join(out, "commits-weekly.svg")); strings.Count(string(wk), `class="bar"`) < 3 {
		t.Errorf("commits-weekly.svg has %d bars, want a's two weeks and b's one", strings.Count(string(wk), `class="bar"`))
	}

	// The dashboard serves them, and nothing else from the directory.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "fleet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := fleet.New(st, fleet.Config{Scenario: genScenario(t, 2, 2), Speedup: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := f.Handler(fleet.DashboardOptions{ActivityDir: out})
	for path, want := range map[string]int{"/activity/commits-weekly.svg": 200, "/activity/activity.json": 404, "/activity/..%2fgroups.yaml": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `src="/activity/releases-weekly.svg"`) {
		t.Errorf("the overview does not show the activity charts")
	}
}

// TestFleetActivityFetch: `fleet activity --fetch` clones a group's
// repository from its remote (a real git repository, reached by path),
// fetches the commits and tags pushed to it since on the next run, and
// names an unreachable repository in a warning while still charting the
// others.
func TestFleetActivityFetch(t *testing.T) {
	dir := t.TempDir()
	upstream := filepath.Join(dir, "remote", "minitwit")
	r, err := git.PlainInit(upstream, false)
	if err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	commitAt(t, r, upstream, mon, "first")
	commitAt(t, r, upstream, mon.AddDate(0, 0, 1), "second")
	gfile := filepath.Join(dir, "groups.yaml")
	missing := filepath.Join(dir, "remote", "gone")
	if err := os.WriteFile(gfile, []byte("groups:\n  - {id: a, api: \"http://127.0.0.1:1\", repos: [\""+upstream+"\", \""+missing+"\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, sim := binaries(t)
	clones, out := filepath.Join(dir, "clones"), filepath.Join(dir, "activity")
	activity := func() (string, fleet.GroupActivity) {
		t.Helper()
		msg, err := exec.Command(sim, "fleet", "activity", "--fetch", "--groups", gfile, "--clones", clones, "--out", out).CombinedOutput()
		if err != nil {
			t.Fatalf("fleet activity --fetch: %v\n%s", err, msg)
		}
		b, err := os.ReadFile(filepath.Join(out, "activity.json"))
		if err != nil {
			t.Fatal(err)
		}
		var as []fleet.GroupActivity
		if err := json.Unmarshal(b, &as); err != nil || len(as) != 1 {
			t.Fatalf("activity.json %s: %v", b, err)
		}
		return string(msg), as[0]
	}

	msg, a := activity()
	if !strings.Contains(msg, "a: "+upstream+": cloned") || a.Weekly["2026-03-02"] != 2 || len(a.Releases) != 0 {
		t.Errorf("first run: %+v\n%s", a, msg)
	}
	if !strings.Contains(msg, "warning: a: "+missing+": clone: ") || strings.Count(msg, "\n") > 6 {
		t.Errorf("the unreachable repository is not one warning line:\n%s", msg)
	}
	if _, err := os.Stat(fleet.ClonePath(clones, "a", missing)); !os.IsNotExist(err) {
		t.Errorf("a failed clone left %s behind (%v)", fleet.ClonePath(clones, "a", missing), err)
	}

	// The group pushes a week's work and a release.
	commitAt(t, r, upstream, mon.AddDate(0, 0, 7), "third")
	commitAt(t, r, upstream, mon.AddDate(0, 0, 8), "fourth")
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTag("v1.0.0", head.Hash(), &git.CreateTagOptions{
		Tagger: &object.Signature{Name: "S", Email: "s@example.org", When: mon.AddDate(0, 0, 8)}, Message: "release"}); err != nil {
		t.Fatal(err)
	}
	msg, a = activity()
	if !strings.Contains(msg, "a: "+upstream+": fetched") || a.Weekly["2026-03-02"] != 2 || a.Weekly["2026-03-09"] != 2 || a.Releases["2026-03-09"] != 1 {
		t.Errorf("after the push: %+v\n%s", a, msg)
	}
	if msg, _ = activity(); !strings.Contains(msg, "a: "+upstream+": up to date") {
		t.Errorf("a third run:\n%s", msg)
	}
}
