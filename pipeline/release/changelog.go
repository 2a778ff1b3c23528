package release

import (
	"fmt"
	"os"
	"strings"
)

// The changelog's groups, in the order they are shown.
var groups = []struct{ title string }{
	{"Breaking changes"}, {"Features"}, {"Fixes"}, {"Other"},
}

// Changelog renders the plan's section of CHANGELOG.md: a heading with the
// version (linked to the comparison with the last release) and the date,
// then the commits grouped into Breaking changes, Features, Fixes and
// Other, each with its short SHA linked to the commit. A breaking feature
// is listed under Breaking changes only; commits that are not
// conventional stand under Other as they were written.
func Changelog(p *Plan) string {
	var b strings.Builder
	title := p.Tag
	if p.RepoURL != "" {
		title = fmt.Sprintf("[%s](%s/compare/%s...%s)", p.Tag, p.RepoURL, p.Last.Name, p.Tag)
	}
	fmt.Fprintf(&b, "## %s (%s)\n", title, p.Date.UTC().Format("2006-01-02"))
	lines := make([][]string, len(groups))
	for _, c := range p.Commits {
		g, text := 3, firstLine(c.Message)
		if c.Err == nil {
			m := c.Parsed
			text = m.Description
			if m.Scope != "" {
				text = "**" + m.Scope + ":** " + text
			}
			switch {
			case m.Breaking:
				g = 0
				if m.BreakingNote != "" {
					text += " — " + m.BreakingNote
				}
			case m.Type == "feat":
				g = 1
			case m.Type == "fix":
				g = 2
			default:
				text = m.Type + ": " + text
				if m.Revert {
					text = m.Description
				}
			}
		}
		ref := c.Short()
		if p.RepoURL != "" {
			ref = fmt.Sprintf("[%s](%s/commit/%s)", c.Short(), p.RepoURL, c.SHA)
		}
		lines[g] = append(lines[g], fmt.Sprintf("- %s (%s)", escapeMarkdown(text), ref))
	}
	for i, g := range groups {
		if len(lines[i]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n\n%s\n", g.title, strings.Join(lines[i], "\n"))
	}
	return b.String()
}

// firstLine is a message's subject.
func firstLine(msg string) string {
	l, _, _ := strings.Cut(msg, "\n")
	return strings.TrimSpace(l)
}

// escapeMarkdown keeps a commit subject from opening HTML in the
// rendered changelog.
func escapeMarkdown(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// changelogHeading starts CHANGELOG.md.
const changelogHeading = "# Changelog\n"

// PrependChangelog writes section at the top of the changelog file at
// path (below its "# Changelog" heading), creating the file if needed.
// The file is replaced atomically, so a failure leaves the old one.
func PrependChangelog(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	rest := strings.TrimPrefix(string(old), changelogHeading)
	rest = strings.TrimLeft(rest, "\n")
	content := changelogHeading + "\n" + strings.TrimRight(section, "\n") + "\n"
	if rest != "" {
		content += "\n" + rest
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
