package server

import (
	"encoding/json"
	"net/http"

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
	e, created, err := s.store.PutEnvironment(c.Request.Context(), org, model.Environment{
		Name: req.Name, Type: req.Type, Description: req.Description, Visibility: req.Visibility, IncludeScaling: include, CreatedAt: s.opts.Now(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), api.FromEnvironment(e))
}

func (s *srv) listEnvironments(c *gin.Context) {
	org := c.Param("org")
	member := token(c) != ""
	if member {
		if err := s.authorize(c, org); err != nil {
			s.fail(c, err)
			return
		}
	}
	envs, err := s.store.ListEnvironments(c.Request.Context(), org)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Environment{}
	for _, e := range envs {
		// Anonymous callers see only public environments.
		if member || e.Visibility == model.VisibilityPublic {
			out = append(out, api.FromEnvironment(e))
		}
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *srv) getEnvironment(c *gin.Context) {
	org := c.Param("org")
	if _, err := s.authorizeEnv(c, org, c.Param("env")); err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.store.FindEnvironment(c.Request.Context(), org, c.Param("env"))
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromEnvironment(e))
}

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
	evs, total, err := s.store.ListEvents(c.Request.Context(), org, model.EventFilter{
		Environment: c.Param("env"), Reverse: c.Query("reverse") == "true", Page: p,
	})
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
	// Checked before the body is read: a typo in a reporter's route
	// must not record a snapshot.
	if _, err := model.ValidateReportType(c.Param("type")); err != nil {
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
	list, total, err := s.store.ListSnapshots(c.Request.Context(), org, c.Param("env"), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := s.opts.Now()
	out := []api.SnapshotSummary{}
	for _, x := range list {
		out = append(out, api.FromSnapshotSummary(x, now))
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
	snap, err := s.store.FindSnapshot(c.Request.Context(), org, env, ref)
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
