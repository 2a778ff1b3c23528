// Package api holds the tracker's wire types: the JSON bodies of the
// /api/v2 routes, shaped like Kosli's API so that Kosli's own CLI can talk
// to a self-hosted tracker, and the conversions from the domain
// (tracker/model). The server encodes these types and tracker/client
// decodes them.
//
// Times are Unix seconds as JSON numbers (float64), as Kosli sends them.
// Slices and maps in responses are never null: the From* constructors
// always allocate them.
package api

import (
	"encoding/json"
	"math"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// Unix converts t to the wire time (Unix seconds); the zero time is 0.
func Unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// orEmpty returns s, or an empty slice when s is nil, so that the field
// is written as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Time converts a wire time back, to the microsecond (what a float64 of
// Unix seconds holds exactly); 0 is the zero time.
func Time(f float64) time.Time {
	if f == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(math.Round(f * 1e6))).UTC()
}

// Error is the body of every error response.
type Error struct {
	Message string `json:"message"`
}

// Routes and multipart field names shared by server and client.
const (
	// Prefix is the root of the API routes.
	Prefix = "/api/v2"
	// FieldDataJSON is the multipart field holding the JSON body.
	FieldDataJSON = "data_json"
	// FieldAttachment is the optional attachment file of an attestation.
	FieldAttachment = "attachment_file"
	// FieldJUnitFile is a JUnit XML file the server parses when the
	// data_json carries no junit_results.
	FieldJUnitFile = "junit_file"
	// FieldTemplateFile is the YAML template of create flow.
	FieldTemplateFile = "template_file"
	// HeaderTotalCount carries the total number of items of a paged list.
	HeaderTotalCount = "X-Total-Count"
)

// Flow is a flow, in create requests (PUT /api/v2/flows/{org}) and in
// responses.
type Flow struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Visibility  string            `json:"visibility"`
	Template    []string          `json:"template"`
	Tags        map[string]string `json:"tags"`
	CreatedAt   float64           `json:"created_at,omitempty"`
}

// FromFlow converts a domain flow.
func FromFlow(f model.Flow) Flow {
	return Flow{Name: f.Name, Description: f.Description, Visibility: f.Visibility, Template: orEmpty(f.Template), Tags: map[string]string{}, CreatedAt: Unix(f.CreatedAt)}
}

// Environment is an environment in create requests
// (PUT /api/v2/environments/{org}) and responses. IncludeScaling defaults
// to true when absent from a request. In responses, state is true or false
// (the latest snapshot's compliance) or null before the first snapshot,
// and the two times are null until set: Kosli's CLI asserts those types.
type Environment struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	// Visibility is public or private (the default when absent).
	Visibility     string `json:"visibility,omitempty"`
	IncludeScaling *bool  `json:"include_scaling,omitempty"`
	// IncludedEnvironments are the physical environments a logical one
	// is made of.
	IncludedEnvironments []string `json:"included_environments,omitempty"`
	// RequireProvenance is accepted from Kosli's CLI and not used.
	RequireProvenance *bool             `json:"require_provenance,omitempty"`
	Tags              map[string]string `json:"tags"`
	Policies          []string          `json:"policies"`
	CreatedAt         float64           `json:"created_at,omitempty"`
	LastReportedAt    *float64          `json:"last_reported_at"`
	LastModifiedAt    *float64          `json:"last_modified_at"`
	// Snapshots is how many snapshots exist (the latest's index).
	Snapshots int   `json:"snapshots"`
	State     *bool `json:"state"`
}

// UnixOrNull is Unix(t), or nil (JSON null) for the zero time.
func UnixOrNull(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := Unix(t)
	return &v
}

// TimeOrZero converts a nullable wire time back; nil is the zero time.
func TimeOrZero(f *float64) time.Time {
	if f == nil {
		return time.Time{}
	}
	return Time(*f)
}

