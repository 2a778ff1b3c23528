package fingerprint

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
)

// ErrNoRepoDigest is returned for an image that was never pushed to or
// pulled from a registry: it has no repository digest to report.
var ErrNoRepoDigest = errors.New("image has no repository digest (push it to or pull it from a registry first)")

// ImageInspector is the part of the Docker client DockerImage needs.
type ImageInspector interface {
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error)
}

// NewDockerClient connects to the Docker engine named by the environment
// (DOCKER_HOST …). The client negotiates the API version on its first
// request (the default in this client), which matters because the engine
// may be older (API 1.41) than the client's newest version.
func NewDockerClient() (*client.Client, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return c, nil
}

// DockerImage returns the repository digest of image (without the
// "sha256:" prefix) as known to the Docker daemon. When the image has
// digests from several repositories, the one of the image's own repository
// wins.
func DockerImage(ctx context.Context, api ImageInspector, image string) (string, error) {
	res, err := api.ImageInspect(ctx, image)
	if err != nil {
		return "", fmt.Errorf("fingerprint docker image %s: %w", image, err)
	}
	return RepoDigest(image, res.RepoDigests)
}

// RepoDigest picks the digest of image out of the daemon's RepoDigests
// ("repo@sha256:hex" strings): the one whose repository is image's
// repository, else the first.
func RepoDigest(image string, repoDigests []string) (string, error) {
	if len(repoDigests) == 0 {
		return "", fmt.Errorf("fingerprint docker image %s: %w", image, ErrNoRepoDigest)
	}
	repo := repository(image)
	chosen := repoDigests[0]
	for _, rd := range repoDigests {
		if name, _, ok := strings.Cut(rd, "@"); ok && name == repo {
			chosen = rd
			break
		}
	}
	_, digest, ok := strings.Cut(chosen, "@")
	if !ok {
		return "", fmt.Errorf("fingerprint docker image %s: malformed repo digest %q", image, chosen)
	}
	return strings.TrimPrefix(digest, "sha256:"), nil
}

// repository strips the tag or digest from an image reference
// ("127.0.0.1:5000/app:v1" -> "127.0.0.1:5000/app").
func repository(image string) string {
	if name, _, ok := strings.Cut(image, "@"); ok {
		return name
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon]
	}
	return image
}
