// Package http serves MiniTwit over HTTP with gin: the course simulator's
// JSON API (sim-api.md) and the server-rendered web UI (web-ui.md) on one
// handler, the API alone on another for an optional second port, and the
// operational endpoints /healthz, /version and /metrics on both. It talks to
// the database only through minitwit.Store and maps the domain's error
// codes to HTTP statuses in one table (statusOf).
package http

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/internal/buildinfo"
)

func init() {
	// Debug mode prints every route at start and warns on each request
	// path it cannot serve; the kit never wants that, and the mode is a
	// process-wide switch, so it is set once here rather than per handler.
	gin.SetMode(gin.ReleaseMode)
}

// Course defaults for the simulator's Basic-auth credentials.
const (
	DefaultSimUser     = "simulator"
	DefaultSimPassword = "super_safe!"
)

// Limits on input. Anything beyond them is a 400 naming the limit.
const (
	// MaxBodyBytes caps every request body (JSON and forms).
	MaxBodyBytes = 1 << 20
	// MaxUsernameLen caps usernames, in characters (runes).
	MaxUsernameLen = minitwit.MaxUsernameLen
	// MaxEmailLen caps e-mail addresses, in characters.
	MaxEmailLen = minitwit.MaxEmailLen
	// MaxNo is the largest `no` the simulator API honours; larger values
	// are clamped to it.
	MaxNo = 1000
	// DefaultNo is the simulator API's default `no`.
	DefaultNo = 100
)

// DefaultBcryptCost is the password hashing cost when none is configured
// (minitwit.DefaultBcryptCost says why it is 8).
const DefaultBcryptCost = minitwit.DefaultBcryptCost

// DefaultSessionTTL is how long a session cookie lasts when none is
// configured.
const DefaultSessionTTL = 7 * 24 * time.Hour

// Config configures the handlers. The zero value works: course
// credentials, a random session secret, no logging, bcrypt's default cost.
type Config struct {
	// SimUser and SimPassword are the Basic-auth credentials the simulator
	// API requires; empty means the course defaults.
	SimUser, SimPassword string
	// SessionSecret signs the web UI's session cookie (HMAC-SHA256). Empty
	// means a random secret, so sessions do not survive a restart.
	SessionSecret []byte
	// Logger receives the request log and internal errors; nil discards.
	Logger *slog.Logger
	// BcryptCost is the password hashing cost; 0 means DefaultBcryptCost.
	// Tests lower it because bcrypt under the race detector is slow.
	// Ignored when Accounts is set; it must be 0 or in bcrypt's range.
	BcryptCost int
	// Accounts registers and signs in users. Pass one to both handlers of
	// a server so that they share its bound on password checks; nil
	// creates one per handler with BcryptCost.
	Accounts *minitwit.Accounts
	// TrustProxy says the server runs behind a reverse proxy that sets
	// X-Forwarded-For and X-Forwarded-Proto: the client's address (for
	// the sign-in throttle) and whether it came over TLS (for the
	// cookie's Secure attribute) are then taken from those headers.
	TrustProxy bool
	// SessionTTL is how long a session lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginLimit is the sign-in attempts one client address may make at
	// once and per minute afterwards; 0 means DefaultLoginLimit.
	LoginLimit int
	// HideMetrics leaves /metrics out of the handler, for a server that
	// serves it on a listener of its own (MetricsHandler).
	HideMetrics bool
	// Metrics collects request metrics and serves /metrics. Pass one
	// *Metrics to both handlers of a server so that /metrics counts the
	// traffic of both ports; nil creates one per handler.
	Metrics *Metrics
	// Now returns the current time for new messages; nil means time.Now.
	Now func() time.Time
}

