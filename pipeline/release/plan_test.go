package release

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo is a throwaway repository made by the test with the real git.
type gitRepo struct {
	t   *testing.T
	dir string
	n   int
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "--quiet", "--initial-branch=main")
	r.git("config", "user.name", "Test")
	r.git("config", "user.email", "test@example.invalid")
	r.git("config", "commit.gpgsign", "false")
	r.git("config", "tag.gpgsign", "false")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-12-01T10:00:00Z", "GIT_AUTHOR_DATE=2026-12-01T10:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes a commit with message, changing a file, and returns its SHA.
func (r *gitRepo) commit(message string) string {
	r.t.Helper()
	r.n++
	if err := os.WriteFile(filepath.Join(r.dir, "f.txt"), []byte(strings.Repeat("x", r.n)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.git("add", "f.txt")
	r.git("commit", "--quiet", "-m", message)
	return r.git("rev-parse", "HEAD")
}

func (r *gitRepo) tag(name string) { r.git("tag", "-a", name, "-m", name) }

func (r *gitRepo) repo() Repo { return Repo{Dir: r.dir} }

func TestMakePlan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		start    string
		commits  []string
		version  string
		bump     Bump
		unparsed int
		sections []string // in the changelog, in order
		nothing  bool
	}{
		{name: "only fixes", start: "v0.3.1", commits: []string{"fix: a", "fix(ui): b", "docs: c"},
			version: "0.3.2", bump: BumpPatch, sections: []string{"### Fixes", "- a (", "- **ui:** b (", "### Other", "- docs: c ("}},
		{name: "a feature", start: "v1.2.3", commits: []string{"fix: a", "feat: b"},
			version: "1.3.0", bump: BumpMinor, sections: []string{"### Features", "- b (", "### Fixes", "- a ("}},
		{name: "breaking before 1.0", start: "v0.4.0", commits: []string{"feat!: new API"},
			version: "0.5.0", bump: BumpMajor, sections: []string{"### Breaking changes", "- new API ("}},
		{name: "breaking after 1.0", start: "v1.4.0", commits: []string{"fix: x\n\nBREAKING CHANGE: config moved"},
			version: "2.0.0", bump: BumpMajor, sections: []string{"### Breaking changes", "- x — config moved ("}},
		{name: "a revert", start: "v1.0.0", commits: []string{"feat: a", `Revert "feat: a"`, "fix: b"},
			version: "1.1.0", bump: BumpMinor, sections: []string{"### Features", "### Fixes", "### Other", `- Revert "feat: a" (`}},
		{name: "no releasable commits", start: "v1.0.0", commits: []string{"docs: a", "chore: b", "test: c"},
			version: "1.0.0", bump: BumpNone, nothing: true},
		{name: "malformed messages", start: "v1.0.0", commits: []string{"update stuff", "fix: real", "WIP"},
			version: "1.0.1", bump: BumpPatch, unparsed: 2, sections: []string{"### Fixes", "- real (", "### Other", "- update stuff (", "- WIP ("}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newGitRepo(t)
			r.commit("chore: start")
			r.tag(tc.start)
			for _, m := range tc.commits {
				r.commit(m)
			}
			r.git("remote", "add", "origin", "git@github.com:course/minitwit.git")
			p, err := MakePlan(context.Background(), r.repo(), PlanOptions{})
			if tc.nothing {
				if !errors.Is(err, ErrNothingToRelease) {
					t.Fatalf("err = %v, want ErrNothingToRelease", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if p.Version.String() != tc.version || p.Bump != tc.bump || len(p.Unparsed) != tc.unparsed {
				t.Errorf("plan: version %s bump %v unparsed %d; want %s %v %d", p.Version, p.Bump, len(p.Unparsed), tc.version, tc.bump, tc.unparsed)
			}
			if p.Last.Name != tc.start || len(p.Commits) != len(tc.commits) {
				t.Errorf("plan: last %s, %d commits", p.Last.Name, len(p.Commits))
			}
			if tc.nothing {
				return
			}
			head := "## [v" + tc.version + "](https://github.com/course/minitwit/compare/" + tc.start + "...v" + tc.version + ") (2026-12-01)\n"
			if !strings.HasPrefix(p.Changelog, head) {
				t.Errorf("changelog heading:\n%s\nwant %q", p.Changelog, head)
			}
			at := 0
			for _, s := range tc.sections {
				i := strings.Index(p.Changelog[at:], s)
				if i < 0 {
					t.Fatalf("changelog lacks %q after offset %d:\n%s", s, at, p.Changelog)
				}
				at += i + len(s)
			}
			if !strings.Contains(p.Changelog, "](https://github.com/course/minitwit/commit/"+p.Commits[0].SHA+")") {
				t.Errorf("changelog does not link the commits:\n%s", p.Changelog)
			}
		})
	}
}

func TestMakePlanBadInput(t *testing.T) {
	ctx := context.Background()
	t.Run("no tags", func(t *testing.T) {
		r := newGitRepo(t)
		r.commit("feat: a")
		_, err := MakePlan(ctx, r.repo(), PlanOptions{})
		if err == nil || !strings.Contains(err.Error(), "no release tag vX.Y.Z") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("tag that is not semver", func(t *testing.T) {
		r := newGitRepo(t)
		r.commit("feat: a")
		r.tag("v1.2")
		r.commit("fix: b")
		_, err := MakePlan(ctx, r.repo(), PlanOptions{})
		if err == nil || !strings.Contains(err.Error(), `tag "v1.2" is not a release version`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown revision", func(t *testing.T) {
		r := newGitRepo(t)
		r.commit("feat: a")
		_, err := MakePlan(ctx, r.repo(), PlanOptions{Rev: "deadbeef"})
		if err == nil || !strings.Contains(err.Error(), "deadbeef: not a commit") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("dirty work tree", func(t *testing.T) {
		r := newGitRepo(t)
		r.commit("feat: a")
		if err := os.WriteFile(filepath.Join(r.dir, "f.txt"), []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := r.repo().CheckClean(ctx)
		if err == nil || !strings.Contains(err.Error(), "uncommitted changes (M f.txt)") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:course/minitwit.git":      "https://github.com/course/minitwit",
		"https://github.com/course/minitwit.git":  "https://github.com/course/minitwit",
		"https://x-access-token:t@github.com/o/r": "https://github.com/o/r",
		"ssh://git@github.com/o/r.git":            "https://github.com/o/r",
		"/tmp/bare.git":                           "",
		"file:///tmp/bare.git":                    "",
		"":                                        "",
	} {
		if got := WebURL(in); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrependChangelog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "CHANGELOG.md")
	if err := PrependChangelog(path, "## v0.1.0 (2026-11-01)\n\n### Fixes\n\n- a (abc)\n"); err != nil {
		t.Fatal(err)
	}
	if err := PrependChangelog(path, "## v0.2.0 (2026-12-01)\n\n### Features\n\n- b (def)\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# Changelog\n\n## v0.2.0 (2026-12-01)\n\n### Features\n\n- b (def)\n\n## v0.1.0 (2026-11-01)\n\n### Fixes\n\n- a (abc)\n"
	if string(got) != want {
		t.Errorf("CHANGELOG.md:\n%s\nwant:\n%s", got, want)
	}
}
