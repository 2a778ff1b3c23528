// Package gitinfo reads what the pipeline needs to know about the checkout
// it builds: the commit, its committer time (the build date, so rebuilds
// are identical), a version string and the commit and build URLs recorded
// with artifacts.
package gitinfo

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Info describes the checkout's HEAD.
type Info struct {
	// Commit is the full commit hash.
	Commit string
	// Time is the commit's committer time.
	Time time.Time
	// Version is `git describe --tags --always`, "-dirty" appended when
	// the work tree has uncommitted changes to tracked files.
	Version string
	// Dirty is true when tracked files differ from the commit.
	Dirty bool
	// Subject, Author and Branch describe the commit for the tracker.
	Subject string
	Author  string
	Branch  string
}

// Head describes the HEAD of the checkout at dir.
func Head(ctx context.Context, dir string) (Info, error) {
	out, err := git(ctx, dir, "log", "-1", "--format=%H%x00%ct%x00%s%x00%an <%ae>")
	if err != nil {
		return Info{}, err
	}
	f := strings.SplitN(strings.TrimSpace(out), "\x00", 4)
	if len(f) != 4 {
		return Info{}, fmt.Errorf("gitinfo: unexpected git log output %q", out)
	}
	secs, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return Info{}, fmt.Errorf("gitinfo: commit time %q: %w", f[1], err)
	}
	info := Info{Commit: f[0], Time: time.Unix(secs, 0).UTC(), Subject: f[2], Author: f[3]}
	st, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return Info{}, err
	}
	info.Dirty = strings.TrimSpace(st) != ""
	v, err := git(ctx, dir, "describe", "--tags", "--always")
	if err != nil {
		return Info{}, err
	}
	info.Version = strings.TrimSpace(v)
	if info.Dirty {
		info.Version += "-dirty"
	}
	if b, err := git(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD"); err == nil {
		info.Branch = strings.TrimSpace(b)
	}
	return info, nil
}

// Short is the commit's first 12 hex digits.
func (i Info) Short() string {
	if len(i.Commit) > 12 {
		return i.Commit[:12]
	}
	return i.Commit
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("gitinfo: git %s in %s: %s", strings.Join(args, " "), dir, msg)
	}
	return string(out), nil
}

// CI is what the environment says about the CI run, for the commit and
// build URLs the tracker records.
type CI struct {
	// Server, Repository and RunID are GitHub Actions' GITHUB_SERVER_URL,
	// GITHUB_REPOSITORY and GITHUB_RUN_ID.
	Server, Repository, RunID string
}

// FromEnv reads the CI variables through getenv.
func FromEnv(getenv func(string) string) CI {
	return CI{Server: getenv("GITHUB_SERVER_URL"), Repository: getenv("GITHUB_REPOSITORY"), RunID: getenv("GITHUB_RUN_ID")}
}

// RepoURL is the repository's web URL, or fallback when not in Actions.
func (c CI) RepoURL(fallback string) string {
	if c.Server != "" && c.Repository != "" {
		return strings.TrimRight(c.Server, "/") + "/" + c.Repository
	}
	return fallback
}

// CommitURL is the commit's web page under the repository URL.
func (c CI) CommitURL(fallback, commit string) string {
	return strings.TrimRight(c.RepoURL(fallback), "/") + "/commit/" + commit
}

// BuildURL is the Actions run's page, or "" outside Actions.
func (c CI) BuildURL() string {
	if c.Server == "" || c.Repository == "" || c.RunID == "" {
		return ""
	}
	return strings.TrimRight(c.Server, "/") + "/" + c.Repository + "/actions/runs/" + c.RunID
}
