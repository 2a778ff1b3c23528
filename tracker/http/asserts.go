package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

// assertArtifact answers Kosli's assert artifact
// (GET /api/v2/asserts/{org}/fingerprint/{fp}?flow_name=&environment_name=):
// 200 with compliant true or false; the CLI's exit status follows it.
func (s *srv) assertArtifact(c *gin.Context) {
	org, flow, env := c.Param("org"), c.Query("flow_name"), c.Query("environment_name")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	if p := c.QueryArray("policy_name"); len(p) > 0 {
		s.fail(c, model.Errorf(model.EINVALID, "assert artifact: policy_name %q: this tracker has no policies; assert in flow or environment scope", p[0]))
		return
	}
	a, err := model.AssertArtifact(ctx, s.store, org, model.AssertQuery{Fingerprint: c.Param("fp"), Flow: flow, Environment: env})
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromAssertion(a, func(x model.Artifact) string { return htmlURL(c, org, x) }))
}
