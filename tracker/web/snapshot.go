package web

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// version is one artifact running in a snapshot.
type version struct {
	Name        string
	URL         string
	Commit      string
	Fingerprint string
	Since       time.Time
	Replicas    int
	// Role tells the versions of a blue-green group apart: the oldest
	// running is "older", the newest "newer".
	Role string
	// Change says how this version moved since the previous snapshot
	// ("started here", "scaled up from 1"), empty when it did not.
	Change string
}

// flowGroup is a snapshot's artifacts of one flow. Two or more versions of
// one flow running at once is a blue-green deployment in progress.
type flowGroup struct {
	Flow      string
	FlowURL   string
	BlueGreen bool
	Versions  []version
}

type snapshotView struct {
	Name        string
	Time        time.Time
	Artifacts   int
	Replicas    int
	Groups      []flowGroup
	Hidden      int
	PrevURL     string
	NextURL     string
	DiffPrevURL string
}

// unknownFlow heads the group of artifacts no flow has reported.
const unknownFlow = "Not reported by any flow"

func (h *handler) snapshotPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	env, err := h.findEnvironment(ctx, o, r.PathValue("env"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	ref, err := model.ParseSnapshotRef(r.PathValue("ref"), h.now())
	if err != nil {
		h.fail(w, r, o, model.Errorf(model.EINVALID, "malformed snapshot %q of %s: %s", r.PathValue("ref"), env.Name, model.ErrorMessage(err)))
		return
	}
	s, err := h.store.FindSnapshot(ctx, o.org, env.Name, ref)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	flows, err := h.visibleFlows(ctx, o)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	v := snapshotView{Name: s.Name(), Time: s.CreatedAt}
	v.Groups, v.Hidden = groupByFlow(o, flows, s.Artifacts)
	for _, g := range v.Groups {
		for _, ver := range g.Versions {
			v.Artifacts++
			v.Replicas += ver.Replicas
		}
	}
	if s.Index > 1 {
		v.PrevURL = snapshotURL(o.org, env.Name, s.Index-1)
		v.DiffPrevURL = diffURL(o.org, fmt.Sprintf("%s#%d", env.Name, s.Index-1), s.Name())
	}
	if s.Index < env.Snapshots {
		v.NextURL = snapshotURL(o.org, env.Name, s.Index+1)
	}
	h.render(w, r, http.StatusOK, "snapshot", page{
		Title: s.Name(), Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: env.Name, URL: envURL(o.org, env.Name)}, {Name: fmt.Sprintf("#%d", s.Index)}},
		Data:   v,
	})
}

// groupByFlow sorts a snapshot's visible artifacts into one group per
// flow (oldest version first, so an old and a new version read left to
// right) and counts the artifacts it had to hide.
func groupByFlow(o orgReq, flows flowSet, arts []model.SnapshotArtifact) ([]flowGroup, int) {
	by := map[string]*flowGroup{}
	hidden := 0
	for _, a := range arts {
		if !flows.visible(a.Flow) {
			hidden++
			continue
		}
		key := a.Flow
		if !a.Known {
			key = ""
		}
		g := by[key]
		if g == nil {
			g = &flowGroup{Flow: a.Flow}
			if a.Known {
				g.FlowURL = flowURL(o.org, a.Flow)
			} else {
				g.Flow = unknownFlow
			}
			by[key] = g
		}
		ver := version{Name: a.Name, Commit: shortCommit(a.GitCommit), Fingerprint: a.Fingerprint, Since: a.RunningSince(), Replicas: a.Instances(), Change: change(a.Annotation)}
		if a.Known {
			ver.URL = artifactURL(o.org, a.Flow, a.Fingerprint)
		}
		g.Versions = append(g.Versions, ver)
	}
	out := make([]flowGroup, 0, len(by))
	for key, g := range by {
		sort.SliceStable(g.Versions, func(i, j int) bool {
			if !g.Versions[i].Since.Equal(g.Versions[j].Since) {
				return g.Versions[i].Since.Before(g.Versions[j].Since)
			}
			return g.Versions[i].Fingerprint < g.Versions[j].Fingerprint
		})
		g.BlueGreen = key != "" && len(g.Versions) > 1
		if g.BlueGreen {
			g.Versions[0].Role = "older"
			g.Versions[len(g.Versions)-1].Role = "newer"
		}
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		// Known flows by name, the unknown group last.
		if (out[i].FlowURL == "") != (out[j].FlowURL == "") {
			return out[i].FlowURL != ""
		}
		return out[i].Flow < out[j].Flow
	})
	return out, hidden
}

// change describes an artifact's annotation against the previous
// snapshot, the same facts `log environment` prints.
func change(a model.Annotation) string {
	switch {
	case a.Type == model.AnnotationStarted:
		return "started here"
	case a.Type == model.AnnotationScaled && a.Now > a.Was:
		return fmt.Sprintf("scaled up from %d", a.Was)
	case a.Type == model.AnnotationScaled:
		return fmt.Sprintf("scaled down from %d", a.Was)
	}
	return ""
}
