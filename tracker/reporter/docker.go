package reporter

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/moby/moby/client"
)

// DockerAPI is the part of the Docker Engine client the docker reporter
// uses; *client.Client implements it.
type DockerAPI interface {
	fingerprint.ImageInspector
	ContainerList(ctx context.Context, opts client.ContainerListOptions) (client.ContainerListResult, error)
}

// Docker reports the running containers of one Docker engine: each
// container is one instance of its image's repository digest.
type Docker struct {
	// API is the engine client.
	API DockerAPI
	// Labels restricts the report to containers carrying every one of these
	// labels ("key" or "key=value"), e.g. only one compose project.
	Labels []string
	// Skipped, when set, is called for a container whose image has no
	// repository digest (built locally, never pushed): it cannot be
	// reported by digest, so it is left out rather than failing the report.
	Skipped func(containerName, image string)
}

// Collect lists the running containers and resolves their digests.
func (d *Docker) Collect(ctx context.Context) ([]Instance, error) {
	filters := make(client.Filters).Add("status", "running")
	if len(d.Labels) > 0 {
		filters.Add("label", d.Labels...)
	}
	res, err := d.API.ContainerList(ctx, client.ContainerListOptions{Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	type imageInfo struct {
		name, digest string
	}
	// Many replicas share one image: inspect each image once.
	images := map[string]imageInfo{}
	out := make([]Instance, 0, len(res.Items))
	for _, c := range res.Items {
		info, ok := images[c.ImageID]
		if !ok {
			img, err := d.API.ImageInspect(ctx, c.ImageID)
			if err != nil {
				return nil, fmt.Errorf("inspect image of container %s: %w", containerName(c.Names, c.ID), err)
			}
			name := c.Image
			if strings.HasPrefix(name, "sha256:") && len(img.RepoTags) > 0 {
				// The tag moved on since the container started; the
				// image still has a name worth showing.
				name = img.RepoTags[0]
			}
			digest, err := fingerprint.RepoDigest(name, img.RepoDigests)
			if err != nil {
				digest = ""
			}
			info = imageInfo{name: name, digest: digest}
			images[c.ImageID] = info
		}
		if info.digest == "" {
			if d.Skipped != nil {
				d.Skipped(containerName(c.Names, c.ID), info.name)
			}
			continue
		}
		out = append(out, Instance{Name: info.name, Fingerprint: info.digest, Started: time.Unix(c.Created, 0)})
	}
	Sort(out)
	return out, nil
}

func containerName(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
