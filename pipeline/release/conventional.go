// Package release cuts the kit's releases: the next semantic version from
// the conventional commits since the last vX.Y.Z tag, a changelog grouped
// by type, the annotated tag, the archives and checksums (by GoReleaser),
// an SBOM, and the GitHub release. It never logs or exits; the pipeline's
// `release` command drives it.
//
// The version rule, stated because tools disagree: `fix:` bumps the patch,
// `feat:` the minor, and a breaking change (`!` after the type, or a
// `BREAKING CHANGE:` footer) the major, except before 1.0.0, where a
// breaking change bumps the minor (0.x promises no stability, and a 1.0.0
// should be a decision, not an accident). Any other type releases nothing
// by itself.
package release

import (
	"fmt"
	"regexp"
	"strings"
)

// Message is one commit message read as a conventional commit.
type Message struct {
	Type        string // "feat", "fix", "docs" … lowercase
	Scope       string // inside the parentheses, may be empty
	Description string // the header after ": "
	Breaking    bool   // "!" in the header or a BREAKING CHANGE footer
	// BreakingNote is the text of the BREAKING CHANGE footer, if any.
	BreakingNote string
	// Revert is true for a revert (type "revert" or git's own
	// `Revert "…"` subject).
	Revert bool
}

// headerRE is type(scope)!: description.
var headerRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)(?:\(([^()\r\n]*)\))?(!)?: +(\S.*)$`)

// footerRE is a footer token: "BREAKING CHANGE: …" or "BREAKING-CHANGE: …".
var footerRE = regexp.MustCompile(`^BREAKING[ -]CHANGE: ?(.*)$`)

// ParseMessage reads a commit message as a conventional commit
// (conventionalcommits.org 1.0.0). A message whose first line is not of
// the form type(scope)!: description is an error naming the line; git's
// own revert subjects (`Revert "feat: x"`) are read as reverts.
func ParseMessage(msg string) (Message, error) {
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	header, body, _ := strings.Cut(strings.TrimLeft(msg, "\n"), "\n")
	header = strings.TrimSpace(header)
	if strings.HasPrefix(header, `Revert "`) && strings.HasSuffix(header, `"`) {
		return Message{Type: "revert", Description: header, Revert: true}, nil
	}
	m := headerRE.FindStringSubmatch(header)
	if m == nil {
		if header == "" {
			return Message{}, fmt.Errorf("empty commit message")
		}
		return Message{}, fmt.Errorf("not a conventional commit: %q (want type(scope): description)", header)
	}
	out := Message{
		Type:        strings.ToLower(m[1]),
		Scope:       strings.TrimSpace(m[2]),
		Breaking:    m[3] == "!",
		Description: strings.TrimSpace(m[4]),
	}
	out.Revert = out.Type == "revert"
	// Footers are the last paragraph; a BREAKING CHANGE footer may also
	// stand in any paragraph after the body, so every line is checked,
	// and its text runs to the end of its paragraph.
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		f := footerRE.FindStringSubmatch(l)
		if f == nil {
			continue
		}
		out.Breaking = true
		note := []string{strings.TrimSpace(f[1])}
		for _, more := range lines[i+1:] {
			if strings.TrimSpace(more) == "" {
				break
			}
			note = append(note, strings.TrimSpace(more))
		}
		out.BreakingNote = strings.TrimSpace(strings.Join(note, " "))
		break
	}
	return out, nil
}

// Bump is how far a set of commits moves the version.
type Bump int

// The bumps, in order.
const (
	BumpNone Bump = iota
	BumpPatch
	BumpMinor
	BumpMajor
)

func (b Bump) String() string {
	return [...]string{"none", "patch", "minor", "major"}[b]
}

// BumpOf is the bump one commit asks for (before the pre-1.0 rule).
func BumpOf(m Message) Bump {
	switch {
	case m.Breaking:
		return BumpMajor
	case m.Type == "feat":
		return BumpMinor
	case m.Type == "fix":
		return BumpPatch
	}
	return BumpNone
}
