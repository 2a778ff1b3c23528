// Package model is the tracker's domain: orgs, flows, trails, artifacts,
// evidence, deployments, environments, snapshots and the events derived
// from them, plus the rules that turn them into compliance states, artifact
// histories, environment logs, snapshot diffs and DORA metrics.
//
// It imports no adapter. Storage adapters (tracker/sqlite, tracker/postgres)
// implement Store; the HTTP server (tracker/http) and the web UI
// (tracker/web) talk only in these types.
package model

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"time"
)

// Org is a tenant. Every flow and environment belongs to one org, and every
// request is scoped to one org and authenticated with one of its tokens.
type Org struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// nameRE is what the tracker accepts as the name of an org, flow, trail or
// environment: it appears in URL paths and in snapshot expressions, so it
// may not contain '/', '#', '~', '@' or spaces.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// ValidateName returns an EINVALID error naming what (e.g. "flow") when name
// cannot be used as a name.
func ValidateName(what, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s name is required", what)
	}
	if !nameRE.MatchString(name) {
		return Errorf(EINVALID, "invalid %s name %q: use letters, digits, '.', '_', ':' or '-' (at most 128)", what, name)
	}
	return nil
}

// NewToken returns a fresh random API token (256 bits, hex). Tokens are shown
// once and stored only as HashToken(token).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "trk_" + hex.EncodeToString(b), nil
}

// HashToken returns the stored form of a token. A single SHA-256 is right
// here because tokens are high-entropy random strings, not passwords: there
// is nothing to brute-force, and lookups stay O(1).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Clock returns the current time. Servers take one so tests can fix time.
type Clock func() time.Time

// MaxPerPage caps the size of one page of any list.
const MaxPerPage = 10000

// Page selects one page of a list, counting from 1.
type Page struct {
	Page    int
	PerPage int
}

// Normalize returns p with defaults (page 1, 20 per page) and the per-page
// size capped at MaxPerPage.
func (p Page) Normalize() Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage < 1 {
		p.PerPage = 20
	}
	if p.PerPage > MaxPerPage {
		p.PerPage = MaxPerPage
	}
	return p
}

// Offset is the number of rows before the page.
func (p Page) Offset() int {
	p = p.Normalize()
	return (p.Page - 1) * p.PerPage
}
