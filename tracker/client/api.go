package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/minitwit-cd/kit/tracker/api"
)

// v2 builds an /api/v2 URL from unescaped segments.
func (c *Client) v2(q url.Values, segments ...string) string {
	return c.URL(q, append([]string{"api", "v2"}, segments...)...)
}

func (c *Client) get(ctx context.Context, rawURL string, out any) error {
	_, err := c.Do(ctx, Request{Method: http.MethodGet, URL: rawURL}, out)
	return err
}

func (c *Client) send(ctx context.Context, r Request, err error, out any) (bool, error) {
	if err != nil {
		return false, err
	}
	status, err := c.Do(ctx, r, out)
	return status == http.StatusCreated, err
}

func pageQuery(page, perPage int) url.Values {
	q := url.Values{}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(perPage))
	}
	return q
}

// Ready checks the server answers GET /ready with 200.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.Do(ctx, Request{Method: http.MethodGet, URL: c.URL(nil, "ready")}, nil)
	return err
}

// PutFlowRequest builds create flow (PUT /api/v2/flows/{org}).
func (c *Client) PutFlowRequest(f api.Flow) (Request, error) {
	return c.JSONRequest(http.MethodPut, c.v2(nil, "flows", c.org), f)
}

// PutFlowTemplateRequest builds create flow with a YAML template file.
func (c *Client) PutFlowTemplateRequest(f api.Flow, template []byte, filename string) (Request, error) {
	return c.MultipartRequest(http.MethodPut, c.v2(nil, "flows", c.org, "template_file"), f,
		File{Field: api.FieldTemplateFile, Name: filename, Content: template})
}

// PutFlow creates or updates a flow; created reports a 201.
func (c *Client) PutFlow(ctx context.Context, f api.Flow) (out api.Flow, created bool, err error) {
	r, err := c.PutFlowRequest(f)
	created, err = c.send(ctx, r, err, &out)
	return out, created, err
}

// ListFlows lists the org's flows.
func (c *Client) ListFlows(ctx context.Context) ([]api.Flow, error) {
	var out []api.Flow
	return out, c.get(ctx, c.v2(nil, "flows", c.org), &out)
}

// GetFlow returns one flow.
func (c *Client) GetFlow(ctx context.Context, flow string) (api.Flow, error) {
	var out api.Flow
	return out, c.get(ctx, c.v2(nil, "flows", c.org, flow), &out)
}

// FlowMetrics returns the flow's DORA metrics per environment over days.
func (c *Client) FlowMetrics(ctx context.Context, flow string, days int) ([]api.DORAMetrics, error) {
	q := url.Values{}
	if days > 0 {
		q.Set("days", strconv.Itoa(days))
	}
	var out []api.DORAMetrics
	return out, c.get(ctx, c.v2(q, "flows", c.org, flow, "metrics"), &out)
}

// PutEnvironmentRequest builds create environment.
func (c *Client) PutEnvironmentRequest(e api.Environment) (Request, error) {
	return c.JSONRequest(http.MethodPut, c.v2(nil, "environments", c.org), e)
}

// PutEnvironment creates or updates an environment.
func (c *Client) PutEnvironment(ctx context.Context, e api.Environment) (out api.Environment, created bool, err error) {
	r, err := c.PutEnvironmentRequest(e)
	created, err = c.send(ctx, r, err, &out)
	return out, created, err
}

// ListEnvironments lists the org's environments.
func (c *Client) ListEnvironments(ctx context.Context) ([]api.Environment, error) {
	var out []api.Environment
	return out, c.get(ctx, c.v2(nil, "environments", c.org), &out)
}

// GetEnvironment returns one environment.
func (c *Client) GetEnvironment(ctx context.Context, env string) (api.Environment, error) {
	var out api.Environment
	return out, c.get(ctx, c.v2(nil, "environments", c.org, env), &out)
}

// Events returns a page of an environment's derived events, newest first
// (oldest first when reverse), as Kosli's log environment lists them.
func (c *Client) Events(ctx context.Context, env string, page, perPage int, reverse bool) ([]api.Event, error) {
	q := pageQuery(page, perPage)
	if reverse {
		q.Set("reverse", "true")
	}
	var out []api.Event
	return out, c.get(ctx, c.v2(q, "environments", c.org, env, "events"), &out)
}

// ReportSnapshotRequest builds a snapshot report; kind is the reporter
// (docker, server, …).
func (c *Client) ReportSnapshotRequest(env, kind string, r api.SnapshotReportRequest) (Request, error) {
	if r.Artifacts == nil {
		r.Artifacts = []api.ReportArtifact{}
	}
	return c.JSONRequest(http.MethodPut, c.v2(nil, "environments", c.org, env, "report", kind), r)
}

// ReportSnapshot reports what runs in env.
func (c *Client) ReportSnapshot(ctx context.Context, env, kind string, r api.SnapshotReportRequest) (api.SnapshotReportResponse, error) {
	var out api.SnapshotReportResponse
	req, err := c.ReportSnapshotRequest(env, kind, r)
	_, err = c.send(ctx, req, err, &out)
	return out, err
}

