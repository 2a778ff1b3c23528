package http

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

func (s *srv) putEnvironment(c *gin.Context) {
	org := c.Param("org")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.Environment
	if err := decodeJSON(c.Request.Body, "create environment", &req); err != nil {
		s.fail(c, err)
		return
	}
	include := true
	if req.IncludeScaling != nil {
		include = *req.IncludeScaling
	}
	ctx := c.Request.Context()
	// A logical environment is made of physical ones that exist.
	for _, name := range req.IncludedEnvironments {
		inc, err := s.store.FindEnvironment(ctx, org, name)
		if err != nil {
			s.fail(c, err)
			return
		}
		if inc.Type == model.EnvLogical {
			s.fail(c, model.Errorf(model.EINVALID, "create environment %s: included environment %s is logical: include physical environments", req.Name, name))
			return
		}
	}
	e, created, err := s.store.PutEnvironment(ctx, org, model.Environment{
		Name: req.Name, Type: req.Type, Description: req.Description, Visibility: req.Visibility, IncludeScaling: include, Included: req.IncludedEnvironments, CreatedAt: s.opts.Now(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.environment(ctx, org, e)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), out)
}

// environment converts e with its state: the latest snapshot's compliance
// (a logical environment's: all its included environments'), null before
// any snapshot.
func (s *srv) environment(ctx context.Context, org string, e model.Environment) (api.Environment, error) {
	names := []string{e.Name}
	if e.Type == model.EnvLogical {
		names = e.Included
	}
	var state *bool
	for _, n := range names {
		list, _, err := s.store.ListSnapshots(ctx, org, n, model.Page{PerPage: 1})
		if err != nil {
			return api.Environment{}, err
		}
		if len(list) == 0 {
			continue
		}
		ok := list[0].Compliant && (state == nil || *state)
		state = &ok
	}
	return api.FromEnvironment(e, state), nil
}

// envSorts are the sort keys of list environments.
var envSorts = map[string]func(a, b model.Environment) int{
	"name":             func(a, b model.Environment) int { return strings.Compare(a.Name, b.Name) },
	"last_modified_at": func(a, b model.Environment) int { return a.LastChangedAt.Compare(b.LastChangedAt) },
	"last_changed_at":  func(a, b model.Environment) int { return a.LastChangedAt.Compare(b.LastChangedAt) },
	"last_reported_at": func(a, b model.Environment) int { return a.LastReportedAt.Compare(b.LastReportedAt) },
}

// listEnvironments is Kosli's list environments: filters name (substring,
// any case) and type (repeatable); sort and sort_direction; a bare array,
// or with page or per_page the paged envelope.
func (s *srv) listEnvironments(c *gin.Context) {
	org := c.Param("org")
	member := token(c) != ""
	if member {
		if err := s.authorize(c, org); err != nil {
			s.fail(c, err)
			return
		}
	}
	ctx := c.Request.Context()
	sortBy, dir := c.DefaultQuery("sort", "name"), c.DefaultQuery("sort_direction", "asc")
	cmp, ok := envSorts[sortBy]
	if !ok {
		s.fail(c, model.Errorf(model.EINVALID, "sort=%q: want name, last_modified_at, last_changed_at or last_reported_at", sortBy))
		return
	}
	if dir != "asc" && dir != "desc" {
		s.fail(c, model.Errorf(model.EINVALID, "sort_direction=%q: want asc or desc", dir))
		return
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	envs, err := s.store.ListEnvironments(ctx, org)
	if err != nil {
		s.fail(c, err)
		return
	}
	name, types := strings.ToLower(c.Query("name")), c.QueryArray("type")
	kept := []model.Environment{}
	for _, e := range envs {
		// Anonymous callers see only public environments.
		if !member && e.Visibility != model.VisibilityPublic {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(e.Name), name) {
			continue
		}
		if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return strings.EqualFold(t, e.Type) }) {
			continue
		}
		kept = append(kept, e)
	}
	slices.SortStableFunc(kept, func(a, b model.Environment) int {
		if dir == "desc" {
			return cmp(b, a)
		}
		return cmp(a, b)
	})
	total := len(kept)
	paged := c.Query("page") != "" || c.Query("per_page") != ""
	if paged {
		lo := min(p.Offset(), total)
		kept = kept[lo:min(lo+p.PerPage, total)]
	}
	out := []api.Environment{}
	for _, e := range kept {
		v, err := s.environment(ctx, org, e)
		if err != nil {
			s.fail(c, err)
			return
		}
		out = append(out, v)
	}
	setTotal(c, total)
	if !paged {
		writeJSON(c, http.StatusOK, out)
		return
	}
	writeJSON(c, http.StatusOK, api.EnvironmentPage{Page: p.Page, PerPage: p.PerPage, TotalPages: pages(total, p.PerPage), TotalCount: total, Environments: out})
}

