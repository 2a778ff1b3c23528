package release

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// ErrNothingToRelease is the plan's answer when no commit since the last
// release asks for one (only docs, chores, tests …).
var ErrNothingToRelease = errors.New("nothing to release")

// Plan is what a release would do, computed without changing anything.
type Plan struct {
	// Commit is the full SHA being released; Date its commit time.
	Commit string
	Date   time.Time
	// Last is the previous release tag.
	Last Tag
	// Version is the new version, Tag its tag name ("v" + Version).
	Version *semver.Version
	Tag     string
	Bump    Bump
	// Commits are all commits since Last, oldest first; Unparsed those
	// whose message is not a conventional commit (listed, not fatal).
	Commits  []Commit
	Unparsed []Commit
	// RepoURL is the repository's web URL for links ("" for none).
	RepoURL string
	// Changelog is this release's section of CHANGELOG.md.
	Changelog string
}

// PlanOptions say what to release.
type PlanOptions struct {
	// Rev is the commit to release ("HEAD" when empty).
	Rev string
	// RepoURL is the web URL links point to; empty: derived from the
	// "origin" remote when it is a GitHub-style URL.
	RepoURL string
}

// MakePlan reads the history and computes the next release of rev. A
// release needs an earlier vX.Y.Z tag to count from: without one it is an
// error that says how to make the first. No releasable commit returns the
// plan with ErrNothingToRelease.
func MakePlan(ctx context.Context, repo Repo, o PlanOptions) (*Plan, error) {
	rev := o.Rev
	if rev == "" {
		rev = "HEAD"
	}
	sha, err := repo.Resolve(ctx, rev)
	if err != nil {
		return nil, fmt.Errorf("release %s: not a commit of this repository", rev)
	}
	names, err := repo.TagsMerged(ctx, sha)
	if err != nil {
		return nil, err
	}
	tags, err := ReleaseTags(names)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("no release tag vX.Y.Z in the history of %s to count from: tag the start, e.g. git tag -a v0.0.0 -m v0.0.0 $(git rev-list --max-parents=0 HEAD)", short(sha))
	}
	p := &Plan{Commit: sha, Last: tags[0], RepoURL: o.RepoURL}
	if p.RepoURL == "" {
		p.RepoURL = WebURL(repo.RemoteURL(ctx, "origin"))
	}
	when, err := repo.CommitTime(ctx, sha)
	if err != nil {
		return nil, err
	}
	if p.Date, err = time.Parse(time.RFC3339, when); err != nil {
		return nil, fmt.Errorf("commit time of %s: %w", short(sha), err)
	}
	if p.Commits, err = repo.Log(ctx, p.Last.Name, sha); err != nil {
		return nil, err
	}
	for _, c := range p.Commits {
		if c.Err != nil {
			p.Unparsed = append(p.Unparsed, c)
			continue
		}
		if b := BumpOf(c.Parsed); b > p.Bump {
			p.Bump = b
		}
	}
	p.Version = Next(p.Last.Version, p.Bump)
	p.Tag = "v" + p.Version.String()
	if p.Bump == BumpNone {
		return p, fmt.Errorf("%w: none of the %d commits since %s is a fix, a feature or a breaking change", ErrNothingToRelease, len(p.Commits), p.Last.Name)
	}
	p.Changelog = Changelog(p)
	return p, nil
}

// WebURL turns a GitHub-style remote (https://host/o/r.git,
// git@host:o/r.git, ssh://git@host/o/r) into its web URL; "" for anything
// else (a local path).
func WebURL(remote string) string {
	r := strings.TrimSuffix(strings.TrimSpace(remote), ".git")
	if u, err := url.Parse(r); err == nil && u.Host != "" {
		switch u.Scheme {
		case "https", "http", "ssh":
			return "https://" + u.Hostname() + strings.TrimSuffix(u.Path, "/")
		}
		return ""
	}
	// scp-like: user@host:owner/repo
	at, colon := strings.Index(r, "@"), strings.Index(r, ":")
	if at > 0 && colon > at && !strings.Contains(r[:colon], "/") {
		return "https://" + r[at+1:colon] + "/" + strings.TrimPrefix(r[colon+1:], "/")
	}
	return ""
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
