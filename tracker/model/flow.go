package model

import (
	"encoding/json"
	"strings"
	"time"
)

// Visibility of a flow or an environment. The one rule for a reader
// without the org's token: everything is private unless it is public.
// Public flows and environments may be read anonymously (inside a public
// environment, only the artifacts of public flows); a private one is
// answered exactly like a missing one.
const (
	VisibilityPublic  = "public"
	VisibilityPrivate = "private"
)

// validateVisibility fills the default (private) and rejects anything but
// public or private.
func validateVisibility(v *string) error {
	switch *v {
	case "":
		*v = VisibilityPrivate
	case VisibilityPublic, VisibilityPrivate:
	default:
		return Errorf(EINVALID, "invalid visibility %q: want public or private", *v)
	}
	return nil
}

// Flow is a named pipeline or service (e.g. "minitwit"). Template lists the
// evidence names an artifact must have to be compliant.
type Flow struct {
	ID          int64
	Org         string
	Name        string
	Description string
	Visibility  string
	Template    []string
	CreatedAt   time.Time
}

// Validate checks f and fills defaults (private visibility, a non-nil
// template without blanks or duplicates).
func (f *Flow) Validate() error {
	if err := ValidateName("flow", f.Name); err != nil {
		return err
	}
	if err := validateVisibility(&f.Visibility); err != nil {
		return err
	}
	seen := map[string]bool{}
	tpl := []string{}
	for _, n := range f.Template {
		n = strings.TrimSpace(n)
		// "artifact" is Kosli's implicit first template entry; it is
		// satisfied by the artifact itself and is not evidence.
		if n == "" || n == "artifact" || seen[n] {
			continue
		}
		seen[n] = true
		tpl = append(tpl, n)
	}
	f.Template = tpl
	return nil
}

// Trail is one run of a flow for one change, usually named after the commit.
type Trail struct {
	ID          int64
	Flow        string
	Name        string
	Description string
	GitCommit   string
	CreatedAt   time.Time
	// CommitInfo, UserData, RepoInfo and ExternalURLs are the JSON
	// documents begin trail sent (Kosli's git_commit_info, user_data,
	// repo_info and external_urls), kept as sent; nil when absent.
	CommitInfo   json.RawMessage
	UserData     json.RawMessage
	RepoInfo     json.RawMessage
	ExternalURLs json.RawMessage
	// OriginURL is where the trail was begun (the CI build).
	OriginURL string
}

// Validate checks t.
func (t *Trail) Validate() error {
	if err := ValidateName("flow", t.Flow); err != nil {
		return err
	}
	if err := ValidateName("trail", t.Name); err != nil {
		return err
	}
	for _, d := range []struct {
		field string
		v     json.RawMessage
	}{{"git_commit_info", t.CommitInfo}, {"user_data", t.UserData}, {"repo_info", t.RepoInfo}, {"external_urls", t.ExternalURLs}} {
		if len(d.v) > 0 && !json.Valid(d.v) {
			return Errorf(EINVALID, "trail %s: %s is not valid JSON", t.Name, d.field)
		}
	}
	if t.GitCommit != "" {
		t.GitCommit = strings.ToLower(strings.TrimSpace(t.GitCommit))
		if !commitRE.MatchString(t.GitCommit) {
			return Errorf(EINVALID, "trail %s: invalid git commit %q: want at least 7 hex digits", t.Name, t.GitCommit)
		}
	}
	return nil
}

// TrailFilter selects trails for a list, newest first: of one flow or of
// the whole org, optionally only those holding an artifact with
// Fingerprint.
type TrailFilter struct {
	Flow        string
	Fingerprint string
	Page
}
