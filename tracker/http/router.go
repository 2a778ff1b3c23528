package http

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/internal/buildinfo"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// srv holds the handlers' dependencies; there are no globals.
type srv struct {
	store model.Store
	opts  Config
	log   *slog.Logger
	m     *metrics
}

// router is the API's gin engine with the srv behind it.
type router struct {
	*gin.Engine
	s *srv
}

// metricsHandler serves the server's Prometheus metrics.
func (r router) metricsHandler() http.Handler {
	return promhttp.HandlerFor(r.s.m.reg, promhttp.HandlerOpts{})
}

func newRouter(store model.Store, opts Config, withMetrics bool) router {
	gin.SetMode(gin.ReleaseMode)
	s := &srv{store: store, opts: opts, log: opts.Logger, m: newMetrics()}
	r := gin.New()
	rt := router{Engine: r, s: s}
	r.Use(s.observe, s.recoverPanic, s.guardBody)
	r.RemoveExtraSlash = true

	r.GET("/ready", s.ready)
	r.HEAD("/ready", s.ready)
	r.GET("/version", func(c *gin.Context) { writeJSON(c, http.StatusOK, buildinfo.Get()) })
	if withMetrics {
		r.GET("/metrics", gin.WrapH(rt.metricsHandler()))
	}

	v2 := r.Group(api.Prefix)
	v2.PUT("/flows/:org", s.putFlow)
	v2.PUT("/flows/:org/template_file", s.putFlowTemplate)
	v2.GET("/flows/:org", s.listFlows)
	v2.GET("/flows/:org/:flow", s.getFlow)
	v2.GET("/flows/:org/:flow/metrics", s.flowMetrics)

	v2.PUT("/environments/:org", s.putEnvironment)
	v2.GET("/environments/:org", s.listEnvironments)
	v2.GET("/environments/:org/:env", s.getEnvironment)
	v2.GET("/environments/:org/:env/events", s.listEvents)
	v2.PUT("/environments/:org/:env/report/:type", s.reportSnapshot)

	v2.PUT("/trails/:org/:flow", s.putTrail)
	v2.GET("/trails/:org", s.listTrails)
	v2.GET("/trails/:org/:flow/:trail", s.getTrail)
	v2.GET("/search/:org/sha/:value", s.search)

	v2.POST("/artifacts/:org/:flow", s.attestArtifact)
	v2.GET("/artifacts/:org", s.listArtifacts)
	v2.GET("/artifacts/:org/:flow/fingerprint/:fp", s.getArtifact)
	v2.GET("/artifacts/:org/:flow/commit_sha/:sha", s.getArtifactsByCommit)

	v2.POST("/attestations/:org/:flow/trail/:trail/:type", s.attest)
	v2.GET("/attestations/:org", s.getAttestationByID)
	v2.GET("/attestations/:org/:flow/trail/:trail/:name", s.getTrailAttestations)
	v2.GET("/attestations/:org/:flow/artifact/:fp/:name", s.getArtifactAttestations)
	v2.GET("/attestations/:org/:flow/attachment/:id/:name", s.getAttachment)
	v2.POST("/custom-attestation-types/:org", s.putAttestationType)
	v2.GET("/custom-attestation-types/:org/:name", s.getAttestationType)

	v2.GET("/asserts/:org/fingerprint/:fp", s.assertArtifact)

	v2.POST("/deployments/:org/:flow", s.reportDeployment)
	v2.GET("/deployments/:org/:flow", s.listDeployments)
	v2.PUT("/deployments/:org/:flow/:number/status", s.setDeploymentStatus)

	v2.GET("/snapshots/:org/:env", s.listSnapshots)
	v2.GET("/snapshots/:org/:env/:expr", s.getSnapshot)
	v2.GET("/env-diff/:org", s.diffSnapshots)

	r.NoRoute(func(c *gin.Context) {
		p := c.Request.URL.Path
		if opts.UI != nil && !strings.HasPrefix(p, "/api/") {
			opts.UI.ServeHTTP(c.Writer, c.Request)
			return
		}
		s.fail(c, model.Errorf(model.ENOTFOUND, "no route %s %s", c.Request.Method, p))
	})
	return rt
}

func (s *srv) ready(c *gin.Context) {
	if err := s.store.Ping(c.Request.Context()); err != nil {
		s.log.ErrorContext(c.Request.Context(), "not ready", slog.Any("err", err))
		writeJSON(c, http.StatusServiceUnavailable, api.Error{Message: "database not ready"})
		return
	}
	// Kosli's CLI prints the body as is: exactly the two bytes OK.
	c.String(http.StatusOK, "OK")
}

// createdOr is 201 when something was created, else 200.
func createdOr(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// page reads ?page=&per_page= (Kosli's names), rejecting junk.
func page(c *gin.Context) (model.Page, error) {
	var p model.Page
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &p.Page}, {"per_page", &p.PerPage}} {
		if v := c.Query(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return p, model.Errorf(model.EINVALID, "query parameter %s=%q must be a positive integer", f.name, v)
			}
			*f.dst = n
		}
	}
	return p.Normalize(), nil
}

func setTotal(c *gin.Context, total int) {
	c.Header(api.HeaderTotalCount, strconv.Itoa(total))
}