// FromEnvironment converts a domain environment; compliant is the latest
// snapshot's compliance, nil when it has none.
func FromEnvironment(e model.Environment, compliant *bool) Environment {
	inc := e.IncludeScaling
	return Environment{
		Name: e.Name, Type: e.Type, Description: e.Description, Visibility: e.Visibility, IncludeScaling: &inc,
		IncludedEnvironments: e.Included,
		Tags:                 map[string]string{}, Policies: []string{}, CreatedAt: Unix(e.CreatedAt),
		LastReportedAt: UnixOrNull(e.LastReportedAt), LastModifiedAt: UnixOrNull(e.LastChangedAt),
		Snapshots: e.Snapshots, State: compliant,
	}
}

// Trail is the data_json of begin trail (PUT /api/v2/trails/{org}/{flow}),
// as Kosli's CLI sends it: the commit is git_commit_info.sha1 (or our
// git_commit); user_data, repo_info, external_urls and origin_url are kept
// as sent.
type Trail struct {
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	GitCommit     string          `json:"git_commit,omitempty"`
	GitCommitInfo json.RawMessage `json:"git_commit_info,omitempty"`
	UserData      json.RawMessage `json:"user_data,omitempty"`
	RepoInfo      json.RawMessage `json:"repo_info,omitempty"`
	ExternalURLs  json.RawMessage `json:"external_urls,omitempty"`
	OriginURL     string          `json:"origin_url,omitempty"`
	CreatedAt     float64         `json:"created_at,omitempty"`
}

// GitCommitInfo is the commit information of attest artifact.
type GitCommitInfo struct {
	Sha1      string `json:"sha1"`
	Message   string `json:"message"`
	Author    string `json:"author"`
	Branch    string `json:"branch"`
	URL       string `json:"url"`
	Timestamp int64  `json:"timestamp"` // Unix seconds
}

