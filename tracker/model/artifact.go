package model

import (
	"regexp"
	"strings"
	"time"
)

// Artifact is a build output identified by the SHA-256 fingerprint of its
// content (or its image's repository digest), reported into one flow. One
// fingerprint may be reported into several flows; each is its own Artifact.
type Artifact struct {
	ID          int64
	Flow        string
	Fingerprint string
	Name        string
	GitCommit   string
	CommitURL   string
	BuildURL    string
	RepoURL     string
	// CommitTime is when the commit was made (from the git commit info),
	// the start of DORA's lead time; zero when unknown.
	CommitTime time.Time
	Trail      string
	// TemplateName is the artifact's name in its flow's template (Kosli's
	// template_reference_name): what an attestation's target_artifacts
	// names to bind to it.
	TemplateName string
	CreatedAt    time.Time
	// State is the artifact's compliance state (COMPLIANT, NON-COMPLIANT
	// or INCOMPLETE) as the store keeps it: recomputed by ComplianceState
	// in the same transaction as every write that can change it (evidence
	// of the artifact or its trail, the flow's template), so that a list
	// of artifacts has its states without one evidence query per row.
	// Filled on reads; ignored by PutArtifact.
	State string
}

var (
	hexPrefixRE = regexp.MustCompile(`^[0-9a-f]{1,64}$`)
	commitRE    = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// NormalizeFingerprint lower-cases fp, drops a "sha256:" prefix and checks
// that it is 64 hex digits.
func NormalizeFingerprint(fp string) (string, error) {
	// Hand-rolled rather than a regexp: every snapshot report checks
	// every running fingerprint, and this is the hot path.
	if isLowerHex64(fp) {
		return fp, nil
	}
	fp = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(fp, "sha256:")))
	if !isLowerHex64(fp) {
		return "", Errorf(EINVALID, "invalid fingerprint %q: want 64 hex digits (SHA-256)", fp)
	}
	return fp, nil
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidateHexPrefix checks a fingerprint or commit prefix used for look-ups.
func ValidateHexPrefix(what, p string) (string, error) {
	p = strings.ToLower(strings.TrimPrefix(p, "sha256:"))
	if !hexPrefixRE.MatchString(p) {
		return "", Errorf(EINVALID, "invalid %s %q: want hex digits", what, p)
	}
	return p, nil
}

// Validate checks a and normalizes its fingerprint and commit.
func (a *Artifact) Validate() error {
	if err := ValidateName("flow", a.Flow); err != nil {
		return err
	}
	fp, err := NormalizeFingerprint(a.Fingerprint)
	if err != nil {
		return err
	}
	a.Fingerprint = fp
	if strings.TrimSpace(a.Name) == "" {
		return Errorf(EINVALID, "artifact name (filename) is required")
	}
	a.GitCommit = strings.ToLower(strings.TrimSpace(a.GitCommit))
	if !commitRE.MatchString(a.GitCommit) {
		return Errorf(EINVALID, "invalid git_commit %q: want at least 7 hex digits", a.GitCommit)
	}
	if a.Trail != "" {
		if err := ValidateName("trail", a.Trail); err != nil {
			return err
		}
	}
	if a.TemplateName != "" {
		if err := ValidateName("template reference", a.TemplateName); err != nil {
			return err
		}
	}
	return nil
}

// ArtifactFilter selects artifacts for a list; the zero value lists all of
// an org's artifacts, newest first.
type ArtifactFilter struct {
	Flow        string
	Fingerprint string // exact or prefix
	GitCommit   string // exact or prefix
	// Trail and TemplateName, when set, select the artifacts of one
	// trail (and its template name); they need Flow.
	Trail        string
	TemplateName string
	Page
}
