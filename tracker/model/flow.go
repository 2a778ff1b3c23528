package model

import (
	"strings"
	"time"
)

// Visibility of a flow: public flows may be read anonymously.
const (
	VisibilityPublic  = "public"
	VisibilityPrivate = "private"
)

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
	switch f.Visibility {
	case "":
		f.Visibility = VisibilityPrivate
	case VisibilityPublic, VisibilityPrivate:
	default:
		return Errorf(EINVALID, "invalid visibility %q: want public or private", f.Visibility)
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
