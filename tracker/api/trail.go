package api

import (
	"encoding/json"
	"strconv"

	"github.com/minitwit-cd/kit/tracker/model"
)

// TrailView is get trail (GET /api/v2/trails/{org}/{flow}/{trail}):
// Kosli's shape, whose CLI asserts git_commit_info's sha1, author and
// message as strings and timestamp as a number, and every event's type
// and timestamp.
type TrailView struct {
	Name             string                `json:"name"`
	Flow             string                `json:"flow"`
	Description      string                `json:"description"`
	ComplianceState  string                `json:"compliance_state"`
	LastModifiedAt   float64               `json:"last_modified_at"`
	CreatedAt        float64               `json:"created_at"`
	OriginURL        string                `json:"origin_url,omitempty"`
	GitCommitInfo    *TrailCommit          `json:"git_commit_info,omitempty"`
	UserData         json.RawMessage       `json:"user_data,omitempty"`
	RepoInfo         json.RawMessage       `json:"repo_info,omitempty"`
	ExternalURLs     json.RawMessage       `json:"external_urls,omitempty"`
	HTMLURL          string                `json:"html_url"`
	ComplianceStatus TrailComplianceStatus `json:"compliance_status"`
	Events           []TrailEvent          `json:"events"`
}

// TrailCommit is a trail's commit as get trail shows it; url is left out
// when unknown (the CLI prints a null as %!s(<nil>)).
type TrailCommit struct {
	Sha1      string  `json:"sha1"`
	Author    string  `json:"author"`
	Message   string  `json:"message"`
	Branch    string  `json:"branch"`
	Timestamp float64 `json:"timestamp"`
	URL       string  `json:"url,omitempty"`
}

// TrailComplianceStatus is the trail's own attestations and, per
// template artifact name (or artifact name), the artifact's.
type TrailComplianceStatus struct {
	Status               string                      `json:"status"`
	IsCompliant          bool                        `json:"is_compliant"`
	AttestationsStatuses []AttestationStatus         `json:"attestations_statuses"`
	ArtifactsStatuses    map[string]ComplianceStatus `json:"artifacts_statuses"`
}

// TrailEvent is one line of a trail's history.
type TrailEvent struct {
	Type                  string  `json:"type"`
	Timestamp             float64 `json:"timestamp"`
	IsCompliant           *bool   `json:"is_compliant,omitempty"`
	ArtifactName          string  `json:"artifact_name,omitempty"`
	TemplateReferenceName string  `json:"template_reference_name,omitempty"`
	TargetArtifact        string  `json:"target_artifact,omitempty"`
	AttestationType       string  `json:"attestation_type,omitempty"`
	AttestationID         string  `json:"attestation_id,omitempty"`
}

// artifactKey is how a trail names its artifact: the template name, else
// the artifact's own.
func artifactKey(a model.Artifact) string {
	if a.TemplateName != "" {
		return a.TemplateName
	}
	return a.Name
}

