package cmd

import (
	"context"

	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

func newCmdAttest(f *Factory, o *RootOptions) *cobra.Command {
	return group("attest", "Report an artifact or evidence about it",
		NewCmdAttestArtifact(f, o, nil),
		NewCmdAttestEvidence(f, o, "generic", nil),
		NewCmdAttestEvidence(f, o, "junit", nil),
		NewCmdAttestEvidence(f, o, "simulator", nil),
		NewCmdAttestEvidence(f, o, "coverage", nil),
		NewCmdAttestEvidence(f, o, "snyk", nil),
		NewCmdAttestEvidence(f, o, "custom", nil))
}

// artifactFingerprint returns the given fingerprint or computes one.
func artifactFingerprint(ctx context.Context, f *Factory, artifact, given, kind string, exclude []string) (string, error) {
	switch {
	case given != "" && kind != "":
		return "", usageErrorf("use --fingerprint or --artifact-type, not both")
	case given != "":
		fp, err := model.NormalizeFingerprint(given)
		if err != nil {
			return "", usageErrorf("%s", model.ErrorMessage(err))
		}
		return fp, nil
	case kind == "file":
		return fingerprint.File(artifact)
	case kind == "dir":
		return fingerprintPath(f, artifact, exclude)
	case kind == "docker":
		d, err := f.docker()
		if err != nil {
			return "", err
		}
		defer d.Close()
		return fingerprint.DockerImage(ctx, d, artifact)
	case kind == "":
		return "", usageErrorf("--fingerprint or --artifact-type (file, dir, docker) is required")
	}
	return "", usageErrorf("invalid --artifact-type %q: use file, dir or docker", kind)
}
