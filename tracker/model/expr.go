package model

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SnapshotRef selects one snapshot of an environment.
type SnapshotRef struct {
	// Index, when > 0, is the snapshot number (ENV#N).
	Index int
	// Behind, when Index is 0, counts back from the latest (ENV~N); 0 is
	// the latest itself.
	Behind int
	// At, when not zero, selects the snapshot current at that time
	// (ENV@{2026-11-02T12:00:00}).
	At time.Time
}

// String formats the reference as the suffix of an expression.
func (r SnapshotRef) String() string {
	switch {
	case !r.At.IsZero():
		return "@{" + r.At.UTC().Format("2006-01-02T15:04:05") + "}"
	case r.Index > 0:
		return "#" + strconv.Itoa(r.Index)
	case r.Behind > 0:
		return "~" + strconv.Itoa(r.Behind)
	}
	return ""
}

// SnapshotExpr is a parsed snapshot expression: an environment and a ref.
type SnapshotExpr struct {
	Environment string
	Ref         SnapshotRef
}

// String formats the expression back (ENV, ENV#N, ENV~N, ENV@{…}).
func (e SnapshotExpr) String() string { return e.Environment + e.Ref.String() }

var relativeRE = regexp.MustCompile(`^(\d+)\.(seconds?|minutes?|hours?|days?|weeks?|months?)\.ago$`)

// ParseSnapshotExpr parses the CLI's snapshot expressions: ENV (latest),
// ENV#N (N-th from 1), ENV~N (N before the latest), ENV@{YYYY-MM-DDTHH:MM:SS}
// (current at that UTC time) and ENV@{N.hours.ago}. now resolves relative
// times.
func ParseSnapshotExpr(s string, now time.Time) (SnapshotExpr, error) {
	if i := strings.IndexAny(s, "#~@"); i >= 0 {
		env := s[:i]
		if err := ValidateName("environment", env); err != nil {
			return SnapshotExpr{}, Errorf(EINVALID, "malformed snapshot expression %q: %s", s, ErrorMessage(err))
		}
		ref, err := ParseSnapshotRef(s[i:], now)
		if err != nil {
			return SnapshotExpr{}, Errorf(EINVALID, "malformed snapshot expression %q: %s", s, ErrorMessage(err))
		}
		return SnapshotExpr{Environment: env, Ref: ref}, nil
	}
	if err := ValidateName("environment", s); err != nil {
		return SnapshotExpr{}, Errorf(EINVALID, "malformed snapshot expression %q: %s", s, ErrorMessage(err))
	}
	return SnapshotExpr{Environment: s}, nil
}

