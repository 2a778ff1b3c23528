package http

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

// putTrail is begin trail: the commit from git_commit_info.sha1 (or
// git_commit); user_data, repo_info, external_urls and origin_url kept.
func (s *srv) putTrail(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.Trail
	if err := dataJSON(c, "begin trail", &req); err != nil {
		s.fail(c, err)
		return
	}
	commit := req.GitCommit
	if len(req.GitCommitInfo) > 0 {
		var info api.GitCommitInfo
		if err := unmarshal(req.GitCommitInfo, "begin trail: git_commit_info", &info); err != nil {
			s.fail(c, err)
			return
		}
		if commit == "" {
			commit = info.Sha1
		}
	}
	if err := checkExternalURLs(req.ExternalURLs); err != nil {
		s.fail(c, err)
		return
	}
	t, created, err := s.store.PutTrail(c.Request.Context(), org, model.Trail{
		Flow: flow, Name: req.Name, Description: req.Description, GitCommit: commit, CreatedAt: s.opts.Now(),
		CommitInfo: nullToNil(req.GitCommitInfo), UserData: nullToNil(req.UserData), RepoInfo: nullToNil(req.RepoInfo),
		ExternalURLs: nullToNil(req.ExternalURLs), OriginURL: req.OriginURL,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), api.Trail{Name: t.Name, Description: t.Description, GitCommit: t.GitCommit, GitCommitInfo: t.CommitInfo,
		UserData: t.UserData, RepoInfo: t.RepoInfo, ExternalURLs: t.ExternalURLs, OriginURL: t.OriginURL, CreatedAt: api.Unix(t.CreatedAt)})
}

// nullToNil drops a JSON null, which Kosli's CLI means as "none".
func nullToNil(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

// checkExternalURLs validates Kosli's external_urls: label to {href,
// fingerprint?}, a fingerprint being 64 hex digits. The message is
// Kosli's, which its CLI's tests match.
func checkExternalURLs(raw json.RawMessage) error {
	if len(nullToNil(raw)) == 0 {
		return nil
	}
	var urls map[string]struct {
		Href        string `json:"href"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal(raw, &urls); err != nil {
		return model.Errorf(model.EINVALID, "Input payload validation failed: external_urls must map labels to {href, fingerprint}: %v", err)
	}
	for label, u := range urls {
		if u.Fingerprint != "" {
			if _, err := model.NormalizeFingerprint(u.Fingerprint); err != nil {
				return model.Errorf(model.EINVALID, "Input payload validation failed: external_urls.%s.fingerprint %q is not 64 hex digits", label, u.Fingerprint)
			}
		}
	}
	return nil
}

func (s *srv) getTrail(c *gin.Context) {
	org, flow, trail := c.Param("org"), c.Param("flow"), c.Param("trail")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	v, err := model.GetTrailView(ctx, s.store, org, flow, trail)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromTrailView(v, trailURL(c, org, flow, trail)))
}

// listTrails is Kosli's list trails: newest first, filters flow and
// fingerprint, always paged.
func (s *srv) listTrails(c *gin.Context) {
	org, flow := c.Param("org"), c.Query("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.Query("flow_tag") != "" {
		s.fail(c, model.Errorf(model.EINVALID, "flow_tag: this tracker has no flow tags"))
		return
	}
	trails, total, err := s.store.ListTrails(ctx, org, model.TrailFilter{Flow: flow, Fingerprint: c.Query("fingerprint"), Page: p})
	if model.IsNotFound(err) && flow != "" {
		// Kosli lists nothing for a filter that matches nothing.
		trails, total, err = []model.Trail{}, 0, nil
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := api.TrailPage{Data: []api.TrailSummary{}, Pagination: api.Pagination{Page: p.Page, PageCount: pages(total, p.PerPage), Total: total}}
	for _, t := range trails {
		v, err := model.GetTrailView(ctx, s.store, org, t.Flow, t.Name)
		if err != nil {
			s.fail(c, err)
			return
		}
		out.Data = append(out.Data, api.FromTrailSummary(v))
	}
	setTotal(c, total)
	writeJSON(c, http.StatusOK, out)
}

// trailURL is the web UI's page of a trail's flow.
func trailURL(c *gin.Context, org, flow, trail string) string {
	u := url.URL{Scheme: scheme(c), Host: c.Request.Host, Path: "/ui/" + org + "/flows/" + flow, RawQuery: url.Values{"trail": {trail}}.Encode()}
	return u.String()
}

func (s *srv) search(c *gin.Context) {
	org := c.Param("org")
	ctx := c.Request.Context()
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	r, err := model.Search(ctx, s.store, org, c.Param("value"))
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromSearch(r, func(a model.Artifact) string { return htmlURL(c, org, a) }))
}
