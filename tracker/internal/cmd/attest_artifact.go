package cmd

import (
	"fmt"
	"path/filepath"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/spf13/cobra"
)

// AttestArtifactOptions are the options of attest artifact.
type AttestArtifactOptions struct {
	f            *Factory
	root         *RootOptions
	Artifact     string
	Flow         string
	Fingerprint  string
	ArtifactType string
	Exclude      []string
	Name         string
	Commit       string
	CommitURL    string
	BuildURL     string
	RepoURL      string
	Trail        string
	TemplateName string
	CommitTime   int64
	DryRun       bool
}

// NewCmdAttestArtifact reports a built artifact.
func NewCmdAttestArtifact(f *Factory, o *RootOptions, runF func(*AttestArtifactOptions) error) *cobra.Command {
	opts := &AttestArtifactOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:   "artifact {IMAGE | FILE | DIR}",
		Short: "Report an artifact built from a commit",
		Long: `Report an artifact. Its fingerprint is --fingerprint, or computed from the
argument with --artifact-type file, dir or docker (the image's repository
digest).`,
		Example: "  tracker attest artifact registry/runner:16d9990 --artifact-type docker --flow runner --commit 16d9990…",
		Args:    exactArgs(1, "an image, file or directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Artifact = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runAttestArtifact(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact's SHA-256 fingerprint")
	fl.StringVarP(&opts.ArtifactType, "artifact-type", "t", "", "compute the fingerprint: file, dir or docker")
	fl.StringSliceVarP(&opts.Exclude, "exclude", "x", nil, "globs to leave out of a dir fingerprint")
	fl.StringVarP(&opts.Name, "name", "n", "", "the artifact's name (default: the argument)")
	fl.StringVarP(&opts.Commit, "commit", "g", "", "the git commit it was built from (required, at least 7 hex digits)")
	fl.StringVarP(&opts.CommitURL, "commit-url", "u", "", "URL of the commit")
	fl.StringVarP(&opts.BuildURL, "build-url", "b", "", "URL of the build")
	fl.StringVar(&opts.RepoURL, "repo-url", "", "URL of the repository")
	fl.StringVar(&opts.Trail, "trail", "", "the trail (default: the commit)")
	fl.StringVar(&opts.TemplateName, "template-name", "", "the artifact's name in the flow's template (what attestations --name TEMPLATE-NAME.NAME bind to)")
	fl.Int64Var(&opts.CommitTime, "commit-timestamp", 0, "Unix time of the commit (for lead time)")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runAttestArtifact(cmd *cobra.Command, o *AttestArtifactOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if o.Commit == "" {
		return usageErrorf("--commit is required")
	}
	fp, err := artifactFingerprint(cmd.Context(), o.f, o.Artifact, o.Fingerprint, o.ArtifactType, o.Exclude)
	if err != nil {
		return err
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		name = o.Artifact
		if o.ArtifactType == "file" || o.ArtifactType == "dir" {
			name = filepath.Base(o.Artifact)
		}
	}
	req := api.ArtifactRequest{Fingerprint: fp, Filename: name, GitCommit: o.Commit, BuildURL: o.BuildURL, CommitURL: o.CommitURL,
		RepoURL: o.RepoURL, TrailName: o.Trail, TemplateReferenceName: o.TemplateName}
	if o.CommitTime > 0 {
		req.GitCommitInfo = &api.GitCommitInfo{Sha1: o.Commit, URL: o.CommitURL, Timestamp: o.CommitTime}
	}
	r, err := c.AttestArtifactRequest(o.Flow, req)
	var got api.Artifact
	return send(cmd.Context(), o.f, c, "attest artifact "+name, o.DryRun, r, err, &got, func(created bool) {
		if created {
			fmt.Fprintf(o.f.IO.Out, "artifact %s was reported with fingerprint %s\n", got.Name, got.Fingerprint)
		} else {
			fmt.Fprintf(o.f.IO.Out, "artifact %s was already reported with fingerprint %s\n", got.Name, got.Fingerprint)
		}
	})
}
