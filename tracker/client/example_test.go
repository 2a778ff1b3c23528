package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
)

// The pipeline's use: report the pushed image as an artifact, its test
// evidence and its deployment.
func Example() {
	c, err := client.New("http://localhost:8080", "course", "trk_…", client.WithTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	fp := "9af401c4350b21a3f1d8a6e5ab2e3b2c3d9a1ef7f6a4e0a5c3e2a1b0c9d8e7f6" // the pushed repo digest
	if _, _, err := c.AttestArtifact(ctx, "minitwit", api.ArtifactRequest{
		Fingerprint: fp, Filename: "registry/minitwit:16d9990", GitCommit: "16d9990ad23a", TrailName: "16d9990",
	}); err != nil {
		log.Fatal(err)
	}
	ok := true
	if _, err := c.Attest(ctx, "minitwit", "16d9990", "generic", api.AttestationData{
		AttestationName: "unit-tests", ArtifactFingerprint: fp, IsCompliant: &ok,
	}); err != nil {
		log.Fatal(err)
	}
	d, err := c.ReportDeployment(ctx, "minitwit", api.DeploymentRequest{ArtifactFingerprint: fp, Environment: "vm"})
	if client.StatusCode(err) == 404 {
		log.Fatal("unknown flow, artifact or environment: ", err)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("deployment #%d\n", d.Number)
}