// pages is how many pages of per items total fills.
func pages(total, per int) int {
	return (total + per - 1) / per
}

func (s *srv) getEnvironment(c *gin.Context) {
	org := c.Param("org")
	if _, err := s.authorizeEnv(c, org, c.Param("env")); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	e, err := s.store.FindEnvironment(ctx, org, c.Param("env"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.environment(ctx, org, e)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out)
}

// listEvents is Kosli's log environment: newest first unless
// reverse=true, interval (ParseInterval) and paging.
func (s *srv) listEvents(c *gin.Context) {
	org := c.Param("org")
	v, err := s.authorizeEnv(c, org, c.Param("env"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	env, err := s.store.FindEnvironment(ctx, org, c.Param("env"))
	if err != nil {
		s.fail(c, err)
		return
	}
	reverse, err := boolQuery(c, "reverse")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := model.EventFilter{Environment: env.Name, Reverse: !reverse, Page: p}
	if iv := c.Query("interval"); iv != "" {
		if f.FromIndex, f.ToIndex, err = model.ParseInterval(iv, env.Snapshots); err != nil {
			s.fail(c, err)
			return
		}
	}
	evs, total, err := s.store.ListEvents(ctx, org, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Event{}
	for _, e := range v.events(evs) {
		out = append(out, api.FromEvent(e))
	}
	setTotal(c, total)
	writeJSON(c, http.StatusOK, out)
}

// boolQuery reads an optional true/false query parameter.
func boolQuery(c *gin.Context, name string) (bool, error) {
	switch v := c.Query(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, model.Errorf(model.EINVALID, "query parameter %s=%q: want true or false", name, v)
	}
}

// reportBody is SnapshotReportRequest with the array kept raw, so that a
// missing or non-array "artifacts" is told apart from an empty one.
type reportBody struct {
	Artifacts json.RawMessage `json:"artifacts"`
}

func (s *srv) reportSnapshot(c *gin.Context) {
	org, env := c.Param("org"), c.Param("env")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	// Checked before the body is read: a typo in a reporter's route, or
	// a report to an environment of another type, must not record a
	// snapshot.
	typ, err := model.ValidateReportType(c.Param("type"))
	if err != nil {
		s.fail(c, err)
		return
	}
	target, err := s.store.FindEnvironment(c.Request.Context(), org, env)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := target.CheckReportType(typ); err != nil {
		s.fail(c, err)
		return
	}
	var body reportBody
	if err := decodeJSON(c.Request.Body, "report snapshot", &body); err != nil {
		s.fail(c, err)
		return
	}
	if len(body.Artifacts) == 0 || string(body.Artifacts) == "null" {
		s.fail(c, model.Errorf(model.EINVALID, "report snapshot: field \"artifacts\" is required (an array, empty when nothing runs)"))
		return
	}
	var arts []api.ReportArtifact
	if err := unmarshal(body.Artifacts, "report snapshot: artifacts", &arts); err != nil {
		s.fail(c, err)
		return
	}
	now := s.opts.Now()
	var instances []model.Instance
	for i, a := range arts {
		if len(a.Digests) == 0 {
			s.fail(c, model.Errorf(model.EINVALID, "report snapshot: artifacts[%d] has no digests", i))
			return
		}
		for name, fp := range a.Digests {
			instances = append(instances, model.Instance{Fingerprint: fp, Name: name, CreatedAt: a.CreationTimestamp})
		}
	}
	running, err := model.GroupInstances(instances, now)
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.store.ReportSnapshot(c.Request.Context(), org, env, running, now)
	if err != nil {
		s.fail(c, err)
		return
	}
	result := "unchanged"
	if rep.Created {
		result = "created"
	}
	s.m.reports.WithLabelValues(result).Inc()
	out := api.SnapshotReportResponse{Environment: env, Index: rep.Index, Created: rep.Created, Events: []api.Event{}}
	for _, e := range rep.Events {
		out.Events = append(out.Events, api.FromEvent(e))
	}
	writeJSON(c, createdOr(rep.Created), out)
}

// listSnapshots is Kosli's list snapshots: newest first (oldest first
// with reverse=true), interval (ParseInterval) and paging.
func (s *srv) listSnapshots(c *gin.Context) {
	org := c.Param("org")
	if _, err := s.authorizeEnv(c, org, c.Param("env")); err != nil {
		s.fail(c, err)
		return
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	reverse, err := boolQuery(c, "reverse")
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	env, err := s.store.FindEnvironment(ctx, org, c.Param("env"))
	if err != nil {
		s.fail(c, err)
		return
	}
	from, to := 1, env.Snapshots
	if iv := c.Query("interval"); iv != "" {
		if from, to, err = model.ParseInterval(iv, env.Snapshots); err != nil {
			s.fail(c, err)
			return
		}
	}
	// The store pages newest first from the latest; the interval and
	// the direction turn into the one page of it that holds the wanted
	// indexes: newest first, page k is to-(k-1)n down; oldest first, it
	// is from+(k-1)n up.
	total := max(to-from+1, 0)
	hi := to - p.Offset()
	lo := max(hi-p.PerPage+1, from)
	if reverse {
		lo = from + p.Offset()
		hi = min(lo+p.PerPage-1, to)
	}
	out := []api.SnapshotSummary{}
	if env.Snapshots > 0 && lo <= hi {
		list, _, err := s.store.ListSnapshots(ctx, org, env.Name, model.Page{Page: 1, PerPage: env.Snapshots - lo + 1})
		if err != nil {
			s.fail(c, err)
			return
		}
		now := s.opts.Now()
		for _, x := range list {
			if x.Index >= lo && x.Index <= hi {
				out = append(out, api.FromSnapshotSummary(x, now))
			}
		}
		if reverse {
			slices.Reverse(out)
		}
	}
	setTotal(c, total)
	writeJSON(c, http.StatusOK, out)
}

func (s *srv) getSnapshot(c *gin.Context) {
	org, env := c.Param("org"), c.Param("env")
	v, err := s.authorizeEnv(c, org, env)
	if err != nil {
		s.fail(c, err)
		return
	}
	expr := c.Param("expr")
	ref, err := model.ParseSnapshotRef(expr, s.opts.Now())
	if err != nil {
		s.fail(c, model.Errorf(model.EINVALID, "malformed snapshot expression %q: %s", expr, model.ErrorMessage(err)))
		return
	}
	ctx := c.Request.Context()
	e, err := s.store.FindEnvironment(ctx, org, env)
	if err != nil {
		s.fail(c, err)
		return
	}
	var snap model.Snapshot
	if e.Type == model.EnvLogical {
		snap, err = model.LogicalSnapshot(ctx, s.store, org, e, ref)
	} else {
		snap, err = s.store.FindSnapshot(ctx, org, env, ref)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromSnapshot(v.snapshot(snap)))
}

func (s *srv) diffSnapshots(c *gin.Context) {
	org := c.Param("org")
	var exprs [2]model.SnapshotExpr
	for i, q := range []string{"snappish1", "snappish2"} {
		v := c.Query(q)
		if v == "" {
			s.fail(c, model.Errorf(model.EINVALID, "query parameter %s (a snapshot expression like ENV#N) is required", q))
			return
		}
		e, err := model.ParseSnapshotExpr(v, s.opts.Now())
		if err != nil {
			s.fail(c, err)
			return
		}
		exprs[i] = e
	}
	v, err := s.authorizeEnv(c, org, exprs[0].Environment, exprs[1].Environment)
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := model.DiffSnapshots(c.Request.Context(), s.store, org, exprs[0], exprs[1])
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromDiff(v.diff(d)))
}
