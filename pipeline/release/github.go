package release

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v75/github"
)

// GitHub publishes releases to one repository through GitHub's REST API
// (google/go-github).
type GitHub struct {
	Owner, Repo string
	client      *github.Client
}

// NewGitHub returns a publisher for owner/repo authenticated by token.
// apiURL and uploadURL, when set, point at another server (GitHub
// Enterprise, or a test's stand-in); empty uses api.github.com.
func NewGitHub(ownerRepo, token, apiURL, uploadURL string, hc *http.Client) (*GitHub, error) {
	owner, repo, ok := strings.Cut(ownerRepo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github repository %q: want OWNER/REPO", ownerRepo)
	}
	if token == "" {
		return nil, errors.New("publishing a GitHub release needs a token: set GITHUB_TOKEN (in Actions: permissions contents: write)")
	}
	c := github.NewClient(hc).WithAuthToken(token)
	if apiURL != "" {
		if uploadURL == "" {
			uploadURL = apiURL
		}
		var err error
		if c, err = c.WithEnterpriseURLs(apiURL, uploadURL); err != nil {
			return nil, fmt.Errorf("github API URL: %w", err)
		}
		// WithEnterpriseURLs adds /api/v3/ for GitHub Enterprise; a URL
		// given with its own path is taken as it is.
		if u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/"); err == nil && u.Path != "/" {
			c.BaseURL = u
		}
		if u, err := url.Parse(strings.TrimSuffix(uploadURL, "/") + "/"); err == nil && u.Path != "/" {
			c.UploadURL = u
		}
	}
	return &GitHub{Owner: owner, Repo: repo, client: c}, nil
}

// Publish creates the release of tag (which must already be pushed) with
// the changelog as its notes and uploads every asset. A release that
// already exists for the tag is an error: a version is released once.
func (g *GitHub) Publish(ctx context.Context, tag, name, notes string, assets []string) (string, error) {
	rel, _, err := g.client.Repositories.CreateRelease(ctx, g.Owner, g.Repo, &github.RepositoryRelease{
		TagName: github.Ptr(tag),
		Name:    github.Ptr(name),
		Body:    github.Ptr(notes),
	})
	if err != nil {
		return "", fmt.Errorf("create GitHub release %s of %s/%s: %w", tag, g.Owner, g.Repo, oneLineErr(err))
	}
	for _, path := range assets {
		if err := g.upload(ctx, rel.GetID(), path); err != nil {
			return rel.GetHTMLURL(), err
		}
	}
	return rel.GetHTMLURL(), nil
}

func (g *GitHub) upload(ctx context.Context, id int64, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload release asset: %w", err)
	}
	defer f.Close()
	_, _, err = g.client.Repositories.UploadReleaseAsset(ctx, g.Owner, g.Repo, id, &github.UploadOptions{Name: filepath.Base(path)}, f)
	if err != nil {
		return fmt.Errorf("upload release asset %s: %w", filepath.Base(path), oneLineErr(err))
	}
	return nil
}

// oneLineErr keeps GitHub's error message and drops the response dump.
func oneLineErr(err error) error {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) {
		return fmt.Errorf("%d %s", ge.Response.StatusCode, ge.Message)
	}
	return err
}