// ArtifactRequest is the body of attest artifact
// (POST /api/v2/artifacts/{org}/{flow}).
type ArtifactRequest struct {
	Fingerprint           string         `json:"fingerprint"`
	Filename              string         `json:"filename"`
	GitCommit             string         `json:"git_commit"`
	GitCommitInfo         *GitCommitInfo `json:"git_commit_info,omitempty"`
	BuildURL              string         `json:"build_url"`
	CommitURL             string         `json:"commit_url"`
	RepoURL               string         `json:"repo_url"`
	TemplateReferenceName string         `json:"template_reference_name"`
	TrailName             string         `json:"trail_name"`
	// Kosli's CLI also sends these; they are accepted and not stored.
	RepoInfo     json.RawMessage   `json:"repo_info,omitempty"`
	ExternalURLs json.RawMessage   `json:"external_urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// HistoryItem is one line of an artifact's history.
type HistoryItem struct {
	Event     string  `json:"event"`
	Timestamp float64 `json:"timestamp"`
}

// EnvSnapshot names a snapshot an artifact runs or ran in.
type EnvSnapshot struct {
	EnvironmentName string  `json:"environment_name"`
	SnapshotIndex   int     `json:"snapshot_index"`
	Timestamp       float64 `json:"timestamp"`
}

// EvidenceSummary is one attestation as listed in an artifact.
type EvidenceSummary struct {
	Name        string          `json:"attestation_name"`
	Type        string          `json:"attestation_type"`
	IsCompliant bool            `json:"is_compliant"`
	Description string          `json:"description"`
	CreatedAt   float64         `json:"created_at"`
	TrailName   string          `json:"trail_name"`
	Fingerprint string          `json:"artifact_fingerprint"`
	Data        json.RawMessage `json:"user_data,omitempty"`
	Files       []string        `json:"files"`
}

// FromEvidence converts domain evidence (files by name only).
func FromEvidence(e model.Evidence) EvidenceSummary {
	files := []string{}
	for _, f := range e.Files {
		files = append(files, f.Name)
	}
	return EvidenceSummary{Name: e.Name, Type: e.Type, IsCompliant: e.Compliant, Description: e.Description,
		CreatedAt: Unix(e.CreatedAt), TrailName: e.Trail, Fingerprint: e.Fingerprint, Data: e.Data, Files: files}
}

// Deployment is a deployment as listed and as returned by report
// deployment.
type Deployment struct {
	Number          int     `json:"deployment_id"`
	Flow            string  `json:"flow_name"`
	Fingerprint     string  `json:"artifact_fingerprint"`
	ArtifactName    string  `json:"artifact_name"`
	GitCommit       string  `json:"git_commit"`
	Environment     string  `json:"environment"`
	Description     string  `json:"description"`
	BuildURL        string  `json:"build_url"`
	Status          string  `json:"status"`
	CreatedAt       float64 `json:"created_at"`
	StatusUpdatedAt float64 `json:"status_updated_at"`
}

// FromDeployment converts a domain deployment.
func FromDeployment(d model.Deployment) Deployment {
	return Deployment{Number: d.Number, Flow: d.Flow, Fingerprint: d.Fingerprint, ArtifactName: d.ArtifactName, GitCommit: d.GitCommit,
		Environment: d.Environment, Description: d.Description, BuildURL: d.BuildURL, Status: d.Status,
		CreatedAt: Unix(d.CreatedAt), StatusUpdatedAt: Unix(d.StatusAt)}
}

// Artifact is an artifact as returned by get artifact and list artifacts:
// Kosli's field names, with running, exited, history, evidence and
// deployments always arrays and tags always an object.
type Artifact struct {
	Name        string            `json:"filename"`
	Flow        string            `json:"flow_name"`
	Fingerprint string            `json:"fingerprint"`
	GitCommit   string            `json:"git_commit"`
	CommitURL   string            `json:"commit_url"`
	BuildURL    string            `json:"build_url"`
	RepoURL     string            `json:"repo_url"`
	HTMLURL     string            `json:"html_url"`
	TrailName   string            `json:"trail_name"`
	CreatedAt   float64           `json:"created_at"`
	CommitAt    float64           `json:"commit_timestamp"`
	State       string            `json:"state"`
	Template    []string          `json:"template"`
	Tags        map[string]string `json:"tags"`
	Running     []EnvSnapshot     `json:"running"`
	Exited      []EnvSnapshot     `json:"exited"`
	History     []HistoryItem     `json:"history"`
	Evidence    []EvidenceSummary `json:"evidence"`
	Deployments []Deployment      `json:"deployments"`
}

// FromArtifactView converts a full artifact view; htmlURL may be "".
func FromArtifactView(v model.ArtifactView, htmlURL string) Artifact {
	a := FromArtifact(v.Artifact, htmlURL)
	a.State = v.State
	if v.Template != nil {
		a.Template = v.Template
	}
	for _, r := range v.Running {
		a.Running = append(a.Running, EnvSnapshot{EnvironmentName: r.Environment, SnapshotIndex: r.SnapshotIndex, Timestamp: Unix(r.At)})
	}
	for _, r := range v.Exited {
		a.Exited = append(a.Exited, EnvSnapshot{EnvironmentName: r.Environment, SnapshotIndex: r.SnapshotIndex, Timestamp: Unix(r.At)})
	}
	for _, h := range v.History {
		a.History = append(a.History, HistoryItem{Event: h.Event, Timestamp: Unix(h.At)})
	}
	for _, e := range v.Evidence {
		a.Evidence = append(a.Evidence, FromEvidence(e))
	}
	for _, d := range v.Deployments {
		a.Deployments = append(a.Deployments, FromDeployment(d))
	}
	return a
}

// FromArtifact converts a bare artifact record (lists): its stored
// compliance state, with history, evidence and the other arrays empty.
func FromArtifact(x model.Artifact, htmlURL string) Artifact {
	return Artifact{
		Name: x.Name, Flow: x.Flow, Fingerprint: x.Fingerprint, GitCommit: x.GitCommit, CommitURL: x.CommitURL,
		BuildURL: x.BuildURL, RepoURL: x.RepoURL, HTMLURL: htmlURL, TrailName: x.Trail, State: x.State,
		CreatedAt: Unix(x.CreatedAt), CommitAt: Unix(x.CommitTime), Template: []string{},
		Tags: map[string]string{}, Running: []EnvSnapshot{}, Exited: []EnvSnapshot{}, History: []HistoryItem{},
		Evidence: []EvidenceSummary{}, Deployments: []Deployment{},
	}
}

// AttestationData is the data_json of an attestation
// (POST /api/v2/attestations/{org}/{flow}/trail/{trail}/{type}). Which
// fields count depends on the type: IsCompliant for generic and coverage;
// JUnitResults (or a junit_file part) for junit; SimulatorReport for
// simulator, whose compliance is IsCompliant when given, else the report's
// own "compliant" field.
type AttestationData struct {
	AttestationName     string `json:"attestation_name"`
	ArtifactFingerprint string `json:"artifact_fingerprint"`
	// TargetArtifacts names (one) template artifact of the trail the
	// attestation binds to (Kosli's --name ARTIFACT.ATTESTATION).
	TargetArtifacts []string `json:"target_artifacts,omitempty"`
	// SnykResults is attest snyk's summary of a SARIF report.
	SnykResults json.RawMessage `json:"snyk_results,omitempty"`
	// TypeName and AttestationData are attest custom's: the custom
	// attestation type and the data its schema and rules judge.
	TypeName           string             `json:"type_name,omitempty"`
	AttestationData    json.RawMessage    `json:"attestation_data,omitempty"`
	IsCompliant        *bool              `json:"is_compliant,omitempty"`
	Description        string             `json:"description"`
	UserData           json.RawMessage    `json:"user_data,omitempty"`
	JUnitResults       []model.JUnitSuite `json:"junit_results,omitempty"`
	SimulatorReport    json.RawMessage    `json:"simulator_report,omitempty"`
	CoveragePercent    *float64           `json:"coverage_percent,omitempty"`
	MinCoveragePercent *float64           `json:"min_coverage_percent,omitempty"`
}

// DeploymentRequest is the body of report deployment
// (POST /api/v2/deployments/{org}/{flow}). Status is "" (succeeded),
// "failed" or "rolled_back".
type DeploymentRequest struct {
	ArtifactFingerprint string `json:"artifact_fingerprint"`
	Environment         string `json:"environment"`
	Description         string `json:"description"`
	BuildURL            string `json:"build_url"`
	Approved            bool   `json:"approved,omitempty"`
	Status              string `json:"status,omitempty"`
}

// DeploymentStatusRequest is the body of
// PUT /api/v2/deployments/{org}/{flow}/{number}/status.
type DeploymentStatusRequest struct {
	Status string `json:"status"`
}

// ReportArtifact is one running instance in a snapshot report: Kosli's
// docker/server reporters send one entry per container (or path) with its
// name and fingerprint in Digests and its creation time.
type ReportArtifact struct {
	Digests           map[string]string `json:"digests"`
	CreationTimestamp int64             `json:"creationTimestamp"`
}

// SnapshotReportRequest is the body of
// PUT /api/v2/environments/{org}/{env}/report/{type}, type one of model.ReportTypes.
type SnapshotReportRequest struct {
	Artifacts []ReportArtifact `json:"artifacts"`
}

// SnapshotReportResponse says what a report did: Created is false when
// the set equals the latest snapshot (then Index is that snapshot).
type SnapshotReportResponse struct {
	Environment string  `json:"environment"`
	Index       int     `json:"index"`
	Created     bool    `json:"created"`
	Events      []Event `json:"events"`
}

// Annotation is how an artifact's instance count moved from the previous
// snapshot: type started|exited|scaled|unchanged.
type Annotation struct {
	Type string `json:"type"`
	Was  int    `json:"was"`
	Now  int    `json:"now"`
}

// SnapshotArtifact is one artifact of a snapshot. Exited artifacts (of the
// previous snapshot) are included with annotation.now == 0 and an empty
// creationTimestamp, as Kosli does; readers skip them for "running".
type SnapshotArtifact struct {
	Name              string     `json:"name"`
	Fingerprint       string     `json:"fingerprint"`
	FlowName          string     `json:"flow_name"`
	GitCommit         string     `json:"git_commit"`
	CommitURL         string     `json:"commit_url"`
	Compliant         bool       `json:"compliant"`
	Deployments       []int      `json:"deployments"`
	CreationTimestamp []int64    `json:"creationTimestamp"`
	Annotation        Annotation `json:"annotation"`
	// Instances is len(CreationTimestamp), for readers' convenience.
	Instances int `json:"instances"`
}

// Snapshot is one snapshot (GET /api/v2/snapshots/{org}/{env}/{expr}).
type Snapshot struct {
	Environment    string             `json:"environment_name"`
	Index          int                `json:"index"`
	Timestamp      float64            `json:"timestamp"`
	LastReportedAt float64            `json:"last_reported_at"`
	Type           string             `json:"type"`
	Compliant      bool               `json:"compliant"`
	Artifacts      []SnapshotArtifact `json:"artifacts"`
}

func fromSnapshotArtifact(a model.SnapshotArtifact) SnapshotArtifact {
	ts := orEmpty(a.CreationTimestamps)
	return SnapshotArtifact{Name: a.Name, Fingerprint: a.Fingerprint, FlowName: a.Flow, GitCommit: a.GitCommit, CommitURL: a.CommitURL,
		Compliant: a.Compliant, Deployments: orEmpty(a.Deployments), CreationTimestamp: ts,
		Annotation: Annotation{Type: a.Annotation.Type, Was: a.Annotation.Was, Now: a.Annotation.Now}, Instances: len(ts)}
}

// FromSnapshot converts a domain snapshot: running artifacts, then exited.
func FromSnapshot(s model.Snapshot) Snapshot {
	out := Snapshot{Environment: s.Environment, Index: s.Index, Timestamp: Unix(s.CreatedAt), LastReportedAt: Unix(s.LastReportedAt),
		Type: s.EnvType, Compliant: s.Compliant(), Artifacts: []SnapshotArtifact{}}
	for _, a := range s.Artifacts {
		out.Artifacts = append(out.Artifacts, fromSnapshotArtifact(a))
	}
	for _, a := range s.Exited {
		out.Artifacts = append(out.Artifacts, fromSnapshotArtifact(a))
	}
	return out
}

// SnapshotSummary is one row of GET /api/v2/snapshots/{org}/{env}: from and
// to as Unix seconds (to is 0 for the latest), duration in seconds.
type SnapshotSummary struct {
	Index     int     `json:"index"`
	From      float64 `json:"from"`
	To        float64 `json:"to"`
	Duration  float64 `json:"duration"`
	Compliant bool    `json:"compliant"`
	Artifacts int     `json:"artifacts"`
	Instances int     `json:"instances"`
}

// FromSnapshotSummary converts a list row; now ends the latest's duration.
func FromSnapshotSummary(s model.SnapshotSummary, now time.Time) SnapshotSummary {
	end := s.To
	if end.IsZero() {
		end = now
	}
	return SnapshotSummary{Index: s.Index, From: Unix(s.From), To: Unix(s.To), Duration: end.Sub(s.From).Seconds(),
		Compliant: s.Compliant, Artifacts: s.Artifacts, Instances: s.Instances}
}

// DiffArtifact is one entry of a snapshot diff.
type DiffArtifact struct {
	Fingerprint         string   `json:"fingerprint"`
	Flow                string   `json:"flow"`
	Name                string   `json:"name"`
	CommitURL           string   `json:"commit_url"`
	GitCommit           string   `json:"git_commit"`
	MostRecentTimestamp int64    `json:"most_recent_timestamp"`
	InstanceCount       int      `json:"instance_count,omitempty"`
	S1InstanceCount     int      `json:"s1_instance_count,omitempty"`
	S2InstanceCount     int      `json:"s2_instance_count,omitempty"`
	Pods                []string `json:"pods"`
}

// DiffItem is one section of a diff.
type DiffItem struct {
	SnapshotID string         `json:"snapshot_id"`
	Artifacts  []DiffArtifact `json:"artifacts"`
}

// SnapshotDiff is GET /api/v2/env-diff/{org}?snappish1=&snappish2=:
// snappish1/snappish2 hold what is only in each, changed the scaled ones.
type SnapshotDiff struct {
	Snappish1  DiffItem `json:"snappish1"`
	Snappish2  DiffItem `json:"snappish2"`
	Changed    DiffItem `json:"changed"`
	NotChanged DiffItem `json:"not-changed"`
}

func diffArtifact(a model.SnapshotArtifact) DiffArtifact {
	var recent int64
	for _, t := range a.CreationTimestamps {
		recent = max(recent, t)
	}
	return DiffArtifact{Fingerprint: a.Fingerprint, Flow: a.Flow, Name: a.Name, CommitURL: a.CommitURL, GitCommit: a.GitCommit,
		MostRecentTimestamp: recent, InstanceCount: a.Instances(), Pods: []string{}}
}

// FromDiff converts a domain diff.
func FromDiff(d model.SnapshotDiff) SnapshotDiff {
	out := SnapshotDiff{
		Snappish1:  DiffItem{SnapshotID: d.A.Name(), Artifacts: []DiffArtifact{}},
		Snappish2:  DiffItem{SnapshotID: d.B.Name(), Artifacts: []DiffArtifact{}},
		Changed:    DiffItem{SnapshotID: d.B.Name(), Artifacts: []DiffArtifact{}},
		NotChanged: DiffItem{SnapshotID: d.B.Name(), Artifacts: []DiffArtifact{}},
	}
	for _, a := range d.OnlyA {
		out.Snappish1.Artifacts = append(out.Snappish1.Artifacts, diffArtifact(a))
	}
	for _, a := range d.OnlyB {
		out.Snappish2.Artifacts = append(out.Snappish2.Artifacts, diffArtifact(a))
	}
	for _, a := range d.Changed {
		x := diffArtifact(a.SnapshotArtifact)
		x.InstanceCount = 0
		x.S1InstanceCount, x.S2InstanceCount = a.WasInstances, a.NowInstances
		out.Changed.Artifacts = append(out.Changed.Artifacts, x)
	}
	for _, a := range d.Same {
		out.NotChanged.Artifacts = append(out.NotChanged.Artifacts, diffArtifact(a))
	}
	return out
}

// Event is one derived event (GET /api/v2/environments/{org}/{env}/events),
// with Kosli's field names.
type Event struct {
	Environment   string  `json:"environment_name"`
	SnapshotIndex int     `json:"snapshot_index"`
	ArtifactName  string  `json:"artifact_name"`
	Fingerprint   string  `json:"sha256"`
	Flow          string  `json:"pipeline"`
	Type          string  `json:"type"`
	Was           int     `json:"was"`
	Now           int     `json:"now"`
	Description   string  `json:"description"`
	ReportedAt    float64 `json:"reported_at"`
	Deployments   []int   `json:"deployments"`
}

// FromEvent converts a domain event.
func FromEvent(e model.Event) Event {
	return Event{Environment: e.Environment, SnapshotIndex: e.SnapshotIndex, ArtifactName: e.ArtifactName, Fingerprint: e.Fingerprint,
		Flow: e.Flow, Type: e.Type, Was: e.Was, Now: e.Now, Description: e.Description(), ReportedAt: Unix(e.At), Deployments: orEmpty(e.Deployments)}
}

// DORAMetrics is one row of GET /api/v2/flows/{org}/{flow}/metrics: the
// DORA keys of the flow in one environment; durations in seconds.
type DORAMetrics struct {
	Flow                  string  `json:"flow_name"`
	Environment           string  `json:"environment_name"`
	From                  float64 `json:"from"`
	To                    float64 `json:"to"`
	Deployments           int     `json:"deployments"`
	DeploymentsPerDay     float64 `json:"deployment_frequency_per_day"`
	LeadTimeSeconds       float64 `json:"lead_time_seconds"`
	LeadTimeSamples       int     `json:"lead_time_samples"`
	ChangeFailureRate     float64 `json:"change_failure_rate"`
	FailedDeployments     int     `json:"failed_deployments"`
	TimeToRecoverySeconds float64 `json:"time_to_recovery_seconds"`
	Recoveries            int     `json:"recoveries"`
}

// FromDORA converts domain metrics.
func FromDORA(m model.DORAMetrics) DORAMetrics {
	return DORAMetrics{Flow: m.Flow, Environment: m.Environment, From: Unix(m.From), To: Unix(m.To), Deployments: m.Deployments,
		DeploymentsPerDay: m.DeploymentsPerDay, LeadTimeSeconds: m.LeadTime.Seconds(), LeadTimeSamples: m.LeadTimes,
		ChangeFailureRate: m.ChangeFailureRate, FailedDeployments: m.Failures, TimeToRecoverySeconds: m.TimeToRecovery.Seconds(),
		Recoveries: m.Recoveries}
}

// EnvironmentPage is list environments with page or per_page: Kosli's
// envelope (integers, which its CLI decodes as int64).
type EnvironmentPage struct {
	Page         int           `json:"page"`
	PerPage      int           `json:"per_page"`
	TotalPages   int           `json:"total_pages"`
	TotalCount   int           `json:"total_count"`
	Environments []Environment `json:"environments"`
}

// Pagination is the pagination object of Kosli's paged lists (flows,
// trails).
type Pagination struct {
	Page      int `json:"page"`
	PageCount int `json:"page_count"`
	Total     int `json:"total"`
}

// FlowPage is list flows with page or per_page.
type FlowPage struct {
	Data       []Flow     `json:"data"`
	Pagination Pagination `json:"pagination"`
}

// FieldTypeSchema is the JSON Schema file of create attestation-type.
const FieldTypeSchema = "type_schema"

// AttestationTypeRequest is the data_json of create attestation-type
// (POST /api/v2/custom-attestation-types/{org}).
type AttestationTypeRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Evaluator   *Evaluator      `json:"evaluator,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
}

