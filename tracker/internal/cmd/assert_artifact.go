package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/spf13/cobra"
)

// ErrNotCompliant is the error of assert artifact when the server's
// verdict is not compliant: the call worked, the artifact may not go on
// (exit 1).
var ErrNotCompliant = errors.New("artifact is not compliant")

func newCmdAssert(f *Factory, o *RootOptions) *cobra.Command {
	return group("assert", "Fail unless an artifact is compliant (a deploy gate)",
		NewCmdAssertArtifact(f, o, nil))
}

// AssertArtifactOptions are the options of assert artifact.
type AssertArtifactOptions struct {
	f            *Factory
	root         *RootOptions
	Artifact     string
	Fingerprint  string
	ArtifactType string
	Exclude      []string
	Flow         string
	Environment  string
	Output       outputFlag
}

// NewCmdAssertArtifact asks the server whether an artifact is compliant and
// exits 1 when it is not, as Kosli's assert artifact does.
func NewCmdAssertArtifact(f *Factory, o *RootOptions, runF func(*AssertArtifactOptions) error) *cobra.Command {
	opts := &AssertArtifactOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:   "artifact [FINGERPRINT | IMAGE | FILE | DIR]",
		Short: "Exit 1 unless the artifact is compliant",
		Long: `Ask whether an artifact is compliant: in --flow (default: every flow that
holds it) and, with --environment, for that environment. Prints each flow's
attestations and exits 0 when compliant, 1 when not: use it as the gate
before a deployment. The artifact is a fingerprint (the argument or
--fingerprint) or is fingerprinted with --artifact-type file, dir or docker.`,
		Example: `  tracker assert artifact 3f1c…e9 --flow minitwit --environment production
  tracker assert artifact registry/minitwit:1a2b3c4 --artifact-type docker --flow minitwit`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("%s expects at most one artifact, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Artifact = args[0]
			}
			if err := opts.Output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runAssertArtifact(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (default: every flow holding the artifact)")
	fl.StringVarP(&opts.Environment, "environment", "e", "", "assert for this environment")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact's SHA-256 fingerprint")
	fl.StringVarP(&opts.ArtifactType, "artifact-type", "t", "", "compute the fingerprint: file, dir or docker")
	fl.StringSliceVarP(&opts.Exclude, "exclude", "x", nil, "globs to leave out of a dir fingerprint")
	opts.Output.add(cmd)
	return cmd
}

func runAssertArtifact(cmd *cobra.Command, o *AssertArtifactOptions) error {
	given := o.Fingerprint
	if given == "" && o.ArtifactType == "" {
		if o.Artifact == "" {
			return usageErrorf("give the artifact's fingerprint (argument or --fingerprint) or an artifact with --artifact-type")
		}
		given = o.Artifact
	}
	fp, err := artifactFingerprint(cmd.Context(), o.f, o.Artifact, given, o.ArtifactType, o.Exclude)
	if err != nil {
		return err
	}
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	a, err := c.AssertArtifact(cmd.Context(), fp, o.Flow, o.Environment)
	if err != nil {
		return fmt.Errorf("assert artifact %s: %w", fp, err)
	}
	if o.Output.json() {
		err = printJSON(o.f.IO.Out, a)
	} else {
		err = printAssertion(o.f.IO.Out, a, o.f.IO.OutTTY)
	}
	if err != nil {
		return err
	}
	if !a.Compliant {
		return fmt.Errorf("%w: %s", ErrNotCompliant, fp)
	}
	return nil
}

// printAssertion writes the verdict and each flow's attestations, in the
// layout of Kosli's assert artifact.
func printAssertion(out io.Writer, a api.ArtifactAssertion, tty bool) error {
	verdict := "COMPLIANT"
	if !a.Compliant {
		verdict = "NON-COMPLIANT"
	}
	fmt.Fprintln(out, colorState(verdict, tty))
	if a.Scope == "environment" {
		fmt.Fprintf(out, "Environment: %s\n", a.Environment)
	}
	for _, f := range a.Flows {
		fmt.Fprintf(out, "Flow: %s\n", f.Flow)
		if f.Trail != "" {
			fmt.Fprintf(out, "  Trail: %s\n", f.Trail)
		}
		fmt.Fprintf(out, "  %-32s %-14s %-14s %s\n", "Attestation-name", "type", "status", "compliant")
		for _, s := range f.ComplianceStatus.AttestationsStatuses {
			line := fmt.Sprintf("    %-32s %-14s %-14s %-9v", s.AttestationName, orDash(s.AttestationType), s.Status, s.IsCompliant)
			if s.Unexpected {
				line += " unexpected"
			}
			fmt.Fprintln(out, line)
		}
		if _, err := fmt.Fprintf(out, "  See more details at %s\n", f.HTMLURL); err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
