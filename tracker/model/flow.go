package model

import (
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
}

// Validate checks t.
func (t *Trail) Validate() error {
	if err := ValidateName("flow", t.Flow); err != nil {
		return err
	}
	return ValidateName("trail", t.Name)
}
