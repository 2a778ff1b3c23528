package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/spf13/cobra"
)

// send either prints the request (--dry-run) or sends it and reports the
// result with done.
func send(ctx context.Context, f *Factory, c *client.Client, what string, dry bool, r client.Request, buildErr error, out any, done func(created bool)) error {
	if buildErr != nil {
		return buildErr
	}
	if dry {
		return dryRun(f.IO.Out, r)
	}
	status, err := c.Do(ctx, r, out)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	done(status == 201)
	return nil
}

func newCmdCreate(f *Factory, o *RootOptions) *cobra.Command {
	return group("create", "Create a flow or an environment", NewCmdCreateFlow(f, o, nil), NewCmdCreateEnvironment(f, o, nil))
}

// CreateFlowOptions are the options of create flow.
type CreateFlowOptions struct {
	f            *Factory
	root         *RootOptions
	Name         string
	Description  string
	Visibility   string
	Template     []string
	TemplateFile string
	DryRun       bool
}

// NewCmdCreateFlow creates or updates a flow.
func NewCmdCreateFlow(f *Factory, o *RootOptions, runF func(*CreateFlowOptions) error) *cobra.Command {
	opts := &CreateFlowOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "flow NAME",
		Short:   "Create or update a flow (one per service)",
		Example: "  tracker create flow runner --description 'Test runner' --visibility public --template unit-tests,coverage",
		Args:    exactArgs(1, "a flow name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runCreateFlow(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Description, "description", "d", "", "what the flow builds")
	fl.StringVar(&opts.Visibility, "visibility", "private", "public (anonymous reads allowed) or private")
	fl.StringSliceVarP(&opts.Template, "template", "t", nil, "evidence names an artifact needs to be compliant (comma-separated)")
	fl.StringVar(&opts.TemplateFile, "template-file", "", "YAML template file sent to the server as is")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runCreateFlow(cmd *cobra.Command, o *CreateFlowOptions) error {
	if err := model.ValidateName("flow", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Visibility != "public" && o.Visibility != "private" {
		return usageErrorf("invalid --visibility %q: use public or private", o.Visibility)
	}
	if o.TemplateFile != "" && len(o.Template) > 0 {
		return usageErrorf("use --template or --template-file, not both")
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	body := api.Flow{Name: o.Name, Description: o.Description, Visibility: o.Visibility, Template: o.Template, Tags: map[string]string{}}
	if body.Template == nil {
		body.Template = []string{}
	}
	var r client.Request
	if o.TemplateFile != "" {
		raw, err := os.ReadFile(o.TemplateFile)
		if err != nil {
			return fmt.Errorf("template file: %w", err)
		}
		r, err = c.PutFlowTemplateRequest(body, raw, filepath.Base(o.TemplateFile))
		if err != nil {
			return err
		}
	} else if r, err = c.PutFlowRequest(body); err != nil {
		return err
	}
	var got api.Flow
	return send(cmd.Context(), o.f, c, "create flow "+o.Name, o.DryRun, r, nil, &got, func(created bool) {
		fmt.Fprintf(o.f.IO.Out, "flow %s was %s\n", got.Name, verb(created))
	})
}

func verb(created bool) string {
	if created {
		return "created"
	}
	return "updated"
}

// CreateEnvironmentOptions are the options of create environment.
type CreateEnvironmentOptions struct {
	f           *Factory
	root        *RootOptions
	Name        string
	Type        string
	Description string
	Visibility  string
	NoScaling   bool
	DryRun      bool
}

// NewCmdCreateEnvironment creates or updates an environment.
func NewCmdCreateEnvironment(f *Factory, o *RootOptions, runF func(*CreateEnvironmentOptions) error) *cobra.Command {
	opts := &CreateEnvironmentOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "environment NAME",
		Aliases: []string{"env"},
		Short:   "Create or update an environment",
		Example: "  tracker create environment aws-prod --type docker --description 'Production'",
		Args:    exactArgs(1, "an environment name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runCreateEnvironment(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Type, "type", "t", "", "docker, server, K8S, ECS, …")
	fl.StringVarP(&opts.Description, "description", "d", "", "what runs there")
	fl.StringVar(&opts.Visibility, "visibility", "private", "public (anonymous reads of its public flows' artifacts allowed) or private")
	fl.BoolVar(&opts.NoScaling, "exclude-scaling", false, "do not make a change of instance count a new snapshot")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runCreateEnvironment(cmd *cobra.Command, o *CreateEnvironmentOptions) error {
	if err := model.ValidateName("environment", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	if o.Type == "" {
		return usageErrorf("--type is required (docker, server, K8S, ECS, …)")
	}
	if o.Visibility != model.VisibilityPublic && o.Visibility != model.VisibilityPrivate {
		return usageErrorf("invalid --visibility %q: use public or private", o.Visibility)
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	scaling := !o.NoScaling
	r, err := c.PutEnvironmentRequest(api.Environment{Name: o.Name, Type: o.Type, Description: o.Description, Visibility: o.Visibility, IncludeScaling: &scaling, Tags: map[string]string{}})
	var got api.Environment
	return send(cmd.Context(), o.f, c, "create environment "+o.Name, o.DryRun, r, err, &got, func(created bool) {
		fmt.Fprintf(o.f.IO.Out, "environment %s was %s\n", got.Name, verb(created))
	})
}

func newCmdBegin(f *Factory, o *RootOptions) *cobra.Command {
	return group("begin", "Begin a trail", NewCmdBeginTrail(f, o, nil))
}

// BeginTrailOptions are the options of begin trail.
type BeginTrailOptions struct {
	f           *Factory
	root        *RootOptions
	Name        string
	Flow        string
	Description string
	Commit      string
	DryRun      bool
}

// NewCmdBeginTrail begins a trail (one run of a flow for one change).
func NewCmdBeginTrail(f *Factory, o *RootOptions, runF func(*BeginTrailOptions) error) *cobra.Command {
	opts := &BeginTrailOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "trail NAME",
		Short:   "Begin a trail: one run of a flow for one change, usually named after the commit",
		Example: "  tracker begin trail 16d9990 --flow runner --commit 16d9990…",
		Args:    exactArgs(1, "a trail name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runBeginTrail(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVarP(&opts.Description, "description", "d", "", "what the change is")
	fl.StringVarP(&opts.Commit, "commit", "g", "", "the git commit of the change")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runBeginTrail(cmd *cobra.Command, o *BeginTrailOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if err := model.ValidateName("trail", o.Name); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	r, err := c.BeginTrailRequest(o.Flow, api.Trail{Name: o.Name, Description: o.Description, GitCommit: o.Commit})
	var got api.Trail
	return send(cmd.Context(), o.f, c, "begin trail "+o.Name, o.DryRun, r, err, &got, func(created bool) {
		if created {
			fmt.Fprintf(o.f.IO.Out, "trail %s was begun in flow %s\n", o.Name, o.Flow)
		} else {
			fmt.Fprintf(o.f.IO.Out, "trail %s already exists in flow %s\n", o.Name, o.Flow)
		}
	})
}

func requireFlow(flow string) error {
	if flow == "" {
		return usageErrorf("--flow is required")
	}
	if err := model.ValidateName("flow", flow); err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	return nil
}

func newCmdAttest(f *Factory, o *RootOptions) *cobra.Command {
	return group("attest", "Report an artifact or evidence about it",
		NewCmdAttestArtifact(f, o, nil),
		NewCmdAttestEvidence(f, o, "generic", nil),
		NewCmdAttestEvidence(f, o, "junit", nil),
		NewCmdAttestEvidence(f, o, "simulator", nil),
		NewCmdAttestEvidence(f, o, "coverage", nil))
}

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
		RepoURL: o.RepoURL, TrailName: o.Trail}
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

// AttestEvidenceOptions are the options of attest generic, junit,
// simulator and coverage.
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
	DryRun      bool
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
	fl.StringVarP(&opts.Name, "name", "n", "", "the evidence name, e.g. unit-tests (required)")
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
		cmd.Long = `Report the simulator's JSON report (the file "simulator run --json" writes)
as evidence. Its compliance comes from the report itself: compliant when
its "errors" count is zero, non-compliant otherwise (consequences of an
earlier error are not counted twice). No --compliant flag is needed; a
report with its own boolean "compliant" field keeps that verdict.`
		cmd.Example = "  simulator run --json report.json …\n  tracker attest simulator --flow minitwit --trail abc1234 --name simulator --fingerprint 9af401c4… --report report.json"
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
	if o.Attachment != "" {
		raw, err := os.ReadFile(o.Attachment)
		if err != nil {
			return fmt.Errorf("attachment: %w", err)
		}
		files = append(files, client.File{Field: api.FieldAttachment, Name: filepath.Base(o.Attachment), Content: raw})
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
		if _, err := model.SimulatorCompliant(raw); err != nil {
			return usageErrorf("--report %s: %s", o.Report, model.ErrorMessage(err))
		}
		d.SimulatorReport = raw
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
		fmt.Fprintf(o.f.IO.Out, "%s evidence %s was reported (%s)\n", o.Kind, got.Name, state)
	})
}

func readJSONFile(path, flag string) (json.RawMessage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if !json.Valid(raw) {
		return nil, usageErrorf("%s %s is not valid JSON", flag, path)
	}
	return json.RawMessage(raw), nil
}

func newCmdReport(f *Factory, o *RootOptions) *cobra.Command {
	return group("report", "Report a deployment", NewCmdReportDeployment(f, o, nil))
}

// ReportDeploymentOptions are the options of report deployment.
type ReportDeploymentOptions struct {
	f           *Factory
	root        *RootOptions
	Flow        string
	Fingerprint string
	Environment string
	Description string
	BuildURL    string
	Status      string
	DryRun      bool
}

// NewCmdReportDeployment reports the intent to run an artifact in an
// environment; the server numbers it per flow.
func NewCmdReportDeployment(f *Factory, o *RootOptions, runF func(*ReportDeploymentOptions) error) *cobra.Command {
	opts := &ReportDeploymentOptions{f: f, root: o}
	cmd := &cobra.Command{
		Use:     "deployment",
		Short:   "Report a deployment of an artifact to an environment",
		Example: "  tracker report deployment --flow runner --fingerprint 9af401c4… --environment aws-prod",
		Args:    exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runReportDeployment(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Flow, "flow", "f", "", "the flow (required)")
	fl.StringVarP(&opts.Fingerprint, "fingerprint", "F", "", "the artifact deployed (required)")
	fl.StringVarP(&opts.Environment, "environment", "e", "", "where (required)")
	fl.StringVarP(&opts.Description, "description", "d", "", "a description")
	fl.StringVarP(&opts.BuildURL, "build-url", "b", "", "URL of the deploying job")
	fl.StringVar(&opts.Status, "status", "", "failed or rolled_back, for a deployment that did not succeed")
	fl.BoolVarP(&opts.DryRun, "dry-run", "D", false, "print the request instead of sending it")
	return cmd
}

func runReportDeployment(cmd *cobra.Command, o *ReportDeploymentOptions) error {
	if err := requireFlow(o.Flow); err != nil {
		return err
	}
	if o.Environment == "" {
		return usageErrorf("--environment is required")
	}
	if o.Fingerprint == "" {
		return usageErrorf("--fingerprint is required")
	}
	fp, err := model.NormalizeFingerprint(o.Fingerprint)
	if err != nil {
		return usageErrorf("%s", model.ErrorMessage(err))
	}
	switch o.Status {
	case "", "failed", "rolled_back":
	default:
		return usageErrorf("invalid --status %q: use failed or rolled_back", o.Status)
	}
	c, err := o.root.WriteClient(o.f, o.DryRun)
	if err != nil {
		return err
	}
	r, err := c.ReportDeploymentRequest(o.Flow, api.DeploymentRequest{ArtifactFingerprint: fp, Environment: o.Environment,
		Description: o.Description, BuildURL: o.BuildURL, Status: o.Status})
	var got api.Deployment
	return send(cmd.Context(), o.f, c, "report deployment to "+o.Environment, o.DryRun, r, err, &got, func(bool) {
		fmt.Fprintf(o.f.IO.Out, "Deployment #%d to %s environment was reported\n", got.Number, strings.TrimSpace(got.Environment))
	})
}