// BeginTrailRequest builds begin trail (multipart data_json, as Kosli).
func (c *Client) BeginTrailRequest(flow string, t api.Trail) (Request, error) {
	return c.MultipartRequest(http.MethodPut, c.v2(nil, "trails", c.org, flow), t)
}

// BeginTrail begins (or finds) a trail.
func (c *Client) BeginTrail(ctx context.Context, flow string, t api.Trail) (out api.Trail, created bool, err error) {
	r, err := c.BeginTrailRequest(flow, t)
	created, err = c.send(ctx, r, err, &out)
	return out, created, err
}

// AttestArtifactRequest builds attest artifact.
func (c *Client) AttestArtifactRequest(flow string, a api.ArtifactRequest) (Request, error) {
	return c.JSONRequest(http.MethodPost, c.v2(nil, "artifacts", c.org, flow), a)
}

// AttestArtifact records an artifact; created is false when it was known.
func (c *Client) AttestArtifact(ctx context.Context, flow string, a api.ArtifactRequest) (out api.Artifact, created bool, err error) {
	r, err := c.AttestArtifactRequest(flow, a)
	created, err = c.send(ctx, r, err, &out)
	return out, created, err
}

// ListArtifacts lists a page of artifacts (of one flow when flow != "").
func (c *Client) ListArtifacts(ctx context.Context, flow string, page, perPage int) ([]api.Artifact, error) {
	q := pageQuery(page, perPage)
	if flow != "" {
		q.Set("flow_name", flow)
	}
	var out []api.Artifact
	return out, c.get(ctx, c.v2(q, "artifacts", c.org), &out)
}

// ArtifactByFingerprint returns the flow's artifact whose fingerprint
// starts with prefix.
func (c *Client) ArtifactByFingerprint(ctx context.Context, flow, prefix string) (api.Artifact, error) {
	var out api.Artifact
	return out, c.get(ctx, c.v2(nil, "artifacts", c.org, flow, "fingerprint", prefix), &out)
}

// ArtifactsByCommit returns the flow's artifacts whose commit starts with
// prefix.
func (c *Client) ArtifactsByCommit(ctx context.Context, flow, prefix string) ([]api.Artifact, error) {
	var out []api.Artifact
	return out, c.get(ctx, c.v2(nil, "artifacts", c.org, flow, "commit_sha", prefix), &out)
}

// AttestRequest builds an attestation of type kind (generic, junit,
// simulator, coverage) on a trail, with optional files.
func (c *Client) AttestRequest(flow, trail, kind string, d api.AttestationData, files ...File) (Request, error) {
	return c.MultipartRequest(http.MethodPost, c.v2(nil, "attestations", c.org, flow, "trail", trail, kind), d, files...)
}

// Attest records an attestation.
func (c *Client) Attest(ctx context.Context, flow, trail, kind string, d api.AttestationData, files ...File) (api.EvidenceSummary, error) {
	var out api.EvidenceSummary
	r, err := c.AttestRequest(flow, trail, kind, d, files...)
	_, err = c.send(ctx, r, err, &out)
	return out, err
}

// ReportDeploymentRequest builds report deployment.
func (c *Client) ReportDeploymentRequest(flow string, d api.DeploymentRequest) (Request, error) {
	return c.JSONRequest(http.MethodPost, c.v2(nil, "deployments", c.org, flow), d)
}

// ReportDeployment records a deployment and returns it with its number.
func (c *Client) ReportDeployment(ctx context.Context, flow string, d api.DeploymentRequest) (api.Deployment, error) {
	var out api.Deployment
	r, err := c.ReportDeploymentRequest(flow, d)
	_, err = c.send(ctx, r, err, &out)
	return out, err
}

// SetDeploymentStatusRequest builds a deployment status change.
func (c *Client) SetDeploymentStatusRequest(flow string, number int, status string) (Request, error) {
	return c.JSONRequest(http.MethodPut, c.v2(nil, "deployments", c.org, flow, strconv.Itoa(number), "status"), api.DeploymentStatusRequest{Status: status})
}

// SetDeploymentStatus marks deployment #number (failed, rolled_back …).
func (c *Client) SetDeploymentStatus(ctx context.Context, flow string, number int, status string) (api.Deployment, error) {
	var out api.Deployment
	r, err := c.SetDeploymentStatusRequest(flow, number, status)
	_, err = c.send(ctx, r, err, &out)
	return out, err
}

// ListDeployments lists a flow's deployments.
func (c *Client) ListDeployments(ctx context.Context, flow string) ([]api.Deployment, error) {
	var out []api.Deployment
	return out, c.get(ctx, c.v2(nil, "deployments", c.org, flow), &out)
}

// ListSnapshots lists a page of an environment's snapshots, newest first.
func (c *Client) ListSnapshots(ctx context.Context, env string, page, perPage int) ([]api.SnapshotSummary, error) {
	var out []api.SnapshotSummary
	return out, c.get(ctx, c.v2(pageQuery(page, perPage), "snapshots", c.org, env), &out)
}