// FromTrailView converts a trail view; htmlURL is the trail's page.
func FromTrailView(v model.TrailView, htmlURL string) TrailView {
	t := v.Trail
	out := TrailView{
		Name: t.Name, Flow: t.Flow, Description: t.Description, ComplianceState: v.State,
		LastModifiedAt: Unix(v.LastModifiedAt), CreatedAt: Unix(t.CreatedAt), OriginURL: t.OriginURL,
		UserData: t.UserData, RepoInfo: t.RepoInfo, ExternalURLs: t.ExternalURLs, HTMLURL: htmlURL,
		ComplianceStatus: TrailComplianceStatus{Status: v.State, IsCompliant: v.State == model.Compliant,
			AttestationsStatuses: []AttestationStatus{}, ArtifactsStatuses: map[string]ComplianceStatus{}},
		Events: []TrailEvent{{Type: "trail_reported", Timestamp: Unix(t.CreatedAt)}},
	}
	if c := trailCommit(t); c != nil {
		out.GitCommitInfo = c
	}
	for _, e := range v.Evidence {
		id := strconv.FormatInt(e.ID, 10)
		out.ComplianceStatus.AttestationsStatuses = append(out.ComplianceStatus.AttestationsStatuses, AttestationStatus{
			AttestationName: e.Name, AttestationType: e.Type, AttestationID: &id, Status: StatusComplete, IsCompliant: e.Compliant})
		ok := e.Compliant
		out.Events = append(out.Events, TrailEvent{Type: "trail_attestation_reported", Timestamp: Unix(e.CreatedAt), IsCompliant: &ok,
			TemplateReferenceName: e.Name, AttestationType: e.Type, AttestationID: id})
	}
	for _, av := range v.Artifacts {
		key := artifactKey(av.Artifact)
		out.ComplianceStatus.ArtifactsStatuses[key] = ComplianceStatus{Status: av.State, IsCompliant: av.State == model.Compliant,
			AttestationsStatuses: FromAttestationStatuses(av)}
		out.Events = append(out.Events, TrailEvent{Type: "artifact_creation_reported", Timestamp: Unix(av.Artifact.CreatedAt),
			ArtifactName: av.Artifact.Name, TemplateReferenceName: key})
		for _, e := range av.Evidence {
			if e.Fingerprint == "" {
				continue
			}
			ok := e.Compliant
			out.Events = append(out.Events, TrailEvent{Type: "artifact_attestation_reported", Timestamp: Unix(e.CreatedAt), IsCompliant: &ok,
				TargetArtifact: key, TemplateReferenceName: e.Name, AttestationType: e.Type, AttestationID: strconv.FormatInt(e.ID, 10)})
		}
	}
	sortEvents(out.Events)
	return out
}

func sortEvents(evs []TrailEvent) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Timestamp < evs[j-1].Timestamp; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// trailCommit is the trail's commit with the types Kosli's CLI asserts,
// from what begin trail sent; nil when the trail has no commit.
func trailCommit(t model.Trail) *TrailCommit {
	var info struct {
		Sha1      string  `json:"sha1"`
		Author    string  `json:"author"`
		Message   string  `json:"message"`
		Branch    string  `json:"branch"`
		Timestamp float64 `json:"timestamp"`
		URL       string  `json:"url"`
	}
	if len(t.CommitInfo) > 0 {
		_ = json.Unmarshal(t.CommitInfo, &info) // stored only when valid JSON; odd field types read as zero
	}
	if info.Sha1 == "" {
		info.Sha1 = t.GitCommit
	}
	if info.Sha1 == "" {
		return nil
	}
	c := TrailCommit(info)
	return &c
}

// TrailSummary is one trail of list trails.
type TrailSummary struct {
	Name            string  `json:"name"`
	Flow            string  `json:"flow"`
	Description     string  `json:"description"`
	ComplianceState string  `json:"compliance_state"`
	GitCommit       string  `json:"git_commit"`
	CreatedAt       float64 `json:"created_at"`
	LastModifiedAt  float64 `json:"last_modified_at"`
}

// TrailPage is list trails (GET /api/v2/trails/{org}): always paged.
type TrailPage struct {
	Data       []TrailSummary `json:"data"`
	Pagination Pagination     `json:"pagination"`
}

// FromTrailSummary converts a trail view to a list row.
func FromTrailSummary(v model.TrailView) TrailSummary {
	return TrailSummary{Name: v.Trail.Name, Flow: v.Trail.Flow, Description: v.Trail.Description, ComplianceState: v.State,
		GitCommit: v.Trail.GitCommit, CreatedAt: Unix(v.Trail.CreatedAt), LastModifiedAt: Unix(v.LastModifiedAt)}
}

// Attestation is one attestation as get attestation returns it.
type Attestation struct {
	AttestationID       string          `json:"attestation_id"`
	AttestationName     string          `json:"attestation_name"`
	AttestationType     string          `json:"attestation_type"`
	IsCompliant         bool            `json:"is_compliant"`
	CreatedAt           float64         `json:"created_at"`
	Flow                string          `json:"flow_name"`
	Trail               string          `json:"trail_name"`
	ArtifactFingerprint string          `json:"artifact_fingerprint,omitempty"`
	Description         string          `json:"description"`
	Data                json.RawMessage `json:"attestation_data,omitempty"`
	HTMLURL             string          `json:"html_url,omitempty"`
	Attachments         []Attachment    `json:"attachments"`
}

