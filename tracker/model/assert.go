package model

import (
	"context"
	"fmt"
)

// Scopes of an artifact assertion: the flows that hold the artifact, or an
// environment it is about to run in.
const (
	ScopeFlow        = "flow"
	ScopeEnvironment = "environment"
)

// AssertQuery is what assert artifact asks: is the artifact with
// Fingerprint compliant in Flow ("" = in every flow of the org that holds
// it), and, when Environment is set, for that environment.
type AssertQuery struct {
	Fingerprint string
	Flow        string
	Environment string
}

// Assertion is the answer: the verdict and, per flow holding the
// artifact, its view (template, latest evidence, state).
type Assertion struct {
	Fingerprint string
	Scope       string
	Environment string
	Compliant   bool
	Flows       []ArtifactView
}

// AssertArtifact answers q, the deploy gate's question. The artifact is
// compliant when its state is COMPLIANT in every flow considered (one with
// q.Flow, else all that hold it). In environment scope the environment
// must exist; the tracker attaches no policies to environments, so the
// flows' verdict is the environment's. Kosli's own wording is kept for the
// errors its CLI's users see: an unknown artifact is ENOTFOUND naming the
// fingerprint, flow and org; a fingerprint that is not 64 hex digits is
// EINVALID.
func AssertArtifact(ctx context.Context, s Store, org string, q AssertQuery) (Assertion, error) {
	fp, err := NormalizeFingerprint(q.Fingerprint)
	if err != nil {
		return Assertion{}, err
	}
	out := Assertion{Fingerprint: fp, Scope: ScopeFlow, Flows: []ArtifactView{}}
	if q.Environment != "" {
		if _, err := s.FindEnvironment(ctx, org, q.Environment); err != nil {
			return Assertion{}, err
		}
		out.Scope, out.Environment = ScopeEnvironment, q.Environment
	}
	var arts []Artifact
	if q.Flow != "" {
		if _, err := s.FindFlow(ctx, org, q.Flow); err != nil {
			return Assertion{}, err
		}
		a, err := s.FindArtifact(ctx, org, q.Flow, fp)
		if IsNotFound(err) {
			return Assertion{}, Errorf(ENOTFOUND, "Artifact with fingerprint '%s' does not exist in flow '%s' belonging to organization '%s'", fp, q.Flow, org)
		}
		if err != nil {
			return Assertion{}, err
		}
		arts = []Artifact{a}
	} else {
		arts, _, err = s.ListArtifacts(ctx, org, ArtifactFilter{Fingerprint: fp, Page: Page{PerPage: MaxPerPage}})
		if err != nil {
			return Assertion{}, err
		}
		if len(arts) == 0 {
			return Assertion{}, Errorf(ENOTFOUND, "Artifact with fingerprint '%s' does not exist in organization '%s'", fp, org)
		}
	}
	out.Compliant = true
	for _, a := range arts {
		v, err := ComposeArtifactView(ctx, s, org, a)
		if err != nil {
			return Assertion{}, fmt.Errorf("assert artifact %s in flow %s: %w", fp, a.Flow, err)
		}
		out.Compliant = out.Compliant && v.State == Compliant
		out.Flows = append(out.Flows, v)
	}
	return out, nil
}

// AttestationStatus is how one attestation name stands for an artifact:
// a template name with its latest evidence (Present false when missing),
// or evidence the template does not ask for (Unexpected).
type AttestationStatus struct {
	Name       string
	Present    bool
	Unexpected bool
	Evidence   Evidence
}

// AttestationStatuses lists v's template names in template order, then any
// other evidence reported, in the order reported.
func (v ArtifactView) AttestationStatuses() []AttestationStatus {
	byName := map[string]Evidence{}
	for _, e := range v.Evidence {
		if old, ok := byName[e.Name]; !ok || !e.CreatedAt.Before(old.CreatedAt) {
			byName[e.Name] = e
		}
	}
	out := []AttestationStatus{}
	inTemplate := map[string]bool{}
	for _, n := range v.Template {
		inTemplate[n] = true
		e, ok := byName[n]
		out = append(out, AttestationStatus{Name: n, Present: ok, Evidence: e})
	}
	seen := map[string]bool{}
	for _, e := range v.Evidence {
		if inTemplate[e.Name] || seen[e.Name] {
			continue
		}
		seen[e.Name] = true
		out = append(out, AttestationStatus{Name: e.Name, Present: true, Unexpected: len(v.Template) > 0, Evidence: byName[e.Name]})
	}
	return out
}
