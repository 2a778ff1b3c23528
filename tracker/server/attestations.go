package server

import (
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
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
	known := false
	for _, t := range model.EvidenceTypes {
		known = known || t == typ
	}
	if !known {
		s.fail(c, model.Errorf(model.EINVALID, "unknown attestation type %q: want one of %s", typ, strings.Join(model.EvidenceTypes, ", ")))
		return
	}
	data, err := formValue(c, api.FieldDataJSON)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req api.AttestationData
	if err := unmarshal(data, "attest "+typ, &req); err != nil {
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
	e := model.Evidence{
		Flow: flow, Trail: trail, Fingerprint: req.ArtifactFingerprint, Name: req.AttestationName, Type: typ,
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
		switch {
		case req.IsCompliant != nil:
			e.Compliant = *req.IsCompliant
		default:
			ok, err := model.SimulatorCompliant(report)
			if err != nil {
				s.fail(c, model.Errorf(model.EINVALID, "attest simulator: %s", model.ErrorMessage(err)))
				return
			}
			e.Compliant = ok
		}
		e.Data = report
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
	e, err = s.store.AddEvidence(c.Request.Context(), org, e)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeJSON(c, http.StatusCreated, api.FromEvidence(e))
}
