// Package record sends what each pipeline step did to the tracker, through
// tracker/client only: the flow and the commit's trail, test and coverage
// evidence, the pushed artifact, smoke evidence and deployments.
//
// The tracker is optional. With no TRACKER_HOST, FromEnv returns a nil
// *Recorder whose methods do nothing and report that nothing was recorded;
// with TRACKER_HOST set, Check fails with a clear message when the server
// does not answer, before the step does its work.
package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
)

// Flows are the tracker flows the pipeline records to: one per image.
var Flows = []string{"minitwit", "tracker"}

// Evidence names, and the flows' template: an artifact is COMPLIANT once
// its tests passed and its coverage was recorded; smoke evidence, once
// attested, must be compliant too.
const (
	UnitTests = "unit-tests"
	Coverage  = "coverage"
	Smoke     = "smoke"
)

// Template is the flows' template.
var Template = []string{UnitTests, Coverage}

// Recorder records to one tracker org. A nil *Recorder records nothing.
type Recorder struct {
	c *client.Client
}

// Config is where to record: the tracker CLI's own variables.
type Config struct {
	Host, Org, Token string
}

// ConfigFromEnv reads TRACKER_HOST, TRACKER_ORG and TRACKER_API_TOKEN.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{Host: getenv("TRACKER_HOST"), Org: getenv("TRACKER_ORG"), Token: getenv("TRACKER_API_TOKEN")}
}

// New returns a recorder for cfg, or nil (record nothing) when cfg.Host is
// empty. A host without org or token is an error: half a configuration is
// a mistake, not a choice.
func New(cfg Config) (*Recorder, error) {
	if cfg.Host == "" {
		return nil, nil
	}
	if cfg.Org == "" || cfg.Token == "" {
		return nil, fmt.Errorf("TRACKER_HOST is set (%s) but TRACKER_ORG or TRACKER_API_TOKEN is not", cfg.Host)
	}
	c, err := client.New(cfg.Host, cfg.Org, cfg.Token, client.WithTimeout(15*time.Second), client.WithUserAgent("pipeline"))
	if err != nil {
		return nil, fmt.Errorf("TRACKER_HOST: %w", err)
	}
	return &Recorder{c: c}, nil
}

// Enabled reports whether anything is recorded.
func (r *Recorder) Enabled() bool { return r != nil }

// Where is the tracker's URL, or "" when nothing is recorded.
func (r *Recorder) Where() string {
	if r == nil {
		return ""
	}
	return r.c.Host()
}

// Client returns the tracker client (nil when nothing is recorded), for
// the deploy gate.
func (r *Recorder) Client() *client.Client {
	if r == nil {
		return nil
	}
	return r.c
}

// Check makes sure the tracker answers, so a step fails before doing work
// it could not record.
func (r *Recorder) Check(ctx context.Context) error {
	if r == nil {
		return nil
	}
	if err := r.c.Ready(ctx); err != nil {
		if errors.Is(err, client.ErrUnreachable) {
			return fmt.Errorf("the tracker at %s (TRACKER_HOST) does not answer: %w", r.c.Host(), err)
		}
		return fmt.Errorf("the tracker at %s (TRACKER_HOST): %w", r.c.Host(), err)
	}
	return nil
}

// Trail is a commit's trail in the flows.
type Trail struct {
	Name      string
	Commit    string
	Subject   string
	Author    string
	Branch    string
	CommitURL string
	At        time.Time
}

// BeginTrail creates the flows (with the template) and the commit's trail
// in each.
func (r *Recorder) BeginTrail(ctx context.Context, t Trail) error {
	if r == nil {
		return nil
	}
	for _, f := range Flows {
		if _, _, err := r.c.PutFlow(ctx, api.Flow{Name: f, Description: "the kit's " + f + " image, built by pipeline", Visibility: "public", Template: Template}); err != nil {
			return fmt.Errorf("record: flow %s: %w", f, err)
		}
		if _, _, err := r.c.BeginTrail(ctx, f, api.Trail{Name: t.Name, Description: t.Subject, GitCommit: t.Commit}); err != nil {
			return fmt.Errorf("record: trail %s/%s: %w", f, t.Name, err)
		}
	}
	return nil
}

// Tests attests the JUnit report and the coverage total on the trail of
// every flow (trail-level evidence: the artifact that the trail's commit
// produces inherits it).
func (r *Recorder) Tests(ctx context.Context, trail string, junitXML []byte, coveragePercent, minCoverage float64) error {
	if r == nil {
		return nil
	}
	for _, f := range Flows {
		if _, err := r.c.Attest(ctx, f, trail, "junit", api.AttestationData{AttestationName: UnitTests, Description: "go test -json, as JUnit"},
			client.File{Field: api.FieldJUnitFile, Name: "junit.xml", Content: junitXML}); err != nil {
			return fmt.Errorf("record: junit evidence %s/%s: %w", f, trail, err)
		}
		pct, minPct := coveragePercent, minCoverage
		ok := pct >= minPct
		if _, err := r.c.Attest(ctx, f, trail, "coverage", api.AttestationData{AttestationName: Coverage, Description: "statement coverage of the tested packages",
			CoveragePercent: &pct, MinCoveragePercent: &minPct, IsCompliant: &ok}); err != nil {
			return fmt.Errorf("record: coverage evidence %s/%s: %w", f, trail, err)
		}
	}
	return nil
}