// withDefaults fills in the zero values.
func (c Config) withDefaults(store minitwit.Store) Config {
	if c.SimUser == "" {
		c.SimUser = DefaultSimUser
	}
	if c.SimPassword == "" {
		c.SimPassword = DefaultSimPassword
	}
	if len(c.SessionSecret) == 0 {
		c.SessionSecret = make([]byte, 32)
		_, _ = rand.Read(c.SessionSecret) // crypto/rand.Read never fails
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = DefaultBcryptCost
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(store)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Accounts == nil {
		a, err := minitwit.NewAccounts(store, c.BcryptCost)
		if err != nil {
			panic("http: " + err.Error()) // a programming error: server.New checks the cost
		}
		c.Accounts = a
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.LoginLimit <= 0 {
		c.LoginLimit = DefaultLoginLimit
	}
	return c
}

// server holds what every handler needs.
type server struct {
	cfg   Config
	store minitwit.Store
	log   *slog.Logger
	// simUser and simPassword are the Basic-auth credentials the
	// simulator must send, as bytes for constant-time comparison.
	simUser, simPassword []byte
	web                  *web
	// login throttles sign-in attempts per client address.
	login *throttle
}

func newServer(cfg Config, store minitwit.Store) *server {
	cfg = cfg.withDefaults(store)
	return &server{
		cfg:         cfg,
		store:       store,
		log:         cfg.Logger,
		simUser:     []byte(cfg.SimUser),
		simPassword: []byte(cfg.SimPassword),
		login:       newThrottle(cfg.LoginLimit, time.Now),
	}
}

// NewHandler returns the handler that serves both contracts on one
// listener: the simulator API, the web UI (POST /register goes to the API
// for a JSON body and to the web UI for a form), and the operational
// endpoints.
func NewHandler(cfg Config, store minitwit.Store) http.Handler {
	s := newServer(cfg, store)
	s.web = newWeb(s)
	r := s.engine()
	s.apiRoutes(r, false)
	s.web.routes(r)
	return r
}

// NewAPIHandler returns a handler that serves only the simulator API and
// the operational endpoints, for a second port dedicated to the simulator.
func NewAPIHandler(cfg Config, store minitwit.Store) http.Handler {
	s := newServer(cfg, store)
	r := s.engine()
	s.apiRoutes(r, true)
	r.NoRoute(func(c *gin.Context) {
		writeJSONError(c, http.StatusNotFound, "Not found: "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		writeJSONError(c, http.StatusMethodNotAllowed, "Method "+c.Request.Method+" not allowed on "+c.Request.URL.Path)
	})
	return r
}

// engine returns a gin engine with the kit's middleware and the
// operational endpoints.
func (s *server) engine() *gin.Engine {
	r := gin.New()
	// Match routes on the escaped path so that a username holding an
	// encoded "/" stays one path segment; parameters are unescaped.
	r.UseEscapedPath = true
	r.UnescapePathValues = true
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(s.observe, s.recover, detachWrites)

	r.GET("/healthz", s.healthz)
	r.GET("/version", s.version)
	if !s.cfg.HideMetrics {
		r.GET("/metrics", gin.WrapH(s.cfg.Metrics.Handler()))
	}
	return r
}

// MetricsHandler serves only /metrics (and /healthz, for probes), for a
// listener of its own (server.Config.MetricsAddr).
func MetricsHandler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return mux
}

// observe is the request log and the request metrics, in one middleware
// so that each request reads the clock twice.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.cfg.Metrics.observe(c.Request.Method, route, status, elapsed)
	s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
	)
}

// detachWrites lets a write finish even when its client goes away: the
// course's simulator gives up after 300 ms, and a registration cancelled
// half-way would otherwise fail with "context canceled", leaving the user
// missing and every later action of that user a 404. Reads keep the
// request's context, so an abandoned read stops early.
func detachWrites(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		c.Request = c.Request.WithContext(context.WithoutCancel(c.Request.Context()))
	}
}

// recover turns a panic into a logged 500 instead of a dropped connection.
func (s *server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.LogAttrs(c.Request.Context(), slog.LevelError, "panic serving request",
				slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path),
				slog.Any("panic", v))
			if !c.Writer.Written() {
				writeJSONError(c, http.StatusInternalServerError, minitwit.ErrorMessage(errors.New("panic")))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// healthz answers 200 when the database answers, 503 otherwise.
func (s *server) healthz(c *gin.Context) {
	if err := s.store.Ping(c.Request.Context()); err != nil {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "health check failed", slog.String("error", err.Error()))
		c.Header("Content-Type", "application/json")
		c.String(http.StatusServiceUnavailable, `{"status":"unavailable"}`)
		return
	}
	c.Header("Content-Type", "application/json")
	c.String(http.StatusOK, `{"status":"ok"}`)
}

// version serves the build information.
func (s *server) version(c *gin.Context) {
	c.JSON(http.StatusOK, buildinfo.Get())
}

// statusClientClosed is the status recorded for a request whose client
// disconnected before the answer was ready.
const statusClientClosed = 499

// statuses maps each domain error code to its HTTP status, for the
// simulator API and for the web UI. It is the only place where codes
// become statuses; a code missing from it is a 500.
var statuses = map[string]struct{ api, web int }{
	minitwit.ENOTFOUND: {http.StatusNotFound, http.StatusNotFound},
	// The only conflict is a taken username, which both contracts report
	// as a plain validation failure.
	minitwit.ECONFLICT:     {http.StatusBadRequest, http.StatusBadRequest},
	minitwit.EINVALID:      {http.StatusBadRequest, http.StatusBadRequest},
	minitwit.EUNAUTHORIZED: {http.StatusForbidden, http.StatusUnauthorized},
	minitwit.EUNAVAILABLE:  {http.StatusServiceUnavailable, http.StatusServiceUnavailable},
	minitwit.EINTERNAL:     {http.StatusInternalServerError, http.StatusInternalServerError},
}

// statusOf returns the status for err's code in the API (api true) or the
// web UI.
func statusOf(err error, api bool) int {
	if errors.Is(err, context.Canceled) {
		// The client went away (nginx's 499): nobody reads this
		// answer, and it is not the server's fault.
		return statusClientClosed
	}
	st, ok := statuses[minitwit.ErrorCode(err)]
	if !ok {
		return http.StatusInternalServerError
	}
	if api {
		return st.api
	}
	return st.web
}

// logIfInternal logs err when it is an internal error; users only see the
// generic message for those.
func (s *server) logIfInternal(c *gin.Context, err error) {
	if minitwit.ErrorCode(err) == minitwit.EINTERNAL && !errors.Is(err, context.Canceled) {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "internal error",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("error", err.Error()))
	}
}
