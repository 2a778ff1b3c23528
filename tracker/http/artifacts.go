package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

func (s *srv) attestArtifact(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.ArtifactRequest
	if err := decodeJSON(c.Request.Body, "attest artifact", &req); err != nil {
		s.fail(c, err)
		return
	}
	a := model.Artifact{
		Flow: flow, Fingerprint: req.Fingerprint, Name: req.Filename, GitCommit: req.GitCommit,
		CommitURL: req.CommitURL, BuildURL: req.BuildURL, RepoURL: req.RepoURL, Trail: req.TrailName,
		TemplateName: req.TemplateReferenceName, CreatedAt: s.opts.Now(),
	}
	if info := req.GitCommitInfo; info != nil {
		if a.GitCommit == "" {
			a.GitCommit = info.Sha1
		}
		if a.CommitURL == "" {
			a.CommitURL = info.URL
		}
		if info.Timestamp > 0 {
			a.CommitTime = time.Unix(info.Timestamp, 0).UTC()
		}
	}
	ctx := c.Request.Context()
	a, created, err := s.store.PutArtifact(ctx, org, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := model.ComposeArtifactView(ctx, s.store, org, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), api.FromArtifactView(v, htmlURL(c, org, v.Artifact)))
}

func (s *srv) getArtifact(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	v, err := model.GetArtifactView(ctx, s.store, org, flow, c.Param("fp"))
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromArtifactView(v, htmlURL(c, org, v.Artifact)))
}

func (s *srv) getArtifactsByCommit(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	arts, err := s.store.FindArtifactsByCommit(ctx, org, flow, c.Param("sha"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Artifact{}
	for _, a := range arts {
		v, err := model.ComposeArtifactView(ctx, s.store, org, a)
		if err != nil {
			s.fail(c, err)
			return
		}
		out = append(out, api.FromArtifactView(v, htmlURL(c, org, v.Artifact)))
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *srv) listArtifacts(c *gin.Context) {
	org := c.Param("org")
	ctx := c.Request.Context()
	flow := c.Query("flow_name")
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	arts, total, err := s.store.ListArtifacts(ctx, org, model.ArtifactFilter{
		Flow: flow, Fingerprint: c.Query("fingerprint"), GitCommit: strings.TrimSpace(c.Query("git_commit")), Page: p,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Artifact{}
	for _, a := range arts {
		out = append(out, api.FromArtifact(a, htmlURL(c, org, a)))
	}
	setTotal(c, total)
	writeJSON(c, http.StatusOK, out)
}

// htmlURL is the web UI's page of an artifact on the host the client used.
func htmlURL(c *gin.Context, org string, a model.Artifact) string {
	u := url.URL{Scheme: scheme(c), Host: c.Request.Host, Path: "/ui/" + org + "/flows/" + a.Flow + "/artifacts/" + a.Fingerprint}
	return u.String()
}

// scheme is the scheme the client used.
func scheme(c *gin.Context) string {
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		return "https"
	}
	return "http"
}
