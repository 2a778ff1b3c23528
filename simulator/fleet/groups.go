package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Group is one student group as the groups file describes it.
type Group struct {
	// ID identifies the group in the store, the dashboard's URLs and the
	// leases: letters, digits, '-' and '_'.
	ID string `yaml:"id" json:"id"`
	// Name is the group's display name (default the ID).
	Name string `yaml:"name" json:"name"`
	// Web is the base URL of the group's web app (its public timeline is
	// Web + "/public"); optional: without it the web check is skipped.
	Web string `yaml:"web" json:"web,omitempty"`
	// API is the base URL of the group's simulator API, which may carry a
	// path prefix, another host or port (http://host:8081/api/v1).
	API string `yaml:"api" json:"api"`
	// Repos are the group's repository URLs (for activity charts).
	Repos []string `yaml:"repos" json:"repos,omitempty"`
	// Extras are free-form fields shown on the group's page.
	Extras map[string]string `yaml:"extras" json:"extras,omitempty"`
}

// groupsFile is the file's top level: either a list of groups or a map
// with a "groups" key.
type groupsFile struct {
	Groups []Group `yaml:"groups"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// LoadGroups reads and validates a groups file.
func LoadGroups(path string) ([]Group, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("groups file: %w", err)
	}
	gs, err := ParseGroups(b)
	if err != nil {
		return nil, fmt.Errorf("groups file %s: %w", path, err)
	}
	return gs, nil
}

// ParseGroups parses and validates the YAML of a groups file: a top-level
// "groups:" list (or a bare list) of {id, name, web, api, repos, extras}.
// Unknown fields are errors, so a typo is not silently ignored. Every
// problem is reported, one per line.
func ParseGroups(b []byte) ([]Group, error) {
	var gs []Group
	var node yaml.Node
	if err := yaml.Unmarshal(b, &node); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	doc := &node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	switch doc.Kind {
	case yaml.SequenceNode:
		if err := decodeStrict(b, &gs); err != nil {
			return nil, err
		}
	case yaml.MappingNode:
		var f groupsFile
		if err := decodeStrict(b, &f); err != nil {
			return nil, err
		}
		gs = f.Groups
	default:
		return nil, errors.New(`expected a "groups:" list of groups`)
	}
	if len(gs) == 0 {
		return nil, errors.New("no groups")
	}
	var problems []string
	seen := map[string]int{}
	for i := range gs {
		g := &gs[i]
		g.ID = strings.TrimSpace(g.ID)
		where := fmt.Sprintf("group %d", i+1)
		if g.ID != "" {
			where += fmt.Sprintf(" (%s)", g.ID)
		}
		if !idPattern.MatchString(g.ID) {
			problems = append(problems, fmt.Sprintf("%s: id %q must be 1-64 letters, digits, '-' or '_'", where, g.ID))
		} else if j, dup := seen[g.ID]; dup {
			problems = append(problems, fmt.Sprintf("%s: duplicate id %q (also group %d)", where, g.ID, j+1))
		} else {
			seen[g.ID] = i
		}
		if g.Name == "" {
			g.Name = g.ID
		}
		if err := checkURL(g.API, true); err != nil {
			problems = append(problems, fmt.Sprintf("%s: api: %v", where, err))
		}
		if err := checkURL(g.Web, false); err != nil {
			problems = append(problems, fmt.Sprintf("%s: web: %v", where, err))
		}
		g.API = strings.TrimRight(g.API, "/")
		g.Web = strings.TrimRight(g.Web, "/")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return gs, nil
}

// decodeStrict decodes b into v, rejecting unknown fields with their line
// (yaml.Node.Decode does not honour KnownFields).
func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a groups file: %w", err)
	}
	return nil
}

// checkURL accepts an absolute http(s) URL without query or fragment; an
// empty one only when it is optional.
func checkURL(raw string, required bool) error {
	if raw == "" {
		if required {
			return errors.New("missing (the base URL of the simulator API)")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q must be an absolute http:// or https:// URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or fragment", raw)
	}
	if u.Port() != "" {
		if p := u.Port(); len(p) > 5 || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("%q has an invalid port", raw)
		}
	}
	return nil
}
