package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// flowRow is a flow in a list.
type flowRow struct {
	Name        string
	Description string
	Visibility  string
	URL         string
}

// envRow is an environment in a list.
type envRow struct {
	Name        string
	Type        string
	Description string
	URL         string
	Snapshots   int
	LatestURL   string
	LastChange  time.Time
}

type orgCard struct {
	Name  string
	Flows []flowRow
}

type homeView struct{ Orgs []orgCard }

type orgView struct {
	Flows []flowRow
	Envs  []envRow
}

// home lists every org with its public flows: the anonymous way in.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	orgs, err := h.store.ListOrgs(r.Context())
	if err != nil {
		h.fail(w, r, orgReq{}, fmt.Errorf("list orgs: %w", err))
		return
	}
	v := homeView{Orgs: []orgCard{}}
	for _, o := range orgs {
		flows, err := h.store.ListFlows(r.Context(), o.Name)
		if err != nil {
			h.fail(w, r, orgReq{}, fmt.Errorf("list flows of %s: %w", o.Name, err))
			return
		}
		card := orgCard{Name: o.Name}
		for _, f := range flows {
			if f.Visibility == model.VisibilityPublic {
				card.Flows = append(card.Flows, toFlowRow(o.Name, f))
			}
		}
		v.Orgs = append(v.Orgs, card)
	}
	h.render(w, r, http.StatusOK, "home", page{Title: "Organizations", Data: v})
}

func toFlowRow(org string, f model.Flow) flowRow {
	return flowRow{Name: f.Name, Description: f.Description, Visibility: f.Visibility, URL: flowURL(org, f.Name)}
}

func (h *handler) orgPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	flows, err := h.visibleFlows(r.Context(), o)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	envs, err := h.store.ListEnvironments(r.Context(), o.org)
	if err != nil {
		h.fail(w, r, o, fmt.Errorf("list environments: %w", err))
		return
	}
	v := orgView{Flows: []flowRow{}, Envs: []envRow{}}
	for _, f := range flows.list {
		v.Flows = append(v.Flows, toFlowRow(o.org, f))
	}
	for _, e := range envs {
		if o.authed || e.Visibility == model.VisibilityPublic {
			v.Envs = append(v.Envs, toEnvRow(o.org, e))
		}
	}
	h.render(w, r, http.StatusOK, "org", page{Title: o.org, Org: o.org, Authed: o.authed, Data: v})
}

func toEnvRow(org string, e model.Environment) envRow {
	r := envRow{Name: e.Name, Type: e.Type, Description: e.Description, URL: envURL(org, e.Name), Snapshots: e.Snapshots, LastChange: e.LastChangedAt}
	if e.Snapshots > 0 {
		r.LatestURL = snapshotURL(org, e.Name, e.Snapshots)
	}
	return r
}

// flowSet is the flows a viewer may see, by name and in order.
type flowSet struct {
	list   []model.Flow
	byName map[string]model.Flow
	all    bool
}

// visible reports whether an artifact of flow may be shown: members see
// everything, including artifacts of no known flow (flow ""), whose names
// alone can say what runs where; anyone else sees public flows only.
func (s flowSet) visible(flow string) bool {
	_, ok := s.byName[flow]
	return ok || s.all
}

// visibleFlows is every flow of the org for a signed-in viewer and the
// public ones for anyone else.
func (h *handler) visibleFlows(ctx context.Context, o orgReq) (flowSet, error) {
	all, err := h.store.ListFlows(ctx, o.org)
	if err != nil {
		return flowSet{}, fmt.Errorf("list flows: %w", err)
	}
	s := flowSet{byName: map[string]model.Flow{}, all: o.authed}
	for _, f := range all {
		if o.authed || f.Visibility == model.VisibilityPublic {
			s.list = append(s.list, f)
			s.byName[f.Name] = f
		}
	}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].Name < s.list[j].Name })
	return s, nil
}

// findFlow loads a flow the viewer may see. A private flow is "not found"
// for an anonymous viewer, exactly like a missing one, so its existence
// does not leak; the message says signing in may help.
func (h *handler) findFlow(ctx context.Context, o orgReq, name string) (model.Flow, error) {
	f, err := h.store.FindFlow(ctx, o.org, name)
	if err == nil && !o.authed && f.Visibility != model.VisibilityPublic {
		err = model.Errorf(model.ENOTFOUND, "flow %s not found in org %s", name, o.org)
	}
	if model.IsNotFound(err) && !o.authed {
		err = model.Errorf(model.ENOTFOUND, "%s (private flows are only shown after signing in with the org's API token)", model.ErrorMessage(err))
	}
	return f, err
}

// findEnvironment loads an environment the viewer may see: the rule of
// findFlow (and of the API) for environments. A private environment is
// "not found" for an anonymous viewer, exactly like a missing one.
func (h *handler) findEnvironment(ctx context.Context, o orgReq, name string) (model.Environment, error) {
	e, err := h.store.FindEnvironment(ctx, o.org, name)
	if err == nil && !o.authed && e.Visibility != model.VisibilityPublic {
		err = model.Errorf(model.ENOTFOUND, "Environment named '%s' does not exist for organization '%s'", name, o.org)
	}
	if model.IsNotFound(err) && !o.authed {
		err = model.Errorf(model.ENOTFOUND, "%s (private environments are only shown after signing in with the org's API token)", model.ErrorMessage(err))
	}
	return e, err
}
