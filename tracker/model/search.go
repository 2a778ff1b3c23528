package model

import (
	"context"
	"sort"
	"strings"
)

// MinSearchLength is the shortest commit or fingerprint prefix search
// takes.
const MinSearchLength = 5

// SearchResult is what a commit or fingerprint prefix resolved to: one
// fingerprint or one commit (Type), and every artifact of the org with it.
type SearchResult struct {
	// Type is "fingerprint" or "commit".
	Type string
	// FullMatch is the whole fingerprint or commit.
	FullMatch string
	Artifacts []ArtifactView
}

// Search resolves value, a prefix of a fingerprint or a git commit (at
// least MinSearchLength hex digits), among the org's artifacts. Kosli's
// wording is kept for no match (ENOTFOUND "No matches for 'VALUE'."); a
// prefix of two different fingerprints or commits is EINVALID naming
// them, so the caller gives more digits.
func Search(ctx context.Context, s Store, org, value string) (SearchResult, error) {
	p, err := ValidateHexPrefix("search value", strings.TrimSpace(value))
	if err != nil {
		return SearchResult{}, err
	}
	if len(p) < MinSearchLength {
		return SearchResult{}, Errorf(EINVALID, "search value %q is too short: give at least %d hex digits of a commit or fingerprint", p, MinSearchLength)
	}
	byFP, _, err := s.ListArtifacts(ctx, org, ArtifactFilter{Fingerprint: p, Page: Page{PerPage: MaxPerPage}})
	if err != nil {
		return SearchResult{}, err
	}
	var byCommit []Artifact
	if len(p) <= 40 {
		if byCommit, _, err = s.ListArtifacts(ctx, org, ArtifactFilter{GitCommit: p, Page: Page{PerPage: MaxPerPage}}); err != nil {
			return SearchResult{}, err
		}
	}
	fps, commits := distinct(byFP, func(a Artifact) string { return a.Fingerprint }), distinct(byCommit, func(a Artifact) string { return a.GitCommit })
	var res SearchResult
	var arts []Artifact
	switch {
	case len(fps) == 0 && len(commits) == 0:
		return SearchResult{}, Errorf(ENOTFOUND, "No matches for '%s'.", value)
	case len(fps)+len(commits) > 1:
		all := append(prefixed("fingerprint ", fps), prefixed("commit ", commits)...)
		return SearchResult{}, Errorf(EINVALID, "%q is ambiguous: it matches %s; give more digits", value, strings.Join(all, ", "))
	case len(fps) == 1:
		res, arts = SearchResult{Type: "fingerprint", FullMatch: fps[0]}, byFP
	default:
		res, arts = SearchResult{Type: "commit", FullMatch: commits[0]}, byCommit
	}
	for _, a := range arts {
		v, err := ComposeArtifactView(ctx, s, org, a)
		if err != nil {
			return SearchResult{}, err
		}
		res.Artifacts = append(res.Artifacts, v)
	}
	return res, nil
}

func distinct(arts []Artifact, key func(Artifact) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range arts {
		if k := key(a); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func prefixed(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}