// Attachment is a file stored with an attestation and where to fetch it.
type Attachment struct {
	Name string `json:"name"`
	Size int    `json:"size"`
	URL  string `json:"url"`
}

// FromAttestation converts evidence; fileURL gives each attachment's
// download address.
func FromAttestation(e model.Evidence, htmlURL string, fileURL func(e model.Evidence, name string) string) Attestation {
	a := Attestation{AttestationID: strconv.FormatInt(e.ID, 10), AttestationName: e.Name, AttestationType: e.Type, IsCompliant: e.Compliant,
		CreatedAt: Unix(e.CreatedAt), Flow: e.Flow, Trail: e.Trail, ArtifactFingerprint: e.Fingerprint, Description: e.Description,
		Data: e.Data, HTMLURL: htmlURL, Attachments: []Attachment{}}
	for _, f := range e.Files {
		a.Attachments = append(a.Attachments, Attachment{Name: f.Name, Size: len(f.Content), URL: fileURL(e, f.Name)})
	}
	return a
}

// AttestationPage is get attestation by id: {"data": [...]}.
type AttestationPage struct {
	Data []Attestation `json:"data"`
}

// SearchResponse is search (GET /api/v2/search/{org}/sha/{value}).
type SearchResponse struct {
	ResolvedTo SearchResolved   `json:"resolved_to"`
	Artifacts  []SearchArtifact `json:"artifacts"`
}

// SearchResolved says what the value resolved to; counts are integers.
type SearchResolved struct {
	Type         string        `json:"type"`
	FullMatch    string        `json:"full_match"`
	Fingerprints SearchMatches `json:"fingerprints"`
	Commits      SearchMatches `json:"commits"`
}

// SearchMatches lists matches of one kind.
type SearchMatches struct {
	Type    string   `json:"type"`
	Count   int      `json:"count"`
	Matches []string `json:"matches"`
}

// SearchArtifact is one artifact found.
type SearchArtifact struct {
	Fingerprint     string        `json:"fingerprint"`
	Name            string        `json:"name"`
	Flow            string        `json:"flow"`
	GitCommit       string        `json:"git_commit"`
	HasProvenance   bool          `json:"has_provenance"`
	CommitURL       string        `json:"commit_url"`
	BuildURL        string        `json:"build_url"`
	HTMLURL         string        `json:"html_url"`
	ComplianceState string        `json:"compliance_state"`
	RunningIn       []string      `json:"running_in"`
	ExitedFrom      []string      `json:"exited_from"`
	History         []HistoryItem `json:"history"`
}

// FromSearch converts a search result.
func FromSearch(r model.SearchResult, htmlURL func(model.Artifact) string) SearchResponse {
	out := SearchResponse{ResolvedTo: SearchResolved{Type: r.Type, FullMatch: r.FullMatch,
		Fingerprints: SearchMatches{Type: "fingerprint", Matches: []string{}}, Commits: SearchMatches{Type: "commit", Matches: []string{}}},
		Artifacts: []SearchArtifact{}}
	m := &out.ResolvedTo.Fingerprints
	if r.Type == "commit" {
		m = &out.ResolvedTo.Commits
	}
	m.Count, m.Matches = 1, []string{r.FullMatch}
	for _, v := range r.Artifacts {
		a := SearchArtifact{Fingerprint: v.Artifact.Fingerprint, Name: v.Artifact.Name, Flow: v.Artifact.Flow, GitCommit: v.Artifact.GitCommit,
			HasProvenance: true, CommitURL: v.Artifact.CommitURL, BuildURL: v.Artifact.BuildURL, HTMLURL: htmlURL(v.Artifact),
			ComplianceState: v.State, RunningIn: []string{}, ExitedFrom: []string{}, History: []HistoryItem{}}
		for _, x := range v.Running {
			a.RunningIn = append(a.RunningIn, x.Environment+"#"+strconv.Itoa(x.SnapshotIndex))
		}
		for _, x := range v.Exited {
			a.ExitedFrom = append(a.ExitedFrom, x.Environment+"#"+strconv.Itoa(x.SnapshotIndex))
		}
		for _, h := range v.History {
			a.History = append(a.History, HistoryItem{Event: h.Event, Timestamp: Unix(h.At)})
		}
		out.Artifacts = append(out.Artifacts, a)
	}
	return out
}