// ParseSnapshotRef parses the snapshot part of an expression or of the
// API path: "" or "-1" (latest), "N" or "#N" or "%23N" (the N-th),
// "-N" (N-th from the end, -1 being the latest), "~N" (N before the
// latest), "@{2026-11-02T12:00:00}" or "@{N.days.ago}".
func ParseSnapshotRef(s string, now time.Time) (SnapshotRef, error) {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	num := func(t string) (int, error) {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || strings.HasPrefix(t, "+") {
			return 0, Errorf(EINVALID, "snapshot number %q is not a non-negative integer", t)
		}
		return n, nil
	}
	switch {
	case s == "":
		return SnapshotRef{}, nil
	case strings.HasPrefix(s, "#"):
		n, err := num(s[1:])
		if err != nil {
			return SnapshotRef{}, err
		}
		if n == 0 {
			return SnapshotRef{}, Errorf(EINVALID, "snapshot numbers start at 1, got #0")
		}
		return SnapshotRef{Index: n}, nil
	case strings.HasPrefix(s, "~"):
		n, err := num(s[1:])
		return SnapshotRef{Behind: n}, err
	case strings.HasPrefix(s, "-"):
		n, err := num(s[1:])
		if err != nil {
			return SnapshotRef{}, err
		}
		if n == 0 {
			return SnapshotRef{}, Errorf(EINVALID, "snapshot -0 is not valid: -1 is the latest")
		}
		return SnapshotRef{Behind: n - 1}, nil
	case strings.HasPrefix(s, "@{") && strings.HasSuffix(s, "}"):
		body := s[2 : len(s)-1]
		if m := relativeRE.FindStringSubmatch(body); m != nil {
			n, _ := strconv.Atoi(m[1])
			unit := strings.TrimSuffix(m[2], "s")
			d := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour}[unit]
			if unit == "month" {
				return SnapshotRef{At: now.AddDate(0, -n, 0)}, nil
			}
			return SnapshotRef{At: now.Add(-time.Duration(n) * d)}, nil
		}
		for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
			if t, err := time.Parse(layout, body); err == nil {
				return SnapshotRef{At: t.UTC()}, nil
			}
		}
		return SnapshotRef{}, Errorf(EINVALID, "invalid time %q: want YYYY-MM-DDTHH:MM:SS (UTC) or N.<hours|days|weeks|months>.ago", body)
	default:
		n, err := num(s)
		if err != nil {
			return SnapshotRef{}, Errorf(EINVALID, "invalid snapshot %q: want -1, N, -N, #N, ~N or @{YYYY-MM-DDTHH:MM:SS}", s)
		}
		if n == 0 {
			return SnapshotRef{}, Errorf(EINVALID, "snapshot numbers start at 1, got 0")
		}
		return SnapshotRef{Index: n}, nil
	}
}

// ResolveIndex turns ref into a snapshot index given how many snapshots
// exist (latest = count). Time refs are resolved by the store; this handles
// Index and Behind, with an error saying how many snapshots exist.
func ResolveIndex(env string, ref SnapshotRef, count int) (int, error) {
	if count == 0 {
		return 0, Errorf(ENOTFOUND, "environment %s has no snapshots yet", env)
	}
	idx := count - ref.Behind
	if ref.Index > 0 {
		idx = ref.Index
	}
	if idx < 1 || idx > count {
		return 0, Errorf(ENOTFOUND, "snapshot %s%s does not exist: environment %s has %s", env, ref.String(), env, pluralSnapshots(count))
	}
	return idx, nil
}

func pluralSnapshots(n int) string {
	if n == 1 {
		return "1 snapshot"
	}
	return fmt.Sprintf("%d snapshots", n)
}

// ArtifactExpr is a parsed artifact expression: FLOW@FINGERPRINT-PREFIX or
// FLOW:COMMIT-PREFIX.
type ArtifactExpr struct {
	Flow        string
	Fingerprint string
	Commit      string
}

// ParseArtifactExpr parses "runner:16d9990" or "runner@c71f5b".
func ParseArtifactExpr(s string) (ArtifactExpr, error) {
	if i := strings.IndexAny(s, "@:"); i > 0 {
		flow, rest := s[:i], s[i+1:]
		if err := ValidateName("flow", flow); err != nil {
			return ArtifactExpr{}, Errorf(EINVALID, "malformed artifact expression %q: %s", s, ErrorMessage(err))
		}
		if s[i] == '@' {
			fp, err := ValidateHexPrefix("fingerprint", rest)
			if err != nil {
				return ArtifactExpr{}, Errorf(EINVALID, "malformed artifact expression %q: %s", s, ErrorMessage(err))
			}
			return ArtifactExpr{Flow: flow, Fingerprint: fp}, nil
		}
		c, err := ValidateHexPrefix("commit", rest)
		if err != nil {
			return ArtifactExpr{}, Errorf(EINVALID, "malformed artifact expression %q: %s", s, ErrorMessage(err))
		}
		return ArtifactExpr{Flow: flow, Commit: c}, nil
	}
	return ArtifactExpr{}, Errorf(EINVALID, "malformed artifact expression %q: want FLOW:COMMIT or FLOW@FINGERPRINT", s)
}
