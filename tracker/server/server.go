// Package server is the tracker's HTTP API (gin): Kosli's /api/v2 subset
// scoped by org, plus /ready, /version and /metrics. It talks to storage
// only through model.Store; the web UI, when given, serves every route the
// API does not own.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// DefaultMaxBodyBytes caps request bodies when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// Options configure the server. The zero value works: no UI, slog's default
// logger, the real clock and a 10 MB body cap.
type Options struct {
	// Logger receives the request log and internal errors.
	Logger *slog.Logger
	// UI serves every route the API does not own; nil means 404 there.
	UI http.Handler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// New returns the tracker's HTTP handler over store.
func New(store model.Store, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return newRouter(store, opts)
}
