package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// SyncResult is what SyncClones did with one repository.
type SyncResult struct {
	Group, Repo, Dir string
	// Action is "cloned", "fetched" or "up to date"; empty when Err is set.
	Action string
	Err    error
}

// SyncTimeout bounds one repository's clone or fetch.
const SyncTimeout = 2 * time.Minute

// GitAuth is the credentials for https repositories: a token (a GitHub
// personal access token, or Actions' GITHUB_TOKEN) sent as the password
// of HTTP basic auth, which is how GitHub and GitLab take one; nil for an
// empty token (public repositories).
func GitAuth(token string) transport.AuthMethod {
	if token == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: token}
}

// SyncClones brings the local clones of every group's repositories (at
// ClonePath) up to date before ReadActivity: a missing clone is made (bare:
// only the history is read), an existing one fetched from its origin,
// branches and tags. auth is used for http(s) repositories only. A
// repository that cannot be reached (no network, a wrong URL, refused
// credentials) is reported in its result and the others still sync.
func SyncClones(ctx context.Context, clones string, groups []Group, auth transport.AuthMethod) []SyncResult {
	var out []SyncResult
	for _, g := range groups {
		for _, repo := range g.Repos {
			res := SyncResult{Group: g.ID, Repo: repo, Dir: ClonePath(clones, g.ID, repo)}
			res.Action, res.Err = syncRepo(ctx, res.Dir, repo, authFor(repo, auth))
			if res.Err != nil {
				res.Action = ""
			}
			out = append(out, res)
		}
	}
	return out
}

func authFor(repo string, auth transport.AuthMethod) transport.AuthMethod {
	if strings.HasPrefix(repo, "https://") || strings.HasPrefix(repo, "http://") {
		return auth
	}
	return nil
}

func syncRepo(ctx context.Context, dir, url string, auth transport.AuthMethod) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, SyncTimeout)
	defer cancel()
	r, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		_, err := git.PlainCloneContext(ctx, dir, true, &git.CloneOptions{URL: url, Auth: auth, Tags: git.AllTags})
		if err != nil {
			_ = os.RemoveAll(dir) // no half clone left for the next run to trust
			return "", fmt.Errorf("clone: %w", err)
		}
		return "cloned", nil
	}
	if err != nil {
		return "", fmt.Errorf("open %s: %w", dir, err)
	}
	err = r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: git.DefaultRemoteName, Auth: auth, Tags: git.AllTags, Force: true,
		RefSpecs: []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
	})
	switch {
	case errors.Is(err, git.NoErrAlreadyUpToDate):
		return "up to date", nil
	case err != nil:
		return "", fmt.Errorf("fetch: %w", err)
	}
	return "fetched", nil
}
