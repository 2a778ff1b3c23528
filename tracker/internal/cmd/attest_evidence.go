package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

// AttestEvidenceOptions are the options of attest generic, junit, snyk,
// custom, simulator and coverage.
type AttestEvidenceOptions struct {
	f           *Factory
	root        *RootOptions
	Kind        string
	Flow        string
	Trail       string
	Name        string
	Fingerprint string
	Compliant   bool
	Description string
	Attachment  string
	UserData    string
	ResultsFile string
	Report      string
	Coverage    float64
	MinCoverage float64
	// SnykResults is attest snyk's snyk_results JSON file; TypeName and
	// AttestationData are attest custom's.
	SnykResults     string
	TypeName        string
	AttestationData string
	// HTML is the simulator's HTML report, attached to the evidence.
	HTML   string
	DryRun bool
}

// NewCmdAttestEvidence reports one kind of evidence about an artifact (by
// fingerprint) or a trail.
func NewCmdAttestEvidence(f *Factory, o *RootOptions, kind string, runF func(*AttestEvidenceOptions) error) *cobra.Command {
	opts := &AttestEvidenceOptions{f: f, root: o, Kind: kind}
	short := map[string]string{
		"generic":   "Report generic evidence, compliant or not",
		"junit":     "Report JUnit results (compliant when no suite has failures or errors)",
		"simulator": "Report the simulator's JSON report",
		"coverage":  "Report test coverage against a minimum",
		"snyk":      "Report a Snyk scan (compliant when it found no vulnerability)",
		"custom":    "Report data of a custom attestation type (judged by its schema and rules)",
	}[kind]
	cmd := &cobra.Command{
		Use:     kind,
		Short:   short,
		Example: fmt.Sprintf("  tracker attest %s --flow runner --trail 16d9990 --name branch-coverage --fingerprint 9af401c4…", kind),
		Args:    exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runAttestEvidence(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVar(&opts.Trail, "trail", "", "the trail (required; created if missing)")
	fl.StringVarP(&opts.Name, "name", "n", "", "the evidence name, e.g. unit-tests, or ARTIFACT.NAME to bind it to the trail's artifact of that template name (required)")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact it is about (else it is about the trail)")
	fl.StringVarP(&opts.Description, "description", "d", "", "a description")
	fl.StringVar(&opts.Attachment, "attachment", "", "a file to attach")
	fl.StringVar(&opts.UserData, "user-data", "", "a JSON file of extra data")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	switch kind {
	case "generic":
		fl.BoolVarP(&opts.Compliant, "compliant", "C", true, "whether the evidence is compliant")
	case "junit":
		fl.StringVarP(&opts.ResultsFile, "results-file", "R", "", "the JUnit XML file (required)")
	case "simulator":
		fl.StringVar(&opts.Report, "report", "", "the simulator's JSON report, as written by simulator run --json (required)")
		fl.StringVar(&opts.HTML, "html", "", "the simulator's HTML report (simulator run --html), attached to the evidence")
		cmd.Long = `Report the simulator's JSON report (the file "simulator run --json" writes)
as evidence. Its compliance comes from the report itself: compliant when
its "errors" count is zero, non-compliant otherwise (consequences of an
earlier error are not counted twice). No --compliant flag is needed; a
report with its own boolean "compliant" field keeps that verdict.`
		cmd.Example = "  simulator run --json report.json …\n  tracker attest simulator --flow minitwit --trail abc1234 --name simulator --fingerprint 9af401c4… --report report.json"
	case "snyk":
		fl.StringVar(&opts.SnykResults, "snyk-results", "", "a JSON file of snyk_results: {results: [{high_count, medium_count, low_count}]} (required)")
	case "custom":
		fl.StringVar(&opts.TypeName, "type", "", "the custom attestation type (required; see create attestation-type)")
		fl.StringVar(&opts.AttestationData, "attestation-data", "", "the JSON file of data the type judges (required)")
		cmd.Example = "  tracker create attestation-type simulator-run --schema report.schema.json --jq '.errors == 0'\n  tracker attest custom --type simulator-run --attestation-data report.json --flow minitwit --trail abc1234 --name simulator --fingerprint 9af401c4…"
	case "coverage":
		fl.Float64Var(&opts.Coverage, "percent", -1, "measured coverage in percent (required)")
		fl.Float64Var(&opts.MinCoverage, "min", 0, "minimum coverage in percent to be compliant")
	}
	return cmd
}

func runAttestEvidence(cmd *cobra.Command, o *AttestEvidenceOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if o.Trail == "" {
		return usageErrorf("--trail is required")
	}
	if o.Name == "" {
		return usageErrorf("--name is required")
	}
	d := api.AttestationData{AttestationName: o.Name, Description: o.Description}
	// Kosli's --name ARTIFACT.ATTESTATION binds to the trail's artifact of
	// that template name.
	if art, name, dotted := strings.Cut(o.Name, "."); dotted {
		if art == "" || name == "" || strings.Contains(name, ".") {
			return usageErrorf("--name %q: use NAME or ARTIFACT.NAME", o.Name)
		}
		d.AttestationName, d.TargetArtifacts = name, []string{art}
	}
	if o.Fingerprint != "" {
		fp, err := model.NormalizeFingerprint(o.Fingerprint)
		if err != nil {
			return usageErrorf("%s", model.ErrorMessage(err))
		}
		d.ArtifactFingerprint = fp
	}
	var files []client.File
	if o.UserData != "" {
		raw, err := readJSONFile(o.UserData, "--user-data")
		if err != nil {
			return err
		}
		d.UserData = raw
	}
	if o.Attachment != "" && o.HTML != "" {
		return usageErrorf("use --attachment or --html, not both (an attestation has one attachment)")
	}
	for _, a := range []string{o.Attachment, o.HTML} {
		if a == "" {
			continue
		}
		raw, err := os.ReadFile(a)
		if err != nil {
			return fmt.Errorf("attachment: %w", err)
		}
		files = append(files, client.File{Field: api.FieldAttachment, Name: filepath.Base(a), Content: raw})
	}
	switch o.Kind {
	case "generic":
		compliant := o.Compliant
		d.IsCompliant = &compliant
	case "junit":
		if o.ResultsFile == "" {
			return usageErrorf("--results-file is required")
		}
		raw, err := os.ReadFile(o.ResultsFile)
		if err != nil {
			return fmt.Errorf("results file: %w", err)
		}
		// The server parses the XML, so a file that is not JUnit gets its
		// one 4xx message from one place.
		files = append(files, client.File{Field: api.FieldJUnitFile, Name: filepath.Base(o.ResultsFile), Content: raw})
	case "simulator":
		if o.Report == "" {
			return usageErrorf("--report is required")
		}
		raw, err := readJSONFile(o.Report, "--report")
		if err != nil {
			return err
		}
		// Checked here too so that a wrong file is a usage error before
		// anything is sent; the server applies the same rule.
		if _, err := api.SimulatorVerdict(raw); err != nil {
			return usageErrorf("--report %s: %s", o.Report, model.ErrorMessage(err))
		}
		d.SimulatorReport = raw
	case "snyk":
		if o.SnykResults == "" {
			return usageErrorf("--snyk-results is required")
		}
		raw, err := readJSONFile(o.SnykResults, "--snyk-results")
		if err != nil {
			return err
		}
		d.SnykResults = raw
	case "custom":
		if o.TypeName == "" || o.AttestationData == "" {
			return usageErrorf("--type and --attestation-data are required")
		}
		raw, err := readJSONFile(o.AttestationData, "--attestation-data")
		if err != nil {
			return err
		}
		d.TypeName, d.AttestationData = o.TypeName, raw
	case "coverage":
		if o.Coverage < 0 || o.Coverage > 100 {
			return usageErrorf("--percent is required, between 0 and 100")
		}
		pct, minPct := o.Coverage, o.MinCoverage
		d.CoveragePercent, d.MinCoveragePercent = &pct, &minPct
		compliant := pct >= minPct
		d.IsCompliant = &compliant
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	r, err := c.AttestRequest(o.Flow, o.Trail, o.Kind, d, files...)
	var got api.EvidenceSummary
	return send(cmd.Context(), o.f, c, "attest "+o.Kind+" "+o.Name, o.DryRun, r, err, &got, func(bool) {
		state := "compliant"
		if !got.IsCompliant {
			state = "non-compliant"
		}
		fmt.Fprintf(o.f.IO.Out, "%s evidence %s was reported (%s)\n", got.Type, got.Name, state)
	})
}
