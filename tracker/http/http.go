// Package http is the tracker's HTTP API (gin): Kosli's /api/v2 subset
// scoped by org, plus /ready, /version and /metrics. It talks to storage
// only through model.Store; the web UI, when given, serves every route the
// API does not own.
package http

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// DefaultMaxBodyBytes caps request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 10 << 20

// DefaultBodyReadTimeout bounds the time to receive a body when
// Config.BodyReadTimeout is 0: the whole 10 MB cap at 350 KB/s.
const DefaultBodyReadTimeout = 30 * time.Second

// Config configures the API. The zero value works: no UI, slog's default
// logger, the real clock and a 10 MB body cap.
type Config struct {
	// Logger receives the request log and internal errors.
	Logger *slog.Logger
	// UI serves every route the API does not own; nil means 404 there.
	UI http.Handler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyReadTimeout bounds the time to receive a request's body, from
	// the moment its handler starts; 0 means DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
}

// New returns the tracker's HTTP handler over store, /metrics included.
func New(store model.Store, opts Config) http.Handler {
	return newRouter(store, withDefaults(opts), true)
}

// NewWithMetrics is New with /metrics split off: the API's handler has no
// /metrics route, and metrics serves the API's metrics on an address of
// its own (serve --metrics-addr).
func NewWithMetrics(store model.Store, opts Config) (handler, metrics http.Handler) {
	h := newRouter(store, withDefaults(opts), false)
	return h, h.metricsHandler()
}

func withDefaults(opts Config) Config {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.BodyReadTimeout <= 0 {
		opts.BodyReadTimeout = DefaultBodyReadTimeout
	}
	return opts
}
