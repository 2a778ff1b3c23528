package http

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

// readPart returns the named multipart file, or nil when absent.
func readPart(form *multipart.Form, field string) (*model.File, error) {
	if form == nil || len(form.File[field]) == 0 {
		return nil, nil
	}
	fh := form.File[field][0]
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return &model.File{Name: fh.Filename, Content: data}, nil
}

func (s *srv) attest(c *gin.Context) {
	org, flow, trail, typ := c.Param("org"), c.Param("flow"), c.Param("trail"), c.Param("type")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	if !slices.Contains(model.AttestKinds, typ) {
		s.fail(c, model.Errorf(model.EINVALID, "unknown attestation type %q: want one of %s", typ, strings.Join(model.AttestKinds, ", ")))
		return
	}
	var req api.AttestationData
	if err := dataJSON(c, "attest "+typ, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.AttestationName == "" {
		s.fail(c, model.Errorf(model.EINVALID, "attest %s: attestation_name is required", typ))
		return
	}
	form := c.Request.MultipartForm
	attachment, err := readPart(form, api.FieldAttachment)
	if err != nil {
		s.fail(c, err)
		return
	}
	junitFile, err := readPart(form, api.FieldJUnitFile)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	fp, err := s.bindTarget(ctx, org, flow, trail, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	e := model.Evidence{
		Flow: flow, Trail: trail, Fingerprint: fp, Name: req.AttestationName, Type: typ,
		Description: req.Description, CreatedAt: s.opts.Now(),
	}
	switch typ {
	case model.EvidenceGeneric:
		e.Compliant = req.IsCompliant == nil || *req.IsCompliant
		e.Data = req.UserData
	case model.EvidenceJUnit:
		suites := req.JUnitResults
		if suites == nil {
			xmlFile := junitFile
			if xmlFile == nil && attachment != nil && strings.HasSuffix(strings.ToLower(attachment.Name), ".xml") {
				xmlFile = attachment
			}
			if xmlFile == nil {
				s.fail(c, model.Errorf(model.EINVALID, "attest junit: send junit_results in %s or a JUnit XML file in %s", api.FieldDataJSON, api.FieldJUnitFile))
				return
			}
			if suites, err = model.ParseJUnit(xmlFile.Name, xmlFile.Content); err != nil {
				s.fail(c, err)
				return
			}
			if junitFile != nil {
				e.Files = append(e.Files, *junitFile)
			}
		}
		model.NormalizeJUnit(suites)
		e.Compliant = model.JUnitCompliant(suites)
		e.Data, _ = json.Marshal(map[string]any{"junit_results": suites})
	case model.EvidenceSimulator:
		report := req.SimulatorReport
		if len(report) == 0 {
			report = req.UserData
		}
		if len(report) == 0 {
			s.fail(c, model.Errorf(model.EINVALID, "attest simulator: simulator_report (the simulator's JSON report) is required"))
			return
		}
		// The report is always the simulator's document; is_compliant,
		// when sent, overrides its verdict.
		ok, err := api.SimulatorVerdict(report)
		if err != nil {
			s.fail(c, model.Errorf(model.EINVALID, "attest simulator: %s", model.ErrorMessage(err)))
			return
		}
		e.Compliant = ok
		if req.IsCompliant != nil {
			e.Compliant = *req.IsCompliant
		}
		e.Data = report
	case model.EvidenceSnyk:
		if len(nullToNil(req.SnykResults)) == 0 {
			s.fail(c, model.Errorf(model.EINVALID, "attest snyk: snyk_results (the summary of a Snyk SARIF report) is required"))
			return
		}
		ok, err := model.SnykCompliant(req.SnykResults)
		if err != nil {
			s.fail(c, err)
			return
		}
		e.Compliant, e.Data = ok, req.SnykResults
	case model.EvidenceCustom:
		if req.TypeName == "" {
			s.fail(c, model.Errorf(model.EINVALID, "attest custom: type_name (a custom attestation type) is required"))
			return
		}
		at, err := s.store.FindAttestationType(ctx, org, req.TypeName)
		if err != nil {
			s.fail(c, err)
			return
		}
		ct, err := at.Compile()
		if err != nil {
			s.fail(c, err)
			return
		}
		ok, _, err := ct.Evaluate(req.AttestationData)
		if err != nil {
			s.fail(c, model.Errorf(model.EINVALID, "attest custom %s: %s", req.TypeName, model.ErrorMessage(err)))
			return
		}
		e.Type, e.Compliant, e.Data = model.EvidenceCustom+":"+at.Name, ok, req.AttestationData
		if len(e.Data) == 0 {
			e.Data = json.RawMessage("null")
		}
	case model.EvidenceCoverage:
		switch {
		case req.IsCompliant != nil:
			e.Compliant = *req.IsCompliant
		case req.CoveragePercent != nil && req.MinCoveragePercent != nil:
			e.Compliant = *req.CoveragePercent >= *req.MinCoveragePercent
		default:
			e.Compliant = true
		}
		cov := map[string]any{}
		if req.CoveragePercent != nil {
			if *req.CoveragePercent < 0 || *req.CoveragePercent > 100 {
				s.fail(c, model.Errorf(model.EINVALID, "attest coverage: coverage_percent %.2f is not between 0 and 100", *req.CoveragePercent))
				return
			}
			cov["coverage_percent"] = *req.CoveragePercent
		}
		if req.MinCoveragePercent != nil {
			cov["min_coverage_percent"] = *req.MinCoveragePercent
		}
		e.Data, _ = json.Marshal(cov)
	}
	if attachment != nil {
		e.Files = append(e.Files, *attachment)
	}
	e, err = s.store.AddEvidence(ctx, org, e)
	if model.IsNotFound(err) && e.Fingerprint != "" {
		if _, ferr := s.store.FindFlow(ctx, org, flow); ferr == nil {
			// Kosli's words, which its CLI's tests match byte for byte.
			err = model.Errorf(model.ENOTFOUND, "Artifact with fingerprint %s does not exist in trail %q of flow %q belonging to organization %q", e.Fingerprint, trail, flow, org)
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusCreated, api.FromEvidence(e))
}

// bindTarget is the fingerprint an attestation binds to: the one it names,
// else the artifact of the trail whose template name target_artifacts
// names (Kosli's --name ARTIFACT.ATTESTATION), else none (the trail).
func (s *srv) bindTarget(ctx context.Context, org, flow, trail string, req api.AttestationData) (string, error) {
	switch {
	case len(req.TargetArtifacts) > 1:
		return "", model.Errorf(model.EINVALID, "attest: target_artifacts names %d artifacts; name one", len(req.TargetArtifacts))
	case len(req.TargetArtifacts) == 0 || req.ArtifactFingerprint != "":
		return req.ArtifactFingerprint, nil
	}
	name := req.TargetArtifacts[0]
	arts, _, err := s.store.ListArtifacts(ctx, org, model.ArtifactFilter{Flow: flow, Trail: trail, TemplateName: name, Page: model.Page{PerPage: 2}})
	if err != nil {
		return "", err
	}
	switch len(arts) {
	case 0:
		return "", model.Errorf(model.ENOTFOUND, "no artifact named %q (template_reference_name) in trail %q of flow %q: attest the artifact first, or give its fingerprint", name, trail, flow)
	case 1:
		return arts[0].Fingerprint, nil
	}
	return "", model.Errorf(model.EINVALID, "trail %q of flow %q holds several artifacts named %q: give the fingerprint", trail, flow, name)
}

// getTrailAttestations is get attestation by name on a trail: every
// attestation of that name, oldest first (a bare array, [] when none).
func (s *srv) getTrailAttestations(c *gin.Context) {
	s.listAttestations(c, model.EvidenceFilter{Flow: c.Param("flow"), Trail: c.Param("trail")})
}

// getArtifactAttestations is get attestation by name on an artifact.
func (s *srv) getArtifactAttestations(c *gin.Context) {
	fp, err := model.NormalizeFingerprint(c.Param("fp"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.listAttestations(c, model.EvidenceFilter{Flow: c.Param("flow"), Fingerprint: fp})
}

func (s *srv) listAttestations(c *gin.Context, f model.EvidenceFilter) {
	org, name := c.Param("org"), c.Param("name")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, f.Flow); err != nil {
		s.fail(c, err)
		return
	}
	if f.Trail != "" {
		if _, err := s.store.FindTrail(ctx, org, f.Flow, f.Trail); err != nil {
			s.fail(c, err)
			return
		}
	}
	evs, err := s.store.ListEvidence(ctx, org, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := []api.Attestation{}
	for _, e := range evs {
		if e.Name == name {
			out = append(out, s.attestation(c, org, e))
		}
	}
	writeJSON(c, http.StatusOK, out)
}

// getAttestationByID is get attestation by id: {"data": [...]}, empty for
// an unknown id.
func (s *srv) getAttestationByID(c *gin.Context) {
	org := c.Param("org")
	ctx := c.Request.Context()
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	raw := c.Query("attestation_id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		s.fail(c, model.Errorf(model.EINVALID, "attestation_id=%q: want an attestation's id (a positive integer)", raw))
		return
	}
	out := api.AttestationPage{Data: []api.Attestation{}}
	e, err := s.store.FindEvidence(ctx, org, id)
	switch {
	case model.IsNotFound(err):
	case err != nil:
		s.fail(c, err)
		return
	default:
		out.Data = append(out.Data, s.attestation(c, org, e))
	}
	writeJSON(c, http.StatusOK, out)
}

// attestation converts evidence with its page and its attachments' URLs.
func (s *srv) attestation(c *gin.Context, org string, e model.Evidence) api.Attestation {
	page := ""
	if e.Fingerprint != "" {
		page = htmlURL(c, org, model.Artifact{Flow: e.Flow, Fingerprint: e.Fingerprint})
	}
	return api.FromAttestation(e, page, func(e model.Evidence, name string) string {
		return AttachmentURL(scheme(c)+"://"+c.Request.Host, org, e.Flow, e.ID, name)
	})
}

// AttachmentURL is where an attestation's attached file is downloaded:
// GET /api/v2/attestations/{org}/{flow}/attachment/{id}/{name}.
func AttachmentURL(host, org, flow string, id int64, name string) string {
	return host + api.Prefix + "/attestations/" + url.PathEscape(org) + "/" + url.PathEscape(flow) + "/attachment/" + strconv.FormatInt(id, 10) + "/" + url.PathEscape(name)
}

// getAttachment serves one attached file as a download (never rendered
// as a page of the tracker's origin: it is the reporter's content).
func (s *srv) getAttachment(c *gin.Context) {
	org, flow := c.Param("org"), c.Param("flow")
	ctx := c.Request.Context()
	if err := s.authorizeRead(ctx, c, org, flow); err != nil {
		s.fail(c, err)
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, model.Errorf(model.EINVALID, "attestation id %q is not a number", c.Param("id")))
		return
	}
	e, err := s.store.FindEvidence(ctx, org, id)
	if err == nil && e.Flow != flow {
		err = model.Errorf(model.ENOTFOUND, "attestation %d not found in flow %s", id, flow)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, f := range e.Files {
		if f.Name == c.Param("name") {
			c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
			c.Header("X-Content-Type-Options", "nosniff")
			c.Header("Content-Security-Policy", "sandbox")
			c.Data(http.StatusOK, "application/octet-stream", f.Content)
			return
		}
	}
	s.fail(c, model.Errorf(model.ENOTFOUND, "attestation %d has no attachment %q", id, c.Param("name")))
}

// putAttestationType is create attestation-type: data_json {name,
// description, evaluator: {content_type: jq, rules}} and an optional
// type_schema file. A schema that is not a JSON Schema or a rule that is
// not jq is a 400 and nothing is stored.
func (s *srv) putAttestationType(c *gin.Context) {
	org := c.Param("org")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	var req api.AttestationTypeRequest
	if err := dataJSON(c, "create attestation-type", &req); err != nil {
		s.fail(c, err)
		return
	}
	t := model.AttestationType{Name: req.Name, Description: req.Description, CreatedAt: s.opts.Now()}
	if req.Evaluator != nil {
		if req.Evaluator.ContentType != "" && req.Evaluator.ContentType != "jq" {
			s.fail(c, model.Errorf(model.EINVALID, "create attestation-type %s: evaluator content_type %q: only jq is supported", req.Name, req.Evaluator.ContentType))
			return
		}
		t.Rules = req.Evaluator.Rules
	}
	schema, err := readPart(c.Request.MultipartForm, api.FieldTypeSchema)
	if err != nil {
		s.fail(c, err)
		return
	}
	if schema != nil {
		t.Schema = schema.Content
	}
	if _, err := t.Compile(); err != nil {
		s.fail(c, err)
		return
	}
	t, created, err := s.store.PutAttestationType(c.Request.Context(), org, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, createdOr(created), api.FromAttestationType(t))
}

func (s *srv) getAttestationType(c *gin.Context) {
	org := c.Param("org")
	if err := s.authorize(c, org); err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.FindAttestationType(c.Request.Context(), org, c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, api.FromAttestationType(t))
}