// GetSnapshot returns one snapshot; ref is the part of a snapshot
// expression after the environment ("" or "-1" for the latest, "#65",
// "~2", "@{2026-11-02T12:00:00}").
func (c *Client) GetSnapshot(ctx context.Context, env, ref string) (api.Snapshot, error) {
	if ref == "" {
		ref = "-1"
	}
	var out api.Snapshot
	return out, c.get(ctx, c.v2(nil, "snapshots", c.org, env, ref), &out)
}

// DiffSnapshots compares two snapshot expressions (ENV#N, ENV~N, ENV …).
func (c *Client) DiffSnapshots(ctx context.Context, snappish1, snappish2 string) (api.SnapshotDiff, error) {
	q := url.Values{}
	q.Set("snappish1", snappish1)
	q.Set("snappish2", snappish2)
	var out api.SnapshotDiff
	return out, c.get(ctx, c.v2(q, "env-diff", c.org), &out)
}

// String describes the client for messages.
func (c *Client) String() string { return fmt.Sprintf("%s (org %s)", c.host, c.org) }

// AssertArtifact asks whether the artifact with fingerprint (64 hex
// digits) may go on: GET /api/v2/asserts/{org}/fingerprint/{fp}, Kosli's
// assert artifact and the pipeline's deploy gate.
//
//	a, err := c.AssertArtifact(ctx, fp, "minitwit", "production")
//	if err != nil { … } // unknown artifact, flow or environment (404), bad fingerprint (400), unreachable
//	if !a.Compliant { … } // refused: a.Flows[i].ComplianceStatus says which attestation is missing or failing
//
// flow narrows the question to that flow ("" asks every flow of the org
// holding the artifact); environment, when not "", asks in environment
// scope (the environment must exist). A non-compliant artifact is a nil
// error with Compliant false: the verdict, not a failure of the call.
func (c *Client) AssertArtifact(ctx context.Context, fingerprint, flow, environment string) (api.ArtifactAssertion, error) {
	q := url.Values{}
	if flow != "" {
		q.Set("flow_name", flow)
	}
	if environment != "" {
		q.Set("environment_name", environment)
	}
	var out api.ArtifactAssertion
	return out, c.get(ctx, c.v2(q, "asserts", c.org, "fingerprint", fingerprint), &out)
}

// GetTrail returns a trail with its artifacts' and attestations'
// compliance and its events (GET /api/v2/trails/{org}/{flow}/{trail}).
func (c *Client) GetTrail(ctx context.Context, flow, trail string) (api.TrailView, error) {
	var out api.TrailView
	return out, c.get(ctx, c.v2(nil, "trails", c.org, flow, trail), &out)
}

// ListTrails returns a page of trails, newest first: of flow ("" for the
// whole org), holding fingerprint when not "".
func (c *Client) ListTrails(ctx context.Context, flow, fingerprint string, page, perPage int) (api.TrailPage, error) {
	q := pageQuery(max(page, 1), max(perPage, 20))
	if flow != "" {
		q.Set("flow", flow)
	}
	if fingerprint != "" {
		q.Set("fingerprint", fingerprint)
	}
	var out api.TrailPage
	return out, c.get(ctx, c.v2(q, "trails", c.org), &out)
}

// Search resolves a commit or fingerprint prefix (at least 5 hex digits)
// to the org's artifacts with it.
func (c *Client) Search(ctx context.Context, value string) (api.SearchResponse, error) {
	var out api.SearchResponse
	return out, c.get(ctx, c.v2(nil, "search", c.org, "sha", value), &out)
}

// TrailAttestations returns the attestations named name on a trail,
// oldest first.
func (c *Client) TrailAttestations(ctx context.Context, flow, trail, name string) ([]api.Attestation, error) {
	var out []api.Attestation
	return out, c.get(ctx, c.v2(nil, "attestations", c.org, flow, "trail", trail, name), &out)
}

// ArtifactAttestations returns the attestations named name on the flow's
// artifact with fingerprint, oldest first.
func (c *Client) ArtifactAttestations(ctx context.Context, flow, fingerprint, name string) ([]api.Attestation, error) {
	var out []api.Attestation
	return out, c.get(ctx, c.v2(nil, "attestations", c.org, flow, "artifact", fingerprint, name), &out)
}

// Attestation returns one attestation by id (an empty Data when unknown).
func (c *Client) Attestation(ctx context.Context, id string) (api.AttestationPage, error) {
	var out api.AttestationPage
	return out, c.get(ctx, c.v2(url.Values{"attestation_id": {id}}, "attestations", c.org), &out)
}

// PutAttestationTypeRequest builds create attestation-type (multipart
// data_json and, when schema is not nil, the type_schema file).
func (c *Client) PutAttestationTypeRequest(t api.AttestationTypeRequest, schema []byte, schemaName string) (Request, error) {
	var files []File
	if schema != nil {
		files = append(files, File{Field: api.FieldTypeSchema, Name: schemaName, Content: schema})
	}
	return c.MultipartRequest(http.MethodPost, c.v2(nil, "custom-attestation-types", c.org), t, files...)
}
