package gitinfo_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/gitinfo"
)

func TestHead(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		c := exec.Command("git", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.org", "GIT_COMMITTER_NAME=Ada",
			"GIT_COMMITTER_EMAIL=ada@example.org", "GIT_AUTHOR_DATE=2026-11-02T12:00:00Z", "GIT_COMMITTER_DATE=2026-11-02T12:00:00Z")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	f := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(f, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "a.txt")
	git("commit", "-q", "-m", "first commit")
	ctx := context.Background()
	h, err := gitinfo.Head(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Commit) != 40 || h.Dirty || h.Subject != "first commit" || h.Author != "Ada <ada@example.org>" || h.Branch != "main" {
		t.Errorf("head %+v", h)
	}
	if !h.Time.Equal(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("time %v, want the commit's", h.Time)
	}
	if h.Version != h.Commit[:7] || h.Short() != h.Commit[:12] {
		t.Errorf("version %q short %q", h.Version, h.Short())
	}
	git("tag", "v1.0.0")
	if err := os.WriteFile(f, []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err = gitinfo.Head(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Dirty || h.Version != "v1.0.0-dirty" {
		t.Errorf("after a change: dirty %v version %q", h.Dirty, h.Version)
	}
	if _, err := gitinfo.Head(ctx, t.TempDir()); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("not a repository: %v", err)
	}
}

func TestCI(t *testing.T) {
	env := map[string]string{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "itu/minitwit", "GITHUB_RUN_ID": "42"}
	ci := gitinfo.FromEnv(func(k string) string { return env[k] })
	if got := ci.BuildURL(); got != "https://github.com/itu/minitwit/actions/runs/42" {
		t.Errorf("build URL %q", got)
	}
	if got := ci.CommitURL("https://x", "abc"); got != "https://github.com/itu/minitwit/commit/abc" {
		t.Errorf("commit URL %q", got)
	}
	none := gitinfo.FromEnv(func(string) string { return "" })
	if none.BuildURL() != "" || none.CommitURL("https://github.com/minitwit-cd/kit", "abc") != "https://github.com/minitwit-cd/kit/commit/abc" {
		t.Errorf("outside Actions: %q %q", none.BuildURL(), none.CommitURL("https://github.com/minitwit-cd/kit", "abc"))
	}
}
