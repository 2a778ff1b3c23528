package reporter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/minitwit-cd/kit/tracker/reporter"
	"github.com/minitwit-cd/kit/tracker/reporter/dockertest"
)

func TestDockerReportsPushedDigestAndReplicas(t *testing.T) {
	testenv.Docker(t)
	registry := dockertest.Registry(t)
	ref, digest := dockertest.Image(t, registry, "reporter-test")
	label := dockertest.Label(t)
	const n = 3
	before := time.Now().Add(-2 * time.Second)
	ids := dockertest.Run(t, ref, label, n)
	// A container of an image that was never pushed has no digest: it is
	// skipped (and said so), not reported under a made-up fingerprint.
	local := dockertest.LocalImage(t, "tracker-reporter-local-"+label[len("tracker-test="):])
	dockertest.Run(t, local, label, 1)

	api, err := fingerprint.NewDockerClient()
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	fp, err := fingerprint.DockerImage(ctx, api, ref)
	if err != nil {
		t.Fatal(err)
	}
	if fp != digest {
		t.Errorf("DockerImage = %s, want pushed digest %s", fp, digest)
	}

	var skipped []string
	d := &reporter.Docker{API: api, Labels: []string{label}, Skipped: func(_, image string) { skipped = append(skipped, image) }}
	got, err := d.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0] != local {
		t.Errorf("skipped = %v, want [%s]", skipped, local)
	}
	if _, err := fingerprint.DockerImage(ctx, api, local); !errors.Is(err, fingerprint.ErrNoRepoDigest) {
		t.Errorf("DockerImage(local) err = %v, want ErrNoRepoDigest", err)
	}
	groups := reporter.Summarize(got)
	if len(groups) != 1 || groups[0].Fingerprint != digest || groups[0].Replicas != n || groups[0].Name != ref {
		t.Fatalf("groups = %+v, want one group %s@%s with %d replicas", groups, ref, digest, n)
	}
	for _, in := range got {
		if in.Started.Before(before) || in.Started.After(time.Now().Add(2*time.Second)) {
			t.Errorf("instance started at %v, want the container's creation time (now)", in.Started)
		}
	}

	dockertest.Stop(t, ids[0])
	got, err = d.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups = reporter.Summarize(got)
	if len(groups) != 1 || groups[0].Replicas != n-1 {
		t.Fatalf("after stopping one: groups = %+v, want %d replicas", groups, n-1)
	}
}
