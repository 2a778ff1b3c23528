package http

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
	"go.yaml.in/yaml/v3"
)

func (s *srv) putFlow(c *gin.Context) {
	org := c.Param("org")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.Flow
	if err := decodeJSON(c.Request.Body, "create flow", &req); err != nil {
		s.fail(c, err)
		return
	}
	s.saveFlow(c, org, req)
}

func (s *srv) saveFlow(c *gin.Context, org string, req api.Flow) {
	f, created, err := s.store.PutFlow(c.Request.Context(), org, model.Flow{
		Name: req.Name, Description: req.Description, Visibility: req.Visibility, Template: req.Template, CreatedAt: s.opts.Now(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), api.FromFlow(f))
}

// flowTemplate is the part of Kosli's YAML flow template the tracker uses:
// the attestation names of the trail and of its artifacts.
type flowTemplate struct {
	Trail struct {
		Attestations []struct {
			Name string `yaml:"name"`
		} `yaml:"attestations"`
		Artifacts []struct {
			Name         string `yaml:"name"`
			Attestations []struct {
				Name string `yaml:"name"`
			} `yaml:"attestations"`
		} `yaml:"artifacts"`
	} `yaml:"trail"`
}

func (s *srv) putFlowTemplate(c *gin.Context) {
	org := c.Param("org")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.Flow
	if err := dataJSON(c, "create flow", &req); err != nil {
		s.fail(c, err)
		return
	}
	fh, err := c.FormFile(api.FieldTemplateFile)
	if err != nil {
		s.fail(c, model.Errorf(model.EINVALID, "create flow: multipart field %s (the YAML template) is required", api.FieldTemplateFile))
		return
	}
	fr, err := fh.Open()
	if err != nil {
		s.fail(c, err)
		return
	}
	defer fr.Close()
	body, err := io.ReadAll(fr)
	if err != nil {
		s.fail(c, err)
		return
	}
	var tpl flowTemplate
	if err := yaml.Unmarshal(body, &tpl); err != nil {
		s.fail(c, model.Errorf(model.EINVALID, "template file %s is not a valid YAML flow template: %v", fh.Filename, err))
		return
	}
	req.Template = nil
	for _, a := range tpl.Trail.Attestations {
		req.Template = append(req.Template, a.Name)
	}
	for _, art := range tpl.Trail.Artifacts {
		for _, a := range art.Attestations {
			req.Template = append(req.Template, a.Name)
		}
	}
	s.saveFlow(c, org, req)
}

func (s *srv) listFlows(c *gin.Context) {
	org := c.Param("org")
	ctx := c.Request.Context()
	authed := false
	if token(c) != "" {
		if err := s.authorize(c, org); err != nil {
			s.fail(c, err)
			return
		}
		authed = true
	}
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	flows, err := s.store.ListFlows(ctx, org)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Kosli's filter: search_by_name, a substring, case-sensitive unless
	// case_sensitive=false.
	name := c.Query("search_by_name")
	ci := c.Query("case_sensitive") == "false"
	match := func(n string) bool {
		if ci {
			return strings.Contains(strings.ToLower(n), strings.ToLower(name))
		}
		return strings.Contains(n, name)
	}
	out := []api.Flow{}
	for _, f := range flows {
		// Anonymous callers see only public flows.
		if (authed || f.Visibility == model.VisibilityPublic) && match(f.Name) {
			out = append(out, api.FromFlow(f))
		}
	}
	total := len(out)
	setTotal(c, total)
	if c.Query("page") == "" && c.Query("per_page") == "" {
		writeJSON(c, http.StatusOK, out)
		return
	}
	lo := min(p.Offset(), total)
	writeJSON(c, http.StatusOK, api.FlowPage{Data: out[lo:min(lo+p.PerPage, total)],
		Pagination: api.Pagination{Page: p.Page, PageCount: pages(total, p.PerPage), Total: total}})
}

func (s *srv) getFlow(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.store.FindFlow(ctx, org, flow)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromFlow(f))
}

func (s *srv) flowMetrics(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	days := 30
	if v := c.Query("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			s.fail(c, model.Errorf(model.EINVALID, "query parameter days=%q must be an integer from 1 to 3650", v))
			return
		}
		days = n
	}
	ms, err := model.FlowDORA(ctx, s.store, org, flow, s.opts.Now(), days)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.DORAMetrics{}
	for _, m := range ms {
		out = append(out, api.FromDORA(m))
	}
	writeJSON(c, http.StatusOK, out)
}

// formValue returns a multipart (or urlencoded) field, or the raw body
// when the request is plain JSON, so clients may send either.
// dataJSON decodes the request's data_json (a multipart field, or the
// whole body when it is JSON) into v, with errors that name what.
func dataJSON(c *gin.Context, what string, v any) error {
	data, err := formValue(c, api.FieldDataJSON)
	if err != nil {
		return err
	}
	return unmarshal(data, what, v)
}

func formValue(c *gin.Context, field string) ([]byte, error) {
	ct := c.ContentType()
	if ct == "application/json" || ct == "" {
		data, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return nil, err
		}
		return data, nil
	}
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil {
		// A body too large, too slow or cut short is fail's to classify.
		if bodyError(err, 0) != nil {
			return nil, err
		}
		return nil, model.Errorf(model.EINVALID, "invalid multipart body: %v", err)
	}
	v := c.Request.FormValue(field)
	if v == "" {
		return nil, model.Errorf(model.EINVALID, "multipart field %s is required", field)
	}
	return []byte(v), nil
}