// Evaluator is a custom attestation type's rules: jq expressions that
// must all be true.
type Evaluator struct {
	ContentType string   `json:"content_type"`
	Rules       []string `json:"rules"`
}

// AttestationType is a custom attestation type as read back: Kosli's
// shape, one version.
type AttestationType struct {
	Name        string                   `json:"name"`
	Description string                   `json:"description"`
	Archived    bool                     `json:"archived"`
	CreatedAt   float64                  `json:"created_at"`
	Versions    []AttestationTypeVersion `json:"versions"`
}

// AttestationTypeVersion is one version of a custom attestation type.
type AttestationTypeVersion struct {
	Version    int             `json:"version"`
	Timestamp  float64         `json:"timestamp"`
	TypeSchema json.RawMessage `json:"type_schema,omitempty"`
	Evaluator  Evaluator       `json:"evaluator"`
}

// FromAttestationType converts a custom attestation type.
func FromAttestationType(t model.AttestationType) AttestationType {
	return AttestationType{Name: t.Name, Description: t.Description, CreatedAt: Unix(t.CreatedAt),
		Versions: []AttestationTypeVersion{{Version: 1, Timestamp: Unix(t.CreatedAt), TypeSchema: t.Schema,
			Evaluator: Evaluator{ContentType: "jq", Rules: orEmpty(t.Rules)}}}}
}