// Artifact is a pushed image.
type Artifact struct {
	Flow string
	// Fingerprint is the registry's digest without "sha256:".
	Fingerprint string
	// Name is the image's name as shown (REGISTRY/minitwit:<commit>).
	Name      string
	Trail     Trail
	RepoURL   string
	BuildURL  string
	CommitURL string
}

// Artifact attests a pushed image.
func (r *Recorder) Artifact(ctx context.Context, a Artifact) error {
	if r == nil {
		return nil
	}
	_, _, err := r.c.AttestArtifact(ctx, a.Flow, api.ArtifactRequest{
		Fingerprint: a.Fingerprint, Filename: a.Name, GitCommit: a.Trail.Commit,
		GitCommitInfo: &api.GitCommitInfo{Sha1: a.Trail.Commit, Message: a.Trail.Subject, Author: a.Trail.Author, Branch: a.Trail.Branch, URL: a.CommitURL, Timestamp: a.Trail.At.Unix()},
		BuildURL:      a.BuildURL, CommitURL: a.CommitURL, RepoURL: a.RepoURL, TrailName: a.Trail.Name,
	})
	if err != nil {
		return fmt.Errorf("record: artifact %s: %w", a.Name, err)
	}
	return nil
}

// Simulator attests a smoke run's report (the simulator's --json) on the
// artifact.
func (r *Recorder) Simulator(ctx context.Context, flow, trail, fingerprint string, report json.RawMessage, target string) error {
	if r == nil {
		return nil
	}
	if _, err := r.c.Attest(ctx, flow, trail, "simulator", api.AttestationData{AttestationName: Smoke, ArtifactFingerprint: fingerprint,
		Description: "simulator smoke run against " + target, SimulatorReport: report}); err != nil {
		return fmt.Errorf("record: simulator evidence %s/%s: %w", flow, trail, err)
	}
	return nil
}

// EnsureEnvironment creates the docker environment env if the tracker does
// not know it (an environment's snapshots come from `tracker snapshot
// docker` on its VM).
func (r *Recorder) EnsureEnvironment(ctx context.Context, env, description string) error {
	if r == nil {
		return nil
	}
	if _, err := r.c.GetEnvironment(ctx, env); err == nil {
		return nil
	} else if client.StatusCode(err) != 404 {
		return fmt.Errorf("record: environment %s: %w", env, err)
	}
	scaling := true
	if _, _, err := r.c.PutEnvironment(ctx, api.Environment{Name: env, Type: "docker", Description: description, IncludeScaling: &scaling}); err != nil {
		return fmt.Errorf("record: environment %s: %w", env, err)
	}
	return nil
}

// ErrNotCompliant is the gate's refusal.
var ErrNotCompliant = errors.New("artifact is not compliant")

// Gate returns the deploy gate for the artifact with fingerprint in flow
// and environment env: the tracker's assert artifact, an error wrapping
// ErrNotCompliant (naming what is missing or failing) when it says no.
// Without a tracker there is nothing to ask, and the gate lets the deploy
// through (the step says nothing was recorded).
func (r *Recorder) Gate(flow, env, fingerprint string) func(context.Context) error {
	return func(ctx context.Context) error {
		if r == nil {
			return nil
		}
		a, err := r.c.AssertArtifact(ctx, fingerprint, flow, env)
		if err != nil {
			return fmt.Errorf("gate: assert artifact %.12s in %s: %w", fingerprint, env, err)
		}
		if a.Compliant {
			return nil
		}
		var why []string
		for _, f := range a.Flows {
			for _, s := range f.ComplianceStatus.AttestationsStatuses {
				if s.Status != "COMPLETE" || !s.IsCompliant {
					why = append(why, fmt.Sprintf("%s %s", s.AttestationName, strings.ToLower(statusWord(s.Status, s.IsCompliant))))
				}
			}
		}
		if len(why) == 0 {
			why = append(why, "the tracker says so")
		}
		return fmt.Errorf("gate: %w in %s: %s", ErrNotCompliant, env, strings.Join(why, ", "))
	}
}

func statusWord(status string, compliant bool) string {
	if status == "COMPLETE" && !compliant {
		return "NON-COMPLIANT"
	}
	return status
}

// Deployment is one deploy to record.
type Deployment struct {
	Flow        string
	Fingerprint string
	Env         string
	// Status is succeeded, failed or rolled_back.
	Status      string
	Description string
	BuildURL    string
}

// Deployment records a deployment and returns its number (0 when nothing
// was recorded).
func (r *Recorder) Deployment(ctx context.Context, d Deployment) (int, error) {
	if r == nil {
		return 0, nil
	}
	out, err := r.c.ReportDeployment(ctx, d.Flow, api.DeploymentRequest{ArtifactFingerprint: d.Fingerprint, Environment: d.Env,
		Description: d.Description, BuildURL: d.BuildURL, Status: d.Status})
	if err != nil {
		return 0, fmt.Errorf("record: deployment of %.12s to %s: %w", d.Fingerprint, d.Env, err)
	}
	return out.Number, nil
}
