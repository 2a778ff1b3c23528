package http

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

func (s *srv) reportDeployment(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.DeploymentRequest
	if err := decodeJSON(c.Request.Body, "report deployment", &req); err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.store.CreateDeployment(c.Request.Context(), org, model.Deployment{
		Flow: flow, Fingerprint: req.ArtifactFingerprint, Environment: req.Environment, Description: req.Description,
		BuildURL: req.BuildURL, Approved: req.Approved, Status: req.Status, CreatedAt: s.opts.Now(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusCreated, api.FromDeployment(d))
}

func (s *srv) listDeployments(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	deps, err := s.store.ListDeployments(ctx, org, model.DeploymentFilter{Flow: flow, Environment: c.Query("environment")})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Deployment{}
	for _, d := range deps {
		out = append(out, api.FromDeployment(d))
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *srv) setDeploymentStatus(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n < 1 {
		s.fail(c, model.Errorf(model.EINVALID, "deployment number %q must be a positive integer", c.Param("number")))
		return
	}
	var req api.DeploymentStatusRequest
	if err := decodeJSON(c.Request.Body, "set deployment status", &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Status == "" {
		s.fail(c, model.Errorf(model.EINVALID, "set deployment status: status is required (succeeded, failed or rolled_back)"))
		return
	}
	d, err := s.store.SetDeploymentStatus(c.Request.Context(), org, flow, n, req.Status, s.opts.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromDeployment(d))
}
