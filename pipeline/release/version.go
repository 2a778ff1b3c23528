package release

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/Masterminds/semver/v3"
)

// Next returns the version after last for the largest bump among msgs, and
// that bump; BumpNone returns last itself. Before 1.0.0 a breaking change
// bumps the minor (see the package comment).
func Next(last *semver.Version, bump Bump) *semver.Version {
	if bump == BumpMajor && last.Major() == 0 {
		bump = BumpMinor
	}
	var v semver.Version
	switch bump {
	case BumpMajor:
		v = last.IncMajor()
	case BumpMinor:
		v = last.IncMinor()
	case BumpPatch:
		v = last.IncPatch()
	default:
		return last
	}
	return &v
}

// releaseTagRE is what a release tag looks like: v and a version, with
// anything after it (v1.2, v1.2.3.4, v1.2.3-rc1 are still release-like,
// to be refused by name rather than skipped in silence).
var releaseTagRE = regexp.MustCompile(`^v[0-9]`)

// Tag is a release tag with its version.
type Tag struct {
	Name    string
	Version *semver.Version
}

// ReleaseTags picks the release tags out of names (v + strict semver,
// no pre-release), newest version first. A tag that looks like a release
// (v and a digit) but is not a strict vX.Y.Z is an error naming it, since
// skipping it would compute the next version from an older release.
func ReleaseTags(names []string) ([]Tag, error) {
	var out []Tag
	for _, n := range names {
		if !releaseTagRE.MatchString(n) {
			continue
		}
		v, err := semver.StrictNewVersion(n[1:])
		if err != nil || v.Prerelease() != "" || v.Metadata() != "" {
			return nil, fmt.Errorf("tag %q is not a release version vMAJOR.MINOR.PATCH: rename or delete it (git tag -d %s)", n, n)
		}
		out = append(out, Tag{Name: n, Version: v})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version.GreaterThan(out[j].Version) })
	return out, nil
}
