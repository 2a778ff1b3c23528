package http

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/model"
)

// The one rule for a reader without the org's token, the web UI's too:
// everything is private unless public. Flows and environments carry a
// visibility; inside a public environment only the artifacts of public
// flows are shown (counts are not hidden, as on the web). A private thing
// is answered exactly like a missing one, so its existence does not leak.

// notFound is the store's error for a missing flow or environment, given
// for a private one too (TestAnonymousReadersOneRule checks they agree).
func notFound(kind, name, org string) error {
	if kind == "environment" {
		return model.Errorf(model.ENOTFOUND, "Environment named '%s' does not exist for organization '%s'", name, org)
	}
	return model.Errorf(model.ENOTFOUND, "%s %s not found in org %s", kind, name, org)
}

// viewer is who reads an environment's contents: a member sees all, an
// anonymous reader only the artifacts of the public flows.
type viewer struct {
	member bool
	public map[string]bool
}

// sees reports whether the viewer may see an artifact of flow (known is
// false for a fingerprint no flow reported).
func (v viewer) sees(flow string, known bool) bool {
	return v.member || (known && v.public[flow])
}

// authorizeEnv authorizes reading the environments named: with a token it
// must be valid, without one each must be public.
func (s *srv) authorizeEnv(c *gin.Context, org string, envs ...string) (viewer, error) {
	ctx := c.Request.Context()
	if token(c) != "" {
		return viewer{member: true}, s.authorize(c, org)
	}
	for _, name := range envs {
		e, err := s.store.FindEnvironment(ctx, org, name)
		if err != nil {
			return viewer{}, err
		}
		if e.Visibility != model.VisibilityPublic {
			return viewer{}, notFound("environment", name, org)
		}
	}
	return s.anonymous(ctx, org)
}

// anonymous is the viewer without a token: the org's public flows.
func (s *srv) anonymous(ctx context.Context, org string) (viewer, error) {
	flows, err := s.store.ListFlows(ctx, org)
	if err != nil {
		return viewer{}, fmt.Errorf("list flows of %s: %w", org, err)
	}
	v := viewer{public: map[string]bool{}}
	for _, f := range flows {
		if f.Visibility == model.VisibilityPublic {
			v.public[f.Name] = true
		}
	}
	return v, nil
}

func (v viewer) artifacts(in []model.SnapshotArtifact) []model.SnapshotArtifact {
	if v.member {
		return in
	}
	out := []model.SnapshotArtifact{}
	for _, a := range in {
		if v.sees(a.Flow, a.Known) {
			out = append(out, a)
		}
	}
	return out
}

func (v viewer) snapshot(s model.Snapshot) model.Snapshot {
	s.Artifacts = v.artifacts(s.Artifacts)
	return s
}

func (v viewer) diff(d model.SnapshotDiff) model.SnapshotDiff {
	if v.member {
		return d
	}
	d.A, d.B = v.snapshot(d.A), v.snapshot(d.B)
	d.OnlyA, d.OnlyB, d.Same = v.artifacts(d.OnlyA), v.artifacts(d.OnlyB), v.artifacts(d.Same)
	changed := []model.ScaledArtifact{}
	for _, a := range d.Changed {
		if v.sees(a.Flow, a.Known) {
			changed = append(changed, a)
		}
	}
	d.Changed = changed
	return d
}

func (v viewer) events(in []model.Event) []model.Event {
	if v.member {
		return in
	}
	out := []model.Event{}
	for _, e := range in {
		if v.sees(e.Flow, e.Flow != "") {
			out = append(out, e)
		}
	}
	return out
}
