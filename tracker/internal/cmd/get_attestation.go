package cmd

import (
	"fmt"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

// GetAttestationOptions are the options of get attestation.
type GetAttestationOptions struct {
	f           *Factory
	root        *RootOptions
	output      outputFlag
	Name        string
	Flow        string
	Trail       string
	Fingerprint string
	ID          string
}

// NewCmdGetAttestation shows attestations by name (on a trail or an
// artifact) or by id.
func NewCmdGetAttestation(f *Factory, o *RootOptions, runF func(*GetAttestationOptions) error) *cobra.Command {
	opts := &GetAttestationOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:   "attestation [NAME] {--trail T | --fingerprint FP} --flow F | --attestation-id ID",
		Short: "Show attestations by name on a trail or artifact, or one by id",
		Example: `  tracker get attestation simulator --flow minitwit --fingerprint 9af401c4…
  tracker get attestation --attestation-id 42`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("%s expects at most one name", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if err := opts.output.check(); err != nil {
				return err
			}
			switch {
			case opts.ID != "" && (opts.Name != "" || opts.Trail != "" || opts.Fingerprint != ""):
				return usageErrorf("--attestation-id goes alone, without a name, --trail or --fingerprint")
			case opts.ID == "" && opts.Name == "":
				return usageErrorf("give an attestation NAME (with --trail or --fingerprint) or --attestation-id")
			case opts.ID == "" && (opts.Trail == "") == (opts.Fingerprint == ""):
				return usageErrorf("give one of --trail or --fingerprint")
			case opts.ID == "":
				if err := requireFlow(opts.Flow); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runGetAttestation(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow")
	fl.StringVar(&opts.Trail, "trail", "", "the trail holding the attestations")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact holding the attestations")
	fl.StringVar(&opts.ID, "attestation-id", "", "one attestation's id")
	opts.output.add(cmd)
	return cmd
}

func runGetAttestation(cmd *cobra.Command, o *GetAttestationOptions) error {
	c, err := o.root.Client(o.f)
	if err != nil {
		return err
	}
	var list []api.Attestation
	switch {
	case o.ID != "":
		var page api.AttestationPage
		page, err = c.Attestation(cmd.Context(), o.ID)
		list = page.Data
	case o.Trail != "":
		list, err = c.TrailAttestations(cmd.Context(), o.Flow, o.Trail, o.Name)
	default:
		fp, ferr := model.NormalizeFingerprint(o.Fingerprint)
		if ferr != nil {
			return usageErrorf("%s", model.ErrorMessage(ferr))
		}
		list, err = c.ArtifactAttestations(cmd.Context(), o.Flow, fp, o.Name)
	}
	if err != nil {
		return fmt.Errorf("get attestation: %w", err)
	}
	out, now, loc := o.f.IO.Out, o.f.Now(), o.f.Location
	if o.output.json() {
		return printJSON(out, list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "No attestations found.")
		return err
	}
	for i, a := range list {
		if i > 0 {
			fmt.Fprintln(out)
		}
		rows := []string{
			"Name:\t" + a.AttestationName,
			"Id:\t" + a.AttestationID,
			"Type:\t" + a.AttestationType,
			fmt.Sprintf("Compliance:\t%v", a.IsCompliant),
			"Created at:\t" + formatTime(api.Time(a.CreatedAt), now, loc, true),
		}
		if a.ArtifactFingerprint != "" {
			rows = append(rows, "Artifact fingerprint:\t"+a.ArtifactFingerprint)
		}
		if a.HTMLURL != "" {
			rows = append(rows, "Attestation URL:\t"+a.HTMLURL)
		}
		for _, f := range a.Attachments {
			rows = append(rows, fmt.Sprintf("Attachment:\t%s (%d bytes) %s", f.Name, f.Size, f.URL))
		}
		if err := table(out, nil, rows); err != nil {
			return err
		}
	}
	return nil
}
