package release

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Repo is a git checkout, driven through the git command (the one every
// CI runner and laptop has, with the user's credentials and config).
type Repo struct {
	Dir string
}

// git runs git in the checkout and returns its trimmed stdout; an error
// carries git's own one-line complaint.
func (r Repo) git(ctx context.Context, args ...string) (string, error) {
	return r.gitIn(ctx, "", args...)
}

// gitIn is git with stdin.
func (r Repo) gitIn(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// CheckClean fails, naming the first changed paths, when the work tree or
// index has uncommitted changes to tracked files or untracked files that
// are not ignored: a release must be exactly a commit.
func (r Repo) CheckClean(ctx context.Context) error {
	out, err := r.git(ctx, "status", "--porcelain")
	if err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	shown := lines
	if len(shown) > 3 {
		shown = shown[:3]
	}
	for i, l := range shown {
		shown[i] = strings.TrimSpace(l)
	}
	more := ""
	if len(lines) > 3 {
		more = fmt.Sprintf(" and %d more", len(lines)-3)
	}
	return fmt.Errorf("the work tree has uncommitted changes (%s%s): commit or stash them first", strings.Join(shown, ", "), more)
}

// Resolve returns the full SHA of rev.
func (r Repo) Resolve(ctx context.Context, rev string) (string, error) {
	return r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
}

// TagsMerged lists the tags reachable from rev.
func (r Repo) TagsMerged(ctx context.Context, rev string) ([]string, error) {
	out, err := r.git(ctx, "tag", "--merged", rev, "--list")
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// TagsAt lists the tags that point at commit sha.
func (r Repo) TagsAt(ctx context.Context, sha string) ([]string, error) {
	out, err := r.git(ctx, "tag", "--points-at", sha)
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// Commit is one commit of the history being released.
type Commit struct {
	SHA     string
	Message string
	// Parsed is the message read as a conventional commit; Err says why
	// it could not be.
	Parsed Message
	Err    error
}

// Short is the commit's abbreviated SHA.
func (c Commit) Short() string {
	if len(c.SHA) > 7 {
		return c.SHA[:7]
	}
	return c.SHA
}

// Log returns the non-merge commits reachable from to but not from from
// ("" for the whole history), oldest first, each message parsed.
func (r Repo) Log(ctx context.Context, from, to string) ([]Commit, error) {
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	out, err := r.git(ctx, "log", "--no-merges", "--reverse", "--format=%H%x00%B%x1e", rng)
	if err != nil {
		return nil, err
	}
	var commits []Commit
	for _, rec := range strings.Split(out, "\x1e") {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		sha, msg, ok := strings.Cut(rec, "\x00")
		if !ok {
			return nil, fmt.Errorf("git log: unexpected record %q", rec)
		}
		c := Commit{SHA: sha, Message: strings.TrimSpace(msg)}
		c.Parsed, c.Err = ParseMessage(c.Message)
		commits = append(commits, c)
	}
	return commits, nil
}

// CommitTime is the commit's committer time in RFC 3339.
func (r Repo) CommitTime(ctx context.Context, sha string) (string, error) {
	return r.git(ctx, "show", "-s", "--format=%cI", sha)
}

// CreateTag makes the annotated tag name at sha with message.
func (r Repo) CreateTag(ctx context.Context, name, sha, message string) error {
	_, err := r.gitIn(ctx, message, "tag", "--annotate", "--cleanup=verbatim", "--file=-", name, sha)
	return err
}

// DeleteTag removes the local tag name (undoing CreateTag when a later
// step fails before anything was pushed).
func (r Repo) DeleteTag(ctx context.Context, name string) error {
	_, err := r.git(ctx, "tag", "--delete", name)
	return err
}

// Push sends refs to remote, atomically: all or none.
func (r Repo) Push(ctx context.Context, remote string, refs ...string) error {
	_, err := r.git(ctx, append([]string{"push", "--atomic", remote}, refs...)...)
	return err
}

// RemoteURL is the fetch URL of remote, "" when there is none.
func (r Repo) RemoteURL(ctx context.Context, remote string) string {
	u, err := r.git(ctx, "remote", "get-url", remote)
	if err != nil {
		return ""
	}
	return u
}

// Branch is the checked-out branch, "" on a detached HEAD.
func (r Repo) Branch(ctx context.Context) string {
	b, err := r.git(ctx, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		return ""
	}
	return b
}

// CommitFile commits path (already written) with message and returns the
// new commit's SHA.
func (r Repo) CommitFile(ctx context.Context, path, message string) (string, error) {
	if _, err := r.git(ctx, "add", "--", path); err != nil {
		return "", err
	}
	if _, err := r.gitIn(ctx, message, "commit", "--quiet", "--file=-", "--", path); err != nil {
		return "", err
	}
	return r.Resolve(ctx, "HEAD")
}
